"""The committed example modules are exactly what the generator writes today, with or without
ruff, and the AsyncAPI 2.6 and 3.0 chat specs give the same code."""

from __future__ import annotations

import ast
import hashlib
import os
from pathlib import Path

import pytest

from asynction.codegen.formatting import ruff_binary
from asynction.codegen.generator import generate
from tests.codegen.support import CHAT, CHAT_V3, EXAMPLE_LIST, FIXTURES, Example


@pytest.mark.parametrize("example", EXAMPLE_LIST, ids=lambda example: example.name)
def test_committed_module_is_regenerated_byte_for_byte(example: Example) -> None:
    (file,) = generate(example.spec, example.output)
    assert file.path == example.output
    assert file.text.encode("utf-8") == example.output.read_bytes()


@pytest.mark.skipif(ruff_binary() is None, reason="the ruff package is not installed")
@pytest.mark.parametrize(
    "spec", [*(e.spec for e in EXAMPLE_LIST), FIXTURES / "edge.yaml", FIXTURES / "empty.yaml"]
)
def test_output_is_the_same_without_ruff(spec: Path, tmp_path: Path) -> None:
    """The generator's own layout is a fixed point of `ruff format`: the bytes do not depend on
    whether ruff is installed."""
    (with_ruff,) = generate(spec, tmp_path / "events.py")
    (without,) = generate(spec, tmp_path / "events.py", format_with_ruff=False)
    assert without.text == with_ruff.text


def test_chat_2_6_and_3_0_give_the_same_code_but_for_the_header() -> None:
    v2 = CHAT.output.read_text(encoding="utf-8").splitlines()
    v3 = CHAT_V3.output.read_text(encoding="utf-8").splitlines()
    assert v2[:1] == v3[:1]
    assert v2[1] == v3[1] == "# Source: asyncapi.yaml"
    assert v2[2].startswith("# Source sha256: ")
    assert v2[2] != v3[2]
    assert v2[3:] == v3[3:]


def test_header_names_the_spec_relative_to_the_output_and_its_sha256(tmp_path: Path) -> None:
    output = tmp_path / "deep" / "events.py"
    (file,) = generate(CHAT.spec, output)
    lines = file.text.splitlines()
    assert "DO NOT EDIT" in lines[0]
    relative = Path(os.path.relpath(CHAT.spec, output.parent)).as_posix()
    assert lines[1] == f"# Source: {relative}"
    assert lines[2] == f"# Source sha256: {hashlib.sha256(CHAT.spec.read_bytes()).hexdigest()}"


def test_output_is_deterministic(tmp_path: Path) -> None:
    spec = FIXTURES / "edge.yaml"
    first = [file.text for file in generate(spec, tmp_path / "a.py")]
    second = [file.text for file in generate(spec, tmp_path / "a.py")]
    assert first == second


@pytest.mark.parametrize("example", EXAMPLE_LIST, ids=lambda example: example.name)
def test_package_output_has_the_same_definitions(example: Example, tmp_path: Path) -> None:
    files = generate(example.spec, tmp_path / "events", package=True)
    names = {file.path.name for file in files}
    assert names == {"__init__.py", "spec.py", "models.py", "server.py"}
    module = ast.parse(example.output.read_text(encoding="utf-8"))
    single = {
        node.name if isinstance(node, ast.ClassDef) else node.targets[0].id  # type: ignore[attr-defined]
        for node in module.body
        if isinstance(node, ast.ClassDef)
        or (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name))
    }
    split: set[str] = set()
    for file in files:
        if file.path.name == "__init__.py":
            continue
        for node in ast.parse(file.text).body:
            if isinstance(node, ast.ClassDef):
                split.add(node.name)
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                split.add(node.targets[0].id)
    assert split == single


def test_package_output_imports_and_serves(tmp_path: Path) -> None:
    import sys

    import flask

    for file in generate(CHAT.spec, tmp_path / "chat_package_out", package=True):
        file.path.parent.mkdir(parents=True, exist_ok=True)
        file.path.write_text(file.text, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        import chat_package_out  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp_path))
    assert chat_package_out.JoinRoom.model_validate({"room": "a"}).room == "a"

    class Chat(chat_package_out.ChatServer):  # type: ignore[misc]
        def on_chat_join_room(self, payload: object, /) -> object:
            return chat_package_out.JoinRoomAck(room="a", members=[])

    app = flask.Flask(__name__)
    server = Chat.create(app, async_mode="threading")
    client = server.test_client(app, namespace="/chat", query_string="username=x")
    ack = client.emit("join room", {"room": "a"}, namespace="/chat", callback=True)
    assert ack == {"room": "a", "members": []}


def test_templates_are_found_inside_the_package_as_in_a_wheel(tmp_path: Path) -> None:
    """A wheel carries templates/ as asynction/templates/ (hatch force-include)."""
    import shutil
    import subprocess
    import sys

    from tests.codegen.support import ROOT

    shutil.copytree(
        ROOT / "asynction", tmp_path / "asynction", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "templates", tmp_path / "asynction" / "templates")
    script = (
        "from asynction.codegen.render import templates_directory; print(templates_directory())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(result.stdout.strip()) == tmp_path / "asynction" / "templates" / "codegen"


@pytest.mark.skipif(ruff_binary() is None, reason="the ruff package is not installed")
def test_generated_modules_pass_ruff_check_with_default_rules(tmp_path: Path) -> None:
    """As a user's project would lint them: ruff's default rules, no configuration of ours, and
    run outside this repository (where `asynction` would count as first-party)."""
    import subprocess

    binary = ruff_binary()
    assert binary is not None
    result = subprocess.run(
        [
            binary,
            "check",
            "--isolated",
            "--target-version",
            "py310",
            *(str(example.output) for example in EXAMPLE_LIST),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
