"""Generated code (and the example apps using it) is clean under mypy --strict and pyright."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asynction.codegen.generator import generate
from tests.codegen.support import EXAMPLE_LIST, FIXTURES, ROOT


def _example_files() -> list[Path]:
    files: list[Path] = []
    for example in EXAMPLE_LIST:
        files.extend(sorted(example.directory.glob("*.py")))
    return files


@pytest.fixture(scope="module")
def generated_extra(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The edge-case and empty-spec modules, and the chat example generated as a package."""
    directory = tmp_path_factory.mktemp("typecheck")
    paths: list[Path] = []
    for name in ("edge", "empty"):
        (file,) = generate(FIXTURES / f"{name}.yaml", directory / f"{name}_events.py")
        file.path.write_text(file.text, encoding="utf-8")
        paths.append(file.path)
    package = directory / "chat_package"
    for file in generate(EXAMPLE_LIST[0].spec, package, package=True):
        file.path.parent.mkdir(parents=True, exist_ok=True)
        file.path.write_text(file.text, encoding="utf-8")
    paths.append(package)
    return paths


def test_mypy_strict(generated_extra: list[Path]) -> None:
    """One mypy run over every example (module, handlers, app), the edge-case module and a
    package output."""
    targets = [str(path) for path in [*_example_files(), *generated_extra]]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _pyright() -> str | None:
    found = shutil.which("pyright", path=str(Path(sys.executable).parent))
    return found


@pytest.mark.skipif(_pyright() is None, reason="pyright is not installed in this environment")
def test_pyright(generated_extra: list[Path]) -> None:
    pyright = _pyright()
    assert pyright is not None
    targets = (
        [str(example.output) for example in EXAMPLE_LIST]
        + [str(example.app) for example in EXAMPLE_LIST]
        + [str(path) for path in generated_extra]
    )
    result = subprocess.run(
        [pyright, "--pythonpath", sys.executable, *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
