"""CompiledSchema: JSON Schema 2020-12 semantics, formats, error details, and values that are not
plain JSON (non-JSON types, NaN, deep nesting)."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asynction.exceptions import SpecError, SpecLocation
from asynction.validation import MAX_DEPTH, CompiledSchema, json_path
from asynction.validation.depth import is_recursive

ROOT = Path(__file__).resolve().parents[2]

USER = {
    "type": "object",
    "properties": {
        "user": {
            "type": "object",
            "properties": {"age": {"type": "integer", "minimum": 0}, "name": {"type": "string"}},
            "required": ["name"],
            "additionalProperties": False,
        },
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["user"],
}

TREE = {
    "$defs": {
        "node": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
            "required": ["name"],
            "additionalProperties": False,
        }
    },
    "type": "object",
    "properties": {"root": {"$ref": "#/$defs/node"}},
    "required": ["root"],
}


def nested_lists(depth: int, leaf: Any = None) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def test_valid_instance_has_no_error() -> None:
    schema = CompiledSchema(USER)
    instance = {"user": {"name": "ann", "age": 3}, "tags": ["a"]}
    assert schema.is_valid(instance)
    assert schema.first_error(instance) is None
    assert schema.failure(instance) is None


@pytest.mark.parametrize(
    ("instance", "path", "rule", "fragment"),
    [
        (
            {"user": {"name": "ann", "age": "3"}},
            "$.user.age",
            "type",
            '"3" is not of type "integer"',
        ),
        ({"user": {"name": "ann", "age": -1}}, "$.user.age", "minimum", "minimum of 0"),
        ({"user": {"age": 3}}, "$.user", "required", '"name" is a required property'),
        ({"user": {"name": "a", "x": 1}}, "$.user", "additionalProperties", "'x' was unexpected"),
        ({"user": {"name": "a"}, "tags": ["a", 2]}, "$.tags[1]", "type", "2 is not of type"),
        ({}, "$", "required", '"user" is a required property'),
        ([], "$", "type", 'is not of type "object"'),
    ],
)
def test_first_error_names_path_message_and_rule(
    instance: Any, path: str, rule: str, fragment: str
) -> None:
    schema = CompiledSchema(USER)
    assert not schema.is_valid(instance)
    error = schema.first_error(instance)
    assert error is not None
    assert error[0] == path
    assert error[2] == rule
    assert fragment in error[1]


def test_failure_details_carry_the_keyword_parameters() -> None:
    failure = CompiledSchema(USER).failure({"user": {"name": "a", "x": 1, "y": 2}})
    assert failure is not None
    assert failure.path == ("user",)
    assert failure.details == {"unexpected": ["x", "y"]}


@pytest.mark.parametrize(
    ("schema", "unexpected"),
    [
        ({"type": "object", "additionalProperties": False}, ["a", "b", "keep"]),
        (
            {"type": "object", "patternProperties": {"^k": {}}, "additionalProperties": False},
            ["a", "b"],
        ),
        (
            {"$defs": {"0": {"additionalProperties": False}}, "$ref": "#/$defs/0"},
            ["a", "b", "keep"],
        ),
    ],
)
def test_additional_properties_false_lists_every_unexpected_property(
    schema: dict[str, Any], unexpected: list[str]
) -> None:
    failure = CompiledSchema(schema).failure({"a": 1, "b": "secret", "keep": 2})
    assert failure is not None
    assert failure.path == ()
    assert failure.rule == "additionalProperties"
    assert failure.details == {"unexpected": unexpected}
    assert "secret" not in failure.message
    assert "'a', 'b'" in failure.message


def test_numeric_object_keys_are_reported_as_keys_not_indexes() -> None:
    schema = CompiledSchema({"type": "object", "properties": {"0": {"type": "string"}}})
    failure = schema.failure({"0": 1})
    assert failure is not None
    assert failure.path == ("0",)
    assert failure.json_path == "$['0']"


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ((), "$"),
        (("user", "age"), "$.user.age"),
        ((0, "x-api-key", 3), "$[0]['x-api-key'][3]"),
        (("it's",), "$['it\\'s']"),
        (("_a1",), "$._a1"),
        (("1a",), "$['1a']"),
    ],
)
def test_json_path(tokens: tuple[str | int, ...], expected: str) -> None:
    assert json_path(tokens) == expected


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("date-time", "2024-05-01T12:30:00Z", "2024-05-01"),
        ("date-time", "2024-05-01T12:30:00+02:00", "2024-13-01T12:30:00Z"),
        ("email", "ann@example.com", "ann.example.com"),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456"),
        ("ipv4", "192.168.0.1", "192.168.0.256"),
        ("uri", "https://example.com/a?b=c", "/relative/path"),
        ("date", "2024-02-29", "2023-02-29"),
    ],
)
def test_formats_are_checked(fmt: str, good: str, bad: str) -> None:
    schema = CompiledSchema({"type": "string", "format": fmt})
    assert schema.is_valid(good)
    assert not schema.is_valid(bad)
    error = schema.first_error(bad)
    assert error is not None
    assert error[0] == "$"
    assert error[2] == "format"
    assert fmt in error[1]


def test_unknown_formats_are_ignored() -> None:
    assert CompiledSchema({"type": "string", "format": "x-custom"}).is_valid("anything")


def test_no_lax_coercion() -> None:
    integer = CompiledSchema({"type": "integer"})
    boolean = CompiledSchema({"type": "boolean"})
    number = CompiledSchema({"type": "number"})
    assert not integer.is_valid("5")
    assert not integer.is_valid(True)
    assert not integer.is_valid(False)
    assert not boolean.is_valid("true")
    assert not boolean.is_valid(1)
    assert not boolean.is_valid(0)
    assert not number.is_valid(True)
    assert not number.is_valid("1.5")
    # JSON Schema 2020-12: a number with a zero fractional part is an integer.
    assert integer.is_valid(1.0)
    assert integer.is_valid(1)
    assert not integer.is_valid(1.5)
    assert CompiledSchema({"type": "integer", "maximum": 10}).is_valid(10**30) is False
    assert integer.is_valid(10**30)


def test_booleans_and_numbers_are_distinct_in_enum_and_const() -> None:
    assert not CompiledSchema({"enum": [1, 2]}).is_valid(True)
    assert not CompiledSchema({"const": True}).is_valid(1)
    assert CompiledSchema({"const": 1}).is_valid(1.0)


@given(st.integers())
def test_any_int_is_an_integer(value: int) -> None:
    assert CompiledSchema({"type": "integer"}).is_valid(value)


@given(st.one_of(st.text(), st.booleans(), st.none(), st.lists(st.integers(), max_size=3)))
def test_no_non_number_is_an_integer(value: Any) -> None:
    schema = CompiledSchema({"type": "integer"})
    assert not schema.is_valid(value)
    error = schema.first_error(value)
    assert error is not None
    assert error[2] == "type"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_integers_exactly_when_integral(value: float) -> None:
    assert CompiledSchema({"type": "integer"}).is_valid(value) == value.is_integer()


@given(st.text(max_size=20), st.integers(min_value=0, max_value=10))
def test_max_length_counts_characters(value: str, limit: int) -> None:
    schema = CompiledSchema({"type": "string", "maxLength": limit})
    assert schema.is_valid(value) == (len(value) <= limit)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_do_not_crash_and_are_no_numbers(value: float) -> None:
    schema = CompiledSchema({"type": "object", "properties": {"x": {"type": "number"}}})
    assert not schema.is_valid({"x": value})
    error = schema.first_error({"x": value})
    assert error is not None
    assert error[0] == "$.x"
    assert "not a JSON number" in error[1]


@pytest.mark.parametrize(
    ("instance", "path", "fragment"),
    [
        ({"a": b"bytes"}, "$.a", "bytes value is not JSON data"),
        ({"a": [1, {2, 3}]}, "$.a[1]", "set value is not JSON data"),
        ({"a": {1: "x"}}, "$.a", "object key 1 (int) is not a string"),
        ({"a": object()}, "$.a", "object value is not JSON data"),
    ],
)
def test_values_that_are_not_json_are_invalid_with_their_location(
    instance: Any, path: str, fragment: str
) -> None:
    schema = CompiledSchema(
        {
            "type": "object",
            "properties": {"a": {"type": ["string", "array"], "items": {"type": "integer"}}},
        }
    )
    assert not schema.is_valid(instance)
    error = schema.first_error(instance)
    assert error is not None
    assert error[0] == path
    assert fragment in error[1]
    assert error[2] == "json"


def test_values_the_schema_does_not_look_at_may_be_anything() -> None:
    # Socket.IO binary attachments arrive as bytes: a schema that constrains nothing there passes.
    schema = CompiledSchema({"type": "object", "properties": {"a": {}}, "required": ["a"]})
    assert schema.is_valid({"a": b"\x00\x01"})


def test_recursive_schema_validates_recursive_data() -> None:
    schema = CompiledSchema(TREE)
    tree = {"root": {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}}
    assert schema.is_valid(tree)
    bad = {"root": {"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]}}
    assert schema.first_error(bad) == (
        "$.root.children[0].children[0].name",
        '3 is not of type "string"',
        "type",
    )
    missing = {"root": {"name": "a", "children": [{"children": []}]}}
    error = schema.first_error(missing)
    assert error is not None
    assert error[:1] == ("$.root.children[0]",)
    assert error[2] == "required"
    assert schema.recursive


def test_recursive_schema_accepts_values_up_to_the_depth_limit() -> None:
    schema = CompiledSchema(
        {"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}
        | {"type": "array"}
    )
    assert schema.is_valid(nested_lists(MAX_DEPTH, leaf=[])[0])
    assert schema.is_valid(nested_lists(MAX_DEPTH - 1, leaf=[]))
    too_deep = nested_lists(MAX_DEPTH + 1, leaf=[])
    assert not schema.is_valid(too_deep)
    assert schema.first_error(too_deep) == (
        "$",
        f"value is nested too deeply (more than {MAX_DEPTH} levels)",
        "depth",
    )


def test_deep_values_against_non_recursive_schemas_do_not_crash() -> None:
    deep = nested_lists(100_000, leaf=1)
    assert CompiledSchema({"type": "array"}).is_valid(deep)
    const = CompiledSchema({"const": [[1]]})
    assert not const.is_valid(deep)
    error = const.first_error(deep)
    assert error is not None
    assert error[2] == "depth"
    unique = CompiledSchema({"type": "array", "uniqueItems": True})
    assert not unique.is_valid([deep, deep])
    assert unique.first_error([deep, deep]) is not None


def test_deeply_nested_values_never_crash_the_process() -> None:
    # A native stack overflow would kill the interpreter, so the attempt runs in a child process,
    # once on the main thread and once on a thread with a small (512 KiB) stack at the depth limit.
    script = textwrap.dedent(
        """
        import threading
        from asynction.validation import MAX_DEPTH, CompiledSchema

        def nest(depth, make):
            value = 1
            for _ in range(depth):
                value = make(value)
            return value

        lists = CompiledSchema({"$defs": {"n": {"type": ["array", "integer"],
                                               "items": {"$ref": "#/$defs/n"}}},
                                "$ref": "#/$defs/n"})
        objects = CompiledSchema({"type": ["object", "integer"], "properties": {"c": {"$ref": "#"}}})
        deep_lists = nest(100_000, lambda v: [v])
        deep_objects = nest(100_000, lambda v: {"c": v})
        assert not lists.is_valid(deep_lists)
        assert lists.first_error(deep_lists)[2] == "depth"
        assert not objects.is_valid(deep_objects)
        assert objects.first_error(deep_objects)[2] == "depth"

        results = []
        def at_limit():
            results.append(lists.is_valid(nest(MAX_DEPTH, lambda v: [v])))
            results.append(objects.is_valid(nest(MAX_DEPTH, lambda v: {"c": v})))
        threading.stack_size(512 * 1024)
        thread = threading.Thread(target=at_limit)
        thread.start()
        thread.join()
        assert results == [True, True], results
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "object"}, False),
        ({"$defs": {"a": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a"}}}, False),
        (
            {
                "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"type": "string"}},
                "properties": {"x": {"$ref": "#/$defs/a"}, "y": {"$ref": "#/$defs/b"}},
            },
            False,
        ),
        (TREE, True),
        ({"properties": {"self": {"$ref": "#"}}}, True),
        (
            {
                "$defs": {
                    "a": {"properties": {"b": {"$ref": "#/$defs/b"}}},
                    "b": {"items": {"$ref": "#/$defs/a"}},
                },
                "$ref": "#/$defs/a",
            },
            True,
        ),
        ({"properties": {"x": {"$ref": "#anchor"}}}, True),
        ({"properties": {"x": {"$dynamicRef": "#meta"}}}, True),
        ({"$defs": {"a~b": {"type": "string"}}, "items": {"$ref": "#/$defs/a~0b"}}, False),
    ],
)
def test_recursion_detection(schema: dict[str, Any], expected: bool) -> None:
    assert is_recursive(schema) is expected


def test_compilation_is_lazy_and_invalid_schemas_raise_spec_errors() -> None:
    location = SpecLocation("api.yaml", "/components/messages/m/payload")
    schema = CompiledSchema({"type": "string", "pattern": "("}, location=location)
    with pytest.raises(SpecError) as raised:
        schema.is_valid("x")
    assert raised.value.problems[0][0] == location
    assert "invalid JSON Schema" in str(raised.value)
    with pytest.raises(SpecError):
        CompiledSchema({"type": 12}).compile()


def test_remote_references_are_never_fetched() -> None:
    with pytest.raises(SpecError, match=r"example\.invalid"):
        CompiledSchema({"$ref": "https://example.invalid/schema.json"}).compile()


def test_read_only_mappings_and_tuples_are_accepted() -> None:
    schema = CompiledSchema(
        types.MappingProxyType(
            {"type": "object", "required": ("a",), "properties": {"a": {"enum": ("x", "y")}}}
        )
    )
    assert schema.is_valid({"a": "x"})
    assert not schema.is_valid({"a": "z"})


def test_long_messages_mask_the_value() -> None:
    schema = CompiledSchema({"type": "object", "properties": {"a": {"type": "string"}}})
    big = {"a": list(range(1000))}
    error = schema.first_error(big)
    assert error is not None
    assert error[1] == 'value is not of type "string"'


def test_mask_hides_the_value() -> None:
    schema = CompiledSchema({"type": "string", "pattern": "^tok_"}, mask="token")
    error = schema.first_error("hunter2")
    assert error is not None
    assert "hunter2" not in error[1]
    assert error[1].startswith("token ")
