"""ArgumentsValidator: how Socket.IO arguments map onto payload and ack schemas (design §2)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asynction.exceptions import (
    MessageAckValidationException,
    PayloadValidationException,
    ValidationException,
)
from asynction.validation import MAX_DEPTH, ArgumentShape, ArgumentsValidator, argument_shape

MESSAGE = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "sent": {"type": "string", "format": "date-time"},
        "user": {
            "type": "object",
            "properties": {"age": {"type": "integer", "minimum": 0}},
            "additionalProperties": False,
        },
    },
    "required": ["text"],
}

PAIR = {
    "type": "array",
    "prefixItems": [{"type": "string"}, {"type": "integer"}],
    "items": False,
    "minItems": 2,
}

NUMBERS = {"type": "array", "items": {"type": "integer"}}


def validator(schema: dict[str, Any] | None, **kwargs: Any) -> ArgumentsValidator:
    return ArgumentsValidator(schema, namespace="/chat", event="send", **kwargs)


def rejection(
    check: ArgumentsValidator,
    args: tuple[Any, ...],
    exception_type: type[ValidationException] = PayloadValidationException,
) -> ValidationException:
    with pytest.raises(exception_type) as raised:
        check.validate(args)
    return raised.value


@pytest.mark.parametrize(
    ("schema", "shape"),
    [
        (None, ArgumentShape.NONE),
        (MESSAGE, ArgumentShape.SINGLE),
        ({"type": "string"}, ArgumentShape.SINGLE),
        ({}, ArgumentShape.SINGLE),
        ({"type": ["array", "null"], "items": {}}, ArgumentShape.SINGLE),
        ({"anyOf": [{"type": "array"}]}, ArgumentShape.SINGLE),
        (PAIR, ArgumentShape.TUPLE),
        ({"type": ["array"], "prefixItems": [{"type": "string"}]}, ArgumentShape.TUPLE),
        (NUMBERS, ArgumentShape.LIST),
        (
            {"type": ["array"], "items": {"$ref": "#/$defs/n"}, "$defs": {"n": {}}},
            ArgumentShape.LIST,
        ),
        ({"type": "array"}, ArgumentShape.LIST),
    ],
)
def test_shape_is_read_from_the_schema(schema: dict[str, Any] | None, shape: ArgumentShape) -> None:
    assert argument_shape(schema) is shape
    assert validator(schema).shape is shape


def test_no_schema_validates_nothing() -> None:
    check = validator(None)
    check.validate(())
    check.validate((1, b"binary", object()))
    assert check.schema is None


# SINGLE


def test_single_argument_valid() -> None:
    check = validator(MESSAGE)
    check.validate(({"text": "hi", "sent": "2024-05-01T10:00:00Z", "user": {"age": 3}},))


def test_single_argument_invalid_field_has_path_rule_and_context() -> None:
    error = rejection(validator(MESSAGE), ({"text": "hi", "user": {"age": "3"}},))
    assert error.path == "$.user.age"
    assert error.rule == "type"
    assert error.namespace == "/chat"
    assert error.event == "send"
    assert str(error) == (
        "namespace '/chat', event 'send' at $.user.age: "
        'invalid payload: "3" is not of type "integer" (rule: type)'
    )


def test_single_argument_extra_field_under_additional_properties_false() -> None:
    error = rejection(validator(MESSAGE), ({"text": "hi", "user": {"age": 3, "admin": True}},))
    assert error.path == "$.user"
    assert error.rule == "additionalProperties"
    assert "'admin' was unexpected" in str(error)


def test_single_argument_missing_required_field() -> None:
    error = rejection(validator(MESSAGE), ({"user": {"age": 3}},))
    assert (error.path, error.rule) == ("$", "required")
    assert '"text" is a required property' in str(error)


def test_single_argument_format_checked() -> None:
    error = rejection(validator(MESSAGE), ({"text": "hi", "sent": "yesterday"},))
    assert (error.path, error.rule) == ("$.sent", "format")
    assert "date-time" in str(error)


def test_single_argument_more_arguments_are_rejected() -> None:
    error = rejection(validator(MESSAGE), ({"text": "a"}, {"text": "b"}, 3))
    assert (error.path, error.rule) == ("$", "arguments")
    assert "expected 1 argument, got 3" in str(error)


def test_no_argument_validates_as_null() -> None:
    validator({"type": "null"}).validate(())
    validator({"type": ["string", "null"]}).validate(())
    error = rejection(validator(MESSAGE), ())
    assert (error.path, error.rule) == ("$", "type")
    assert "no argument given, validated as null" in str(error)


def test_single_list_schema_that_is_not_an_array_schema() -> None:
    check = validator({"type": ["array", "null"], "items": {"type": "integer"}})
    check.validate(([1, 2],))
    check.validate(())
    assert rejection(check, (1, 2)).rule == "arguments"


def test_single_argument_no_lax_coercion() -> None:
    check = validator(
        {"type": "object", "properties": {"n": {"type": "integer"}, "b": {"type": "boolean"}}}
    )
    check.validate(({"n": 5, "b": True},))
    assert rejection(check, ({"n": "5"},)).path == "$.n"
    assert rejection(check, ({"n": True},)).path == "$.n"
    assert rejection(check, ({"b": "true"},)).path == "$.b"
    assert rejection(check, ({"b": 1},)).path == "$.b"


@given(st.integers())
def test_single_integer_argument_accepts_every_int(value: int) -> None:
    validator({"type": "integer"}).validate((value,))


@given(
    st.one_of(
        st.booleans(),
        st.text(),
        st.none(),
        st.floats(allow_nan=False).filter(lambda f: not f.is_integer()),
    )
)
def test_single_integer_argument_rejects_non_integers(value: Any) -> None:
    error = rejection(validator({"type": "integer"}), (value,))
    assert (error.path, error.rule) == ("$", "type")


# TUPLE


def test_tuple_positional_arguments_valid() -> None:
    validator(PAIR).validate(("a", 1))


def test_tuple_wrong_argument_reports_its_position() -> None:
    error = rejection(validator(PAIR), ("a", "b"))
    assert (error.path, error.rule) == ("$[1]", "type")


def test_tuple_one_list_in_place_of_the_arguments_fails_at_position_zero() -> None:
    schema = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}
    error = rejection(validator(schema), (["a", 1],))
    assert (error.path, error.rule) == ("$[0]", "type")


def test_tuple_one_list_in_place_of_the_arguments_fails_on_arity_when_bounded() -> None:
    error = rejection(validator(PAIR), (["a", 1],))
    assert (error.path, error.rule) == ("$", "minItems")
    assert "expected 2 arguments, got 1" in str(error)


def test_tuple_too_many_arguments() -> None:
    error = rejection(validator(PAIR), ("a", 1, 2))
    assert (error.path, error.rule) == ("$", "items")
    assert "expected 2 arguments, got 3" in str(error)


def test_tuple_arity_with_bounds() -> None:
    schema = {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}],
        "minItems": 1,
        "maxItems": 2,
    }
    check = validator(schema)
    check.validate(("a",))
    check.validate(("a", 2))
    error = rejection(check, ("a", 2, True))
    assert (error.rule, "expected 1 to 2 arguments, got 3" in str(error)) == ("maxItems", True)
    assert "expected 1 to 2 arguments, got 0" in str(rejection(check, ()))


def test_tuple_extra_arguments_follow_items() -> None:
    schema = {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}}
    check = validator(schema)
    check.validate(("a", 1, 2, 3))
    assert rejection(check, ("a", 1, "x")).path == "$[2]"


def test_tuple_paths_inside_arguments() -> None:
    schema = {
        "type": "array",
        "prefixItems": [{"type": "string"}, MESSAGE],
    }
    error = rejection(validator(schema), ("room", {"text": "hi", "user": {"age": -1}}))
    assert (error.path, error.rule) == ("$[1].user.age", "minimum")


# LIST


def test_list_accepts_one_list_argument() -> None:
    validator(NUMBERS).validate(([1, 2, 3],))


def test_list_accepts_several_arguments_as_the_list() -> None:
    check = validator(NUMBERS)
    check.validate((1, 2, 3))
    check.validate((7,))
    check.validate(())


def test_list_invalid_item_paths() -> None:
    check = validator(NUMBERS)
    assert rejection(check, ([1, "x"],)).path == "$[1]"
    assert rejection(check, (1, 2, "x")).path == "$[2]"
    assert rejection(check, ("x",)).path == "$[0]"


def test_list_bounds_apply_to_the_list() -> None:
    check = validator({"type": "array", "items": {"type": "string"}, "maxItems": 2})
    check.validate(("a", "b"))
    error = rejection(check, (["a", "b", "c"],))
    assert (error.path, error.rule) == ("$", "maxItems")


def test_list_of_lists_takes_a_lone_list_as_the_list() -> None:
    check = validator({"type": "array", "items": {"type": "array"}})
    check.validate(([[1], [2]],))
    check.validate(([1], [2]))
    assert rejection(check, ([1, 2],)).path == "$[0]"


@given(st.lists(st.integers(), max_size=5))
def test_list_either_way_is_the_same(values: list[int]) -> None:
    check = validator(NUMBERS)
    check.validate((values,))
    check.validate(tuple(values))


# Acks, recursion, depth


def test_ack_validator_raises_ack_exceptions() -> None:
    check = validator({"type": "boolean"}, exception_type=MessageAckValidationException, what="ack")
    check.validate((True,))
    error = rejection(check, ("yes",), MessageAckValidationException)
    assert "invalid ack" in str(error)
    assert error.rule == "type"


def test_recursive_schema_with_defs() -> None:
    schema = {
        "$defs": {
            "comment": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "replies": {"type": "array", "items": {"$ref": "#/$defs/comment"}},
                },
                "required": ["text"],
            }
        },
        "type": "object",
        "properties": {"thread": {"$ref": "#/$defs/comment"}},
    }
    check = validator(schema)
    check.validate(
        ({"thread": {"text": "a", "replies": [{"text": "b", "replies": [{"text": "c"}]}]}},)
    )
    error = rejection(check, ({"thread": {"text": "a", "replies": [{"replies": []}]}},))
    assert (error.path, error.rule) == ("$.thread.replies[0]", "required")


def test_payload_nested_too_deeply_is_a_validation_error() -> None:
    schema = {
        "$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}},
        "$ref": "#/$defs/n",
    }
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    error = rejection(validator(schema), (deep,))
    assert (error.path, error.rule) == ("$", "depth")
    assert f"payload nested too deeply (more than {MAX_DEPTH} levels" in str(error)


def test_non_json_argument_is_a_validation_error() -> None:
    error = rejection(
        validator({"type": "object", "properties": {"f": {"type": "string"}}}), ({"f": b"x"},)
    )
    assert (error.path, error.rule) == ("$.f", "json")
