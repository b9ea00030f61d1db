"""Fuzzing the spec loader: generated documents, mutated example documents, mutated YAML text.

Every outcome must be a usable Api or a SpecError naming a location (tests/hardening/spec_outcomes.py),
and no ``$ref`` may open a file outside the spec's directory tree.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asynction.spec import load_spec
from tests.hardening.spec_outcomes import check_outcome, opened_files

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FILES = sorted(
    {
        *ROOT.glob("generated_examples/*/asyncapi.yaml"),
        *(ROOT / "tests" / "fixtures").rglob("*.yaml"),
        *(ROOT / "tests" / "docs" / "specs").glob("*.yaml"),
        *(ROOT / "tests" / "spec" / "official").glob("[23]*/*.yml"),
    }
)
EXAMPLES = {
    path.relative_to(ROOT).as_posix(): yaml.safe_load(path.read_text()) for path in EXAMPLE_FILES
}
EXAMPLE_TEXTS = {path.relative_to(ROOT).as_posix(): path.read_text() for path in EXAMPLE_FILES}

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

KEYS = [
    "asyncapi",
    "info",
    "title",
    "version",
    "channels",
    "publish",
    "subscribe",
    "message",
    "messages",
    "payload",
    "components",
    "schemas",
    "$ref",
    "oneOf",
    "anyOf",
    "allOf",
    "name",
    "x-handler",
    "x-handlers",
    "x-ack",
    "args",
    "bindings",
    "ws",
    "query",
    "headers",
    "method",
    "servers",
    "url",
    "host",
    "protocol",
    "pathname",
    "security",
    "securitySchemes",
    "operations",
    "action",
    "channel",
    "address",
    "reply",
    "type",
    "properties",
    "items",
    "prefixItems",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "format",
    "pattern",
    "x-security",
    "traits",
    "parameters",
    "summary",
    "description",
    "connect",
    "error",
    "operationId",
    "messageId",
    "contentType",
    "schemaFormat",
    "$defs",
    "definitions",
    "not",
    "if",
    "then",
    "else",
    "default",
    "scopes",
    "flows",
    "x-bearerInfoFunc",
    "x-tokenInfoFunc",
    "scheme",
    "in",
    "minimum",
    "maximum",
    "minLength",
]
REFS = st.sampled_from(
    [
        "#",
        "#/",
        "#/components",
        "#/components/schemas/A",
        "#/components/messages/M",
        "#/channels",
        "#/channels/~1/publish/message",
        "#/nowhere/at/all",
        "#components",
        "other.yaml",
        "other.yaml#/Thing",
        "other.yaml#/Loop",
        "sub/inner.yaml#/Inner",
        "sub/../other.yaml#/Thing",
        "../outside/secret.yaml#/Secret",
        "sub/../../outside/secret.yaml#/Secret",
        "%2e%2e/outside/secret.yaml#/Secret",
        "sub/escape.yaml#/Secret",
        "file:///etc/hostname",
        "/etc/hostname#/x",
        "http://127.0.0.1:9/x.yaml",
        "sub",
        "missing.yaml#/x",
        "other.yaml#/Thing/properties/~0~1",
        "",
        "\x00",
        "other.yaml\x00#/Thing",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["object", "string", "integer", "array", "2.6.0", "3.0.0", "uuid", "^a+$"]),
)
KEY = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(KEY, children, max_size=5),
        st.builds(lambda ref: {"$ref": ref}, REFS),
    )


VALUES = st.recursive(SCALARS, _containers, max_leaves=25)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spec directory with files refs can reach, a symlink leaving it, and a secret outside."""
    base = tmp_path_factory.mktemp("fuzz")
    spec_dir = base / "spec"
    (spec_dir / "sub").mkdir(parents=True)
    (base / "outside").mkdir()
    (base / "outside" / "secret.yaml").write_text("Secret: {type: string, const: leaked}\n")
    (spec_dir / "other.yaml").write_text(
        "Thing: {type: object, properties: {'~/': {type: integer}}}\n"
        "Loop: {$ref: 'sub/inner.yaml#/Back'}\n"
    )
    (spec_dir / "sub" / "inner.yaml").write_text(
        "Inner: {type: array, items: {$ref: '../other.yaml#/Thing'}}\n"
        "Back: {$ref: '../other.yaml#/Loop'}\n"
    )
    (spec_dir / "sub" / "escape.yaml").symlink_to(base / "outside" / "secret.yaml")
    return spec_dir


