"""The generator on the official AsyncAPI example documents (2.x and 3.0): it succeeds on every
one the spec layer loads, and what it writes imports and passes mypy --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from asynction.codegen.generator import generate
from asynction.exceptions import SpecError
from asynction.spec import load_spec
from tests.codegen.support import OFFICIAL, ROOT, load_module

DOCUMENTS = sorted(
    path for path in OFFICIAL.glob("[23].*/*") if path.suffix in {".yml", ".yaml", ".json"}
)


def _loadable(path: Path) -> bool:
    try:
        load_spec(path)
    except SpecError:
        return False
    return True


def _module_name(path: Path) -> str:
    version = path.parent.name.replace(".", "_")
    return f"official_{version}_{path.stem.replace('-', '_').replace('.', '_')}"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("official")
    written = []
    for path in DOCUMENTS:
        if not _loadable(path):
            continue
        (file,) = generate(path, directory / f"{_module_name(path)}.py")
        file.path.write_text(file.text, encoding="utf-8")
        written.append(file.path)
    return written


def test_every_loadable_document_generates_and_imports(generated: list[Path]) -> None:
    loadable = [path for path in DOCUMENTS if _loadable(path)]
    assert len(generated) == len(loadable) >= 20
    versions = {path.parent.name for path in loadable}
    assert {"2.0.0", "2.6.0", "3.0.0"} <= versions
    for path in generated:
        module = load_module(path)
        server_classes = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and value.__module__ == module.__name__
            and hasattr(value, "__asynction_incoming__")
        ]
        assert len(server_classes) == 1, path


def test_every_generated_module_passes_mypy_strict(generated: list[Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *map(str, generated)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
