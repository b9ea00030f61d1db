"""compile_validators: every schema of a document compiled at once, problems collected and located;
the one-walk plain view CompiledSchema compiles from; validators for changed events."""

from __future__ import annotations

import dataclasses
import types
from typing import Any

import pytest

from asynction.exceptions import (
    BindingsValidationException,
    MessageAckValidationException,
    PayloadValidationException,
    SpecError,
    SpecLocation,
)
from asynction.spec import load_spec
from asynction.spec.model import ConnectBindings
from asynction.validation import (
    ArgumentShape,
    ArgumentsValidator,
    BindingsValidator,
    CompiledSchema,
    argument_shape,
    check_schemas,
    compile_validators,
)
from asynction.validation.depth import is_recursive
from asynction.validation.schema import _plain_view, plain_json
from tests.validation.test_schema import TREE


def document(payload: Any, ack: Any = None, query: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"name": "go", "payload": payload}
    if ack is not None:
        message["x-ack"] = {"args": ack}
    # One component message, incoming and outgoing.
    reference = {"$ref": "#/components/messages/Go"}
    channel: dict[str, Any] = {
        "publish": {"message": reference},
        "subscribe": {"message": dict(reference)},
    }
    if query is not None:
        channel["bindings"] = {"ws": {"query": query}}
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "t", "version": "1"},
        "channels": {"/a": channel},
        "components": {"messages": {"Go": message}},
    }


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "object", "properties": {"a": {"type": "integer"}}}, id="plain"),
        pytest.param(TREE, id="recursive"),
        pytest.param(
            {"$defs": {"a": {"type": "string"}}, "items": {"$ref": "#/$defs/a"}}, id="ref"
        ),
        pytest.param({"properties": {"x": {"$id": "urn:x", "type": "string"}}}, id="nested-id"),
        pytest.param({"$id": "urn:root", "type": "string"}, id="root-id"),
        pytest.param(
            types.MappingProxyType({"properties": {"self": {"$ref": "#"}}, "required": ("a",)}),
            id="read-only",
        ),
        pytest.param({"enum": [1, {2: "int key"}]}, id="int-key"),
        pytest.param(True, id="true"),
    ],
)
def test_plain_view_is_plain_json_and_finds_what_is_recursive_finds(schema: Any) -> None:
    plain, may_recurse = _plain_view(schema)
    assert plain == plain_json(schema)
    assert type(plain) is type(plain_json(schema))
    assert may_recurse or not is_recursive(plain_json(schema))


def test_plain_view_does_not_copy_a_plain_schema() -> None:
    schema = {"type": "array", "items": [{"type": "string"}], "prefixItems": [True]}
    plain, may_recurse = _plain_view(schema)
    assert plain is schema
    assert not may_recurse


def test_compile_errors_name_the_keyword_inside_the_schema() -> None:
    location = SpecLocation("api.yaml", "/components/schemas/S")
    with pytest.raises(SpecError) as raised:
        CompiledSchema({"properties": {"a/b": {"minLength": "x"}}}, location=location).compile()
    [(where, message)] = raised.value.problems
    assert where == location
    assert (
        message == 'invalid JSON Schema at /properties/a~1b/minLength: "x" is not of type "integer"'
    )


def test_a_masked_schema_still_says_what_is_wrong() -> None:
    with pytest.raises(SpecError) as raised:
        CompiledSchema({"pattern": "(x"}, mask="value").compile()
    assert str(raised.value).endswith(
        '<schema>#/: invalid JSON Schema at /pattern: "(x" is not a "regex"'
    )


def test_every_schema_is_compiled_and_every_problem_listed() -> None:
    api = load_spec(
        document(
            {"type": "string", "pattern": "("},
            ack={"type": "integer", "multipleOf": 0},
            query={"type": "object", "properties": {"a": {"minimum": "x"}}},
        )
    )
    with pytest.raises(SpecError) as raised:
        compile_validators(api)
    message = "/components/messages/Go"
    # The message is used by both operations: its schemas are compiled and reported once.
    assert [
        (location.pointer, text.split(") at ")[0]) for location, text in raised.value.problems
    ] == [
        (
            f"{message}/payload",
            "invalid JSON Schema (payload of incoming event 'go' in namespace '/a'",
        ),
        (
            f"{message}/x-ack/args",
            "invalid JSON Schema (ack of incoming event 'go' in namespace '/a'",
        ),
        (
            "/channels/~1a/bindings/ws/query",
            "invalid JSON Schema (bindings.ws query of namespace '/a'",
        ),
    ]
    with pytest.raises(SpecError) as again:
        check_schemas(api)
    assert str(again.value) == str(raised.value)


