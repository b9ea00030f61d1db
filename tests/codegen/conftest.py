"""Fixtures of the codegen tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.codegen.support import FIXTURES, Clients, generate_module, put_examples_on_path

# The example modules import one another by name (as they do when run from their directory), and
# their specs name handlers by module name: make them importable before test modules import them.
put_examples_on_path()


@pytest.fixture(scope="session")
def edge_module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The module generated from fixtures/edge.yaml (shapes, names and keywords)."""
    directory: Path = tmp_path_factory.mktemp("edge")
    return generate_module(FIXTURES / "edge.yaml", directory, "edge_events")


@pytest.fixture
def clients() -> Iterator[Clients]:
    made = Clients()
    yield made
    made.close()