def _load_checked(spec_dir: Path, source: Any) -> None:
    """Load (a mapping with spec_dir as its base, or a file), check the outcome and the files."""
    with opened_files() as opened:
        if isinstance(source, Path):
            check_outcome(lambda: load_spec(source))
        else:
            check_outcome(lambda: load_spec(source, base_path=spec_dir / "asyncapi.yaml"))
    outside = [path for path in opened if "outside" in Path(path).parts or "/etc/" in path]
    assert outside == [], f"opened files outside the spec directory: {outside}"


def _paths(
    value: Any, prefix: tuple[Any, ...] = (), seen: frozenset[int] = frozenset()
) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if id(value) in seen:
        return
    seen = seen | {id(value)}
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key), seen)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index), seen)


def _mutate(document: Any, path: tuple[Any, ...], kind: str, replacement: Any) -> Any:
    parent = document
    for token in path[:-1]:
        parent = parent[token]
    last = path[-1]
    if kind == "delete":
        del parent[last]
    elif kind == "rename" and isinstance(parent, dict):
        parent[str(replacement)[:10]] = parent.pop(last)
    elif kind == "share":
        parent[last] = document  # a subtree that contains itself
    else:
        parent[last] = replacement
    return document


@FUZZ
@given(
    version=st.sampled_from(["2.0.0", "2.3.0", "2.6.0", "3.0.0", "1.2.0", 2.6, None]),
    channels=st.dictionaries(st.sampled_from(["/", "/chat", "a/b", "{x}", ""]), VALUES, max_size=3),
    extra=st.dictionaries(KEY, VALUES, max_size=3),
)
def test_generated_documents(
    tree: Path, version: Any, channels: dict[str, Any], extra: dict[str, Any]
) -> None:
    document = {"asyncapi": version, "info": {"title": "t", "version": "1"}, "channels": channels}
    document.update(extra)
    _load_checked(tree, document)


@FUZZ
@given(data=st.data(), name=st.sampled_from(sorted(EXAMPLES)))
def test_mutated_example_documents(tree: Path, data: st.DataObject, name: str) -> None:
    document = copy.deepcopy(EXAMPLES[name])
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = [path for path in _paths(document) if path]
        path = data.draw(st.sampled_from(paths), label="path")
        kind = data.draw(
            st.sampled_from(["replace", "replace", "ref", "delete", "rename", "share"]),
            label="kind",
        )
        replacement = data.draw(REFS if kind == "ref" else VALUES, label="replacement")
        if kind == "ref":
            replacement = {"$ref": replacement}
        document = _mutate(document, path, kind, replacement)
    _load_checked(tree, document)


@FUZZ
@given(data=st.data(), name=st.sampled_from(sorted(EXAMPLE_TEXTS)))
def test_mutated_yaml_text(tree: Path, data: st.DataObject, name: str) -> None:
    text = EXAMPLE_TEXTS[name]
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        position = data.draw(st.integers(0, len(text)), label="position")
        edit = data.draw(
            st.one_of(
                st.sampled_from(
                    [
                        "&a ",
                        "*a",
                        "<<: *a\n",
                        "!!binary aGk=",
                        "!!set {a, b}",
                        "!!python/object:os.system ",
                        "? ",
                        "- ",
                        "[",
                        "]",
                        "{",
                        "}",
                        ": ",
                        "\n  ",
                        "\t",
                        "'",
                        '"',
                        "#",
                        "|\n",
                        "---\n",
                        ".nan",
                        "-.inf",
                        "9" * 5000,
                        "$ref: ../outside/secret.yaml#/Secret\n",
                        "{$ref: 'sub/escape.yaml#/Secret'}",
                        "\x00",
                        "\ufeff",
                    ]
                ),
                st.text(max_size=6),
            ),
            label="insert",
        )
        cut = data.draw(st.integers(0, 20), label="cut")
        text = text[:position] + edit + text[position + cut :]
    path = tree / "mutated.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load_checked(tree, path)
