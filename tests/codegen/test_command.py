"""``asynction codegen``: writing, ``--check`` exit codes, options, ``[tool.asynction]``,
errors as one message on stderr."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asynction.cli import app
from tests.codegen.support import CHAT, FIXTURES, ROOT

runner = CliRunner()


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["codegen", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    copy = tmp_path / "api" / "asyncapi.yaml"
    copy.parent.mkdir()
    shutil.copy(CHAT.spec, copy)
    return copy


def test_writes_the_module_then_check_says_up_to_date(spec: Path, tmp_path: Path) -> None:
    output = tmp_path / "app" / "events.py"
    code, stdout, _ = _invoke(str(spec), "-o", str(output))
    assert code == 0
    assert "wrote" in stdout
    assert output.read_bytes() == CHAT.output.read_bytes().replace(
        b"# Source: asyncapi.yaml", b"# Source: ../api/asyncapi.yaml"
    )
    assert _invoke(str(spec), "-o", str(output), "--check")[0] == 0


def test_check_exits_1_when_stale_or_missing_and_writes_nothing(spec: Path, tmp_path: Path) -> None:
    output = tmp_path / "events.py"
    code, _, stderr = _invoke(str(spec), "-o", str(output), "--check")
    assert code == 1
    assert "stale" in stderr
    assert not output.exists()
    _invoke(str(spec), "-o", str(output))
    spec.write_text(spec.read_text().replace("title: Chat", "title: Chat2"), encoding="utf-8")
    code, _, stderr = _invoke(str(spec), "-o", str(output), "--check")
    assert code == 1
    assert str(output) in stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("asyncapi: 2.6.0\ninfo: {version: '1'}\nchannels: {}\n", "title"),
        ("{not yaml", "asyncapi.yaml"),
    ],
    ids=["missing", "invalid", "malformed"],
)
def test_errors_exit_2_with_one_message_and_no_traceback(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    spec = tmp_path / "asyncapi.yaml"
    if content is not None:
        spec.write_text(content, encoding="utf-8")
    for extra in ((), ("--check",)):
        code, stdout, stderr = _invoke(str(spec), "-o", str(tmp_path / "out.py"), *extra)
        assert code == 2
        assert stderr.startswith("asynction codegen: ")
        assert expected in stderr
        assert "Traceback" not in stderr + stdout
    assert not (tmp_path / "out.py").exists()


def test_class_name_option(spec: Path, tmp_path: Path) -> None:
    output = tmp_path / "events.py"
    assert _invoke(str(spec), "-o", str(output), "--class-name", "Rooms")[0] == 0
    assert "\nclass Rooms(TypedServer):" in output.read_text(encoding="utf-8")
    code, _, stderr = _invoke(str(spec), "-o", str(output), "--class-name", "not a name")
    assert code == 2
    assert "class name" in stderr


def test_package_option(spec: Path, tmp_path: Path) -> None:
    output = tmp_path / "events"
    assert _invoke(str(spec), "-o", str(output), "--package")[0] == 0
    assert sorted(path.name for path in output.iterdir()) == [
        "__init__.py",
        "models.py",
        "server.py",
        "spec.py",
    ]
    assert _invoke(str(spec), "-o", str(output), "--package", "--check")[0] == 0
    (output / "models.py").write_text("# edited\n", encoding="utf-8")
    assert _invoke(str(spec), "-o", str(output), "--package", "--check")[0] == 1
    code, _, stderr = _invoke(str(spec), "-o", str(tmp_path / "x.py"), "--package")
    assert code == 2
    assert "directory" in stderr


def test_tool_asynction_table_is_found_from_a_subdirectory(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.asynction]\n'
        'spec = "api/asyncapi.yaml"\noutput = "app/events.py"\nclass-name = "FromConfig"\n',
        encoding="utf-8",
    )
    work = tmp_path / "app" / "sub"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    assert _invoke()[0] == 0
    written = (tmp_path / "app" / "events.py").read_text(encoding="utf-8")
    assert "\nclass FromConfig(TypedServer):" in written
    assert _invoke("--check")[0] == 0
    # Flags win over the table.
    assert _invoke("--class-name", "FromFlag", "--check")[0] == 1
    assert _invoke("--class-name", "FromFlag")[0] == 0
    assert "\nclass FromFlag(TypedServer):" in (tmp_path / "app" / "events.py").read_text()


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[tool.asynction]\npackage = "yes"\n', "package must be a bool"),
        ("[tool.asynction\n", "cannot read"),
        ("[tool]\nasynction = 3\n", "must be a table"),
        ('[tool.asynction]\nspec = "asyncapi.yaml"\n', "no output"),
    ],
)
def test_bad_configuration_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, expected: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(table, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, stderr = _invoke()
    assert code == 2
    assert expected in stderr


def test_no_spec_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    code, _, stderr = _invoke("-o", "x.py")
    assert code == 2
    assert "no spec" in stderr


def test_help_documents_every_option() -> None:
    result = runner.invoke(app, ["codegen", "--help"])
    assert result.exit_code == 0
    for option in ("--output", "-o", "--check", "--class-name", "--package", "tool.asynction"):
        assert option in result.stdout


def test_python_dash_m_exit_codes(tmp_path: Path) -> None:
    """The real process: exit statuses as CI sees them."""
    output = tmp_path / "events.py"
    base = [
        sys.executable,
        "-m",
        "asynction",
        "codegen",
        str(FIXTURES / "edge.yaml"),
        "-o",
        str(output),
    ]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *extra], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )

    assert run("--check").returncode == 1
    assert run().returncode == 0
    assert run("--check").returncode == 0
    broken = run("--class-name", "1x")
    assert broken.returncode == 2
    assert "Traceback" not in broken.stderr