def test_validators_are_compiled_shared_and_typed() -> None:
    api = load_spec(
        document(
            {"type": "object", "required": ["n"]},
            ack={"type": "boolean"},
            query={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
        )
    )
    validators = compile_validators(api)
    [namespace] = api.namespaces
    [incoming] = namespace.incoming
    [outgoing] = namespace.outgoing
    payload = validators.payload("/a", incoming)
    ack = validators.ack("/a", incoming)
    assert payload is not None
    assert ack is not None
    assert validators.payload("/a", incoming) is payload
    # One message in both directions: two validators (their errors name the direction's event),
    # one compiled schema.
    out_payload = validators.payload("/a", outgoing)
    assert out_payload is not None
    assert out_payload is not payload
    assert out_payload.schema is payload.schema
    with pytest.raises(PayloadValidationException):
        payload.validate(({},))
    with pytest.raises(MessageAckValidationException):
        ack.validate(("yes",))
    bindings = validators.bindings(namespace)
    assert bindings is not None
    assert validators.bindings(namespace) is bindings
    bindings.validate({"QUERY_STRING": "n=1"})
    with pytest.raises(BindingsValidationException):
        bindings.validate({"QUERY_STRING": "n=x"})


def test_changed_events_and_namespaces_get_their_own_validators() -> None:
    api = load_spec(
        document({"type": "integer"}, ack={"type": "boolean"}, query={"type": "object"})
    )
    validators = compile_validators(api)
    [namespace] = api.namespaces
    [event] = namespace.incoming
    without_ack = dataclasses.replace(event, ack=None)
    assert validators.ack("/a", without_ack) is None
    assert validators.payload("/a", without_ack) is validators.payload("/a", event)
    as_string = dataclasses.replace(event, payload={"type": "string"})
    changed = validators.payload("/a", as_string)
    assert changed is not None
    changed.validate(("text",))
    with pytest.raises(PayloadValidationException):
        changed.validate((1,))
    assert validators.bindings(dataclasses.replace(namespace, bindings=None)) is None
    other = validators.bindings(
        dataclasses.replace(namespace, bindings=ConnectBindings(method="POST"))
    )
    assert other is not None
    with pytest.raises(BindingsValidationException):
        other.validate({"REQUEST_METHOD": "GET"})


def test_a_compiled_schema_can_be_given_to_an_arguments_validator() -> None:
    compiled = CompiledSchema({"type": "array", "prefixItems": [{"type": "string"}]})
    validator = ArgumentsValidator(compiled, namespace="/", event="e")
    assert validator.schema is compiled
    assert validator.shape is ArgumentShape.TUPLE
    validator.compile()
    validator.validate(("a",))


def test_boolean_schemas_describe_one_argument() -> None:
    assert argument_shape(True) is ArgumentShape.SINGLE  # type: ignore[arg-type]
    refuse_all = ArgumentsValidator(False, namespace="/", event="e")  # type: ignore[arg-type]
    with pytest.raises(PayloadValidationException):
        refuse_all.validate(("x",))


def test_bindings_compile_reports_query_and_headers() -> None:
    validator = BindingsValidator(
        ConnectBindings(query={"maxProperties": -1}, headers={"required": "x"}),
        namespace="/",
        location=SpecLocation("api.yaml", "/channels/~1/bindings/ws"),
    )
    with pytest.raises(SpecError) as raised:
        validator.compile()
    assert [location.pointer for location, _ in raised.value.problems] == [
        "/channels/~1/bindings/ws/query",
        "/channels/~1/bindings/ws/headers",
    ]


def test_bindings_with_patterns_python_cannot_compile() -> None:
    validator = BindingsValidator(
        ConnectBindings(query={"patternProperties": {"^\\p{Lu}": {"type": "integer"}, "(": {}}}),
        namespace="/",
    )
    # "(" is refused by jsonschema_rs; "\p{Lu}" is ECMA-262 only: its values stay strings.
    with pytest.raises(SpecError, match=r"at /patternProperties/\(: "):
        validator.compile()
