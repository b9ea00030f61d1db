"""$ref resolution: local, relative files, chains, recursion, remote and unresolvable refs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from asynction.exceptions import SpecError
from asynction.spec import load_spec
from tests.spec.conftest import doc2


def _payload(api_path: Path, **kwargs: Any) -> Any:
    return load_spec(api_path, **kwargs).namespaces[0].incoming[0].payload


def _message(payload: Any) -> dict[str, Any]:
    return {"/": {"publish": {"message": {"name": "e", "payload": payload}}}}


def test_local_ref_and_ref_to_ref(write: Callable[..., Path]) -> None:
    document = doc2(
        _message({"$ref": "#/components/schemas/Alias"}),
        components={
            "schemas": {
                "Alias": {"$ref": "#/components/schemas/Real"},
                "Real": {"type": "object", "properties": {"id": {"type": "integer"}}},
            }
        },
    )
    payload = _payload(write("api.yaml", document))
    assert payload == {"type": "object", "properties": {"id": {"type": "integer"}}}


def test_relative_file_refs_resolve_against_the_referring_file(
    write: Callable[..., Path],
) -> None:
    write(
        "common/schemas.yaml",
        {
            "User": {
                "type": "object",
                "properties": {"address": {"$ref": "../shared/address.yaml#/Address"}},
            }
        },
    )
    write("shared/address.yaml", {"Address": {"type": "string", "minLength": 3}})
    api = write("api.yaml", doc2(_message({"$ref": "common/schemas.yaml#/User"})))
    payload = _payload(api)
    assert payload["properties"]["address"] == {"$ref": "#/$defs/Address"}
    assert payload["$defs"]["Address"] == {"type": "string", "minLength": 3}


def test_recursive_schema_loads_and_validates_recursive_data(
    write: Callable[..., Path],
) -> None:
    document = doc2(
        _message({"$ref": "#/components/schemas/Tree"}),
        components={
            "schemas": {
                "Tree": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "integer"},
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Tree"},
                        },
                    },
                    "required": ["value"],
                }
            }
        },
    )
    payload = _payload(write("api.yaml", document))
    assert payload["properties"]["children"]["items"] == {"$ref": "#/$defs/Tree"}
    validator = jsonschema_rs.Draft202012Validator(payload)
    assert validator.is_valid({"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]})
    assert not validator.is_valid({"value": 1, "children": [{"value": 2, "children": [{}]}]})


def test_mutually_recursive_schemas_across_files(write: Callable[..., Path]) -> None:
    write("a.yaml", {"A": {"type": "object", "properties": {"b": {"$ref": "b.yaml#/B"}}}})
    write("b.yaml", {"B": {"type": "object", "properties": {"a": {"$ref": "a.yaml#/A"}}}})
    payload = _payload(write("api.yaml", doc2(_message({"$ref": "a.yaml#/A"}))))
    validator = jsonschema_rs.Draft202012Validator(payload)
    assert validator.is_valid({"b": {"a": {"b": {}}}})
    assert not validator.is_valid({"b": {"a": {"b": 5}}})


def test_draft07_tuple_items_become_prefix_items(write: Callable[..., Path]) -> None:
    payload = _payload(
        write(
            "api.yaml",
            doc2(
                _message(
                    {
                        "type": "array",
                        "items": [{"type": "string"}, {"type": "integer"}],
                        "additionalItems": False,
                    }
                )
            ),
        )
    )
    assert payload == {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "integer"}],
        "items": False,
    }


def test_refs_inside_examples_and_enums_are_data(write: Callable[..., Path]) -> None:
    payload = _payload(
        write(
            "api.yaml",
            doc2(_message({"type": "object", "examples": [{"$ref": "#/not/a/ref"}]})),
        )
    )
    assert payload["examples"] == [{"$ref": "#/not/a/ref"}]


def test_unresolvable_local_ref_names_ref_and_location(write: Callable[..., Path]) -> None:
    path = write("api.yaml", doc2(_message({"$ref": "#/components/schemas/Missing"})))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert f"{path}#/channels/~1/publish/message/payload/$ref" in message
    assert "'#/components/schemas/Missing' cannot be resolved" in message


def test_unresolvable_file_ref(write: Callable[..., Path]) -> None:
    path = write("api.yaml", doc2(_message({"$ref": "nothere.yaml#/X"})))
    with pytest.raises(SpecError, match=r"'nothere.yaml#/X' cannot be resolved: file not found"):
        load_spec(path)


def test_remote_ref_is_refused_without_network(write: Callable[..., Path]) -> None:
    path = write("api.yaml", doc2(_message({"$ref": "https://example.com/schemas.yaml#/X"})))
    with pytest.raises(SpecError, match="never fetches remote references"):
        load_spec(path)


def test_ref_outside_the_spec_directory_is_refused(
    write: Callable[..., Path], tmp_path: Path
) -> None:
    write("outside.yaml", {"X": {"type": "string"}})
    path = write("spec/api.yaml", doc2(_message({"$ref": "../outside.yaml#/X"})))
    with pytest.raises(SpecError, match="outside the spec's directory"):
        load_spec(path)
    assert _payload(path, ref_root=tmp_path) == {"type": "string"}


def test_ref_cycle_without_schema_is_an_error(write: Callable[..., Path]) -> None:
    document = doc2(
        _message({"$ref": "#/components/schemas/A"}),
        components={
            "schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"$ref": "#/components/schemas/A"},
            }
        },
    )
    with pytest.raises(SpecError, match=r"\$ref cycle"):
        load_spec(write("api.yaml", document))


def test_malformed_referenced_file_is_reported(write: Callable[..., Path]) -> None:
    write("broken.yaml", "X: [1, 2\n")
    path = write("api.yaml", doc2(_message({"$ref": "broken.yaml#/X"})))
    with pytest.raises(SpecError, match=r"cannot be resolved: malformed YAML at line"):
        load_spec(path)


def test_mapping_source_resolves_relative_to_base_path(
    write: Callable[..., Path], tmp_path: Path
) -> None:
    write("schemas.yaml", {"X": {"type": "boolean"}})
    api = load_spec(doc2(_message({"$ref": "schemas.yaml#/X"})), base_path=tmp_path / "api.yaml")
    assert api.namespaces[0].incoming[0].payload == {"type": "boolean"}


def test_standalone_document_bundles_other_files(write: Callable[..., Path]) -> None:
    write(
        "common/schemas.yaml",
        {
            "User": {"type": "object", "properties": {"name": {"$ref": "#/Name"}}},
            "Name": {"type": "string"},
            "Tree": {
                "type": "object",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/Tree"}}},
            },
        },
    )
    document = doc2(
        {
            "/": {
                "publish": {
                    "message": {
                        "oneOf": [
                            {"name": "a", "payload": {"$ref": "common/schemas.yaml#/User"}},
                            {"name": "b", "payload": {"$ref": "#/components/schemas/Local"}},
                            {"name": "c", "payload": {"$ref": "common/schemas.yaml#/Tree"}},
                        ]
                    }
                }
            }
        },
        components={"schemas": {"Local": {"type": "integer"}}},
    )
    api = load_spec(write("api.yaml", document))
    standalone = api.standalone_document()
    a, b, c = standalone["channels"]["/"]["publish"]["message"]["oneOf"]
    assert a["payload"] == {"type": "object", "properties": {"name": {"type": "string"}}}
    assert b["payload"] == {"$ref": "#/components/schemas/Local"}
    assert c["payload"] == {"$ref": "#/x-bundled/Tree"}
    assert standalone["x-bundled"]["Tree"]["properties"]["kids"]["items"] == {
        "$ref": "#/x-bundled/Tree"
    }
    assert api.document == document  # the document as written is untouched
    assert "x-bundled" not in api.document


def test_standalone_document_without_other_files_is_the_document() -> None:
    document = doc2(_message({"type": "string"}))
    assert load_spec(document).standalone_document() == document
