"""Loading: sources, YAML/JSON parsing and the errors of unreadable input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from asynction.exceptions import AsynctionException, SpecError
from asynction.spec import load_spec
from tests.spec.conftest import doc2

SIMPLE = doc2(
    {
        "/": {
            "publish": {
                "message": {
                    "name": "echo",
                    "payload": {"type": "integer", "minimum": 0, "maximum": 10.5},
                }
            }
        }
    }
)


@pytest.mark.parametrize("as_type", [str, Path])
def test_loads_from_str_and_path(write: Callable[..., Path], as_type: type) -> None:
    path = write("api.yaml", SIMPLE)
    api = load_spec(as_type(path))
    assert api.title == "T"
    assert api.source == str(path)
    event = api.namespaces[0].incoming[0]
    assert event.payload == {"type": "integer", "minimum": 0, "maximum": 10.5}


def test_loads_from_mapping() -> None:
    api = load_spec(SIMPLE)
    assert api.source == "<mapping>"
    assert api.namespaces[0].incoming[0].name == "echo"


def test_loads_json(write: Callable[..., Path]) -> None:
    api = load_spec(write("api.json", SIMPLE))
    assert api.namespaces[0].incoming[0].name == "echo"


def test_numbers_booleans_and_nulls_everywhere(write: Callable[..., Path]) -> None:
    path = write(
        "api.yaml",
        """
asyncapi: 2.6.0
info: {title: T, version: '1'}
channels:
  /:
    publish:
      message:
        name: e
        payload:
          type: object
          additionalProperties: false
          properties:
            n: {type: [integer, "null"], enum: [1, 2, null], default: 1}
            b: {type: boolean, const: true}
            when: {type: string, example: 2020-01-01}
            answer: {type: string, enum: [on, off, yes, no]}
""",
    )
    payload = load_spec(path).namespaces[0].incoming[0].payload
    assert payload is not None
    assert payload["additionalProperties"] is False
    assert payload["properties"]["n"]["enum"] == [1, 2, None]
    assert payload["properties"]["b"]["const"] is True
    # YAML 1.2 meaning: dates stay strings, on/off/yes/no are not booleans.
    assert payload["properties"]["when"]["example"] == "2020-01-01"
    assert payload["properties"]["answer"]["enum"] == ["on", "off", "yes", "no"]


def test_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SpecError) as caught:
        load_spec(missing)
    assert str(missing) in str(caught.value)
    assert "file not found" in str(caught.value)


def test_malformed_yaml_gives_line_and_column(write: Callable[..., Path]) -> None:
    path = write("bad.yaml", "asyncapi: 2.6.0\ninfo: {title: T\nchannels: {}\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert str(path) in message
    assert "malformed YAML at line" in message
    assert "column" in message


def test_malformed_json_gives_line_and_column(write: Callable[..., Path]) -> None:
    path = write("bad.json", '{"asyncapi": "2.6.0",\n  "info": }')
    with pytest.raises(SpecError, match=r"malformed JSON at line 2, column 11"):
        load_spec(path)


def test_not_a_mapping(write: Callable[..., Path]) -> None:
    with pytest.raises(SpecError, match="must be a mapping, got list"):
        load_spec(write("list.yaml", "- a\n- b\n"))


def test_alias_bomb_is_refused(write: Callable[..., Path]) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 9):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    with pytest.raises(SpecError, match="alias bomb"):
        load_spec(write("bomb.yaml", "\n".join(lines) + "\n"))


def test_errors_are_asynction_exceptions(tmp_path: Path) -> None:
    with pytest.raises(AsynctionException):
        load_spec(tmp_path / "missing.yaml")


def test_other_source_types_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="path or a mapping"):
        load_spec(42)  # type: ignore[arg-type]


def test_anchors_aliases_and_merge_keys(write: Callable[..., Path]) -> None:
    path = write(
        "api.yaml",
        """
asyncapi: 2.6.0
info: {title: T, version: '1'}
x-base: &base {type: object, properties: {id: {type: integer}}}
channels:
  /:
    publish:
      message:
        oneOf:
          - {name: a, payload: *base}
          - name: b
            payload:
              <<: *base
              required: [id]
""",
    )
    a, b = load_spec(path).namespaces[0].incoming
    assert a.payload == {"type": "object", "properties": {"id": {"type": "integer"}}}
    assert b.payload == {**a.payload, "required": ["id"]}
