"""The example generator and the property tables, on schemas written for each case."""

from __future__ import annotations

from typing import Any

import pytest

from asynction.docs.examples import NoExample, example_from_regex, generate_example
from asynction.docs.schema_view import schema_table
from asynction.validation import CompiledSchema

TREE: dict[str, Any] = {
    "type": "object",
    "properties": {"root": {"$ref": "#/$defs/Node"}},
    "required": ["root"],
    "$defs": {
        "Node": {
            "type": "object",
            "description": "A node.",
            "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                "next": {"$ref": "#/$defs/Node"},
            },
            "required": ["value"],
        }
    },
}


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "string", "minLength": 10, "maxLength": 12}, id="string-length"),
        pytest.param({"type": "string", "maxLength": 2}, id="short-string"),
        pytest.param({"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"}, id="pattern"),
        pytest.param({"type": "string", "pattern": "^(ab|cd)+$", "minLength": 5}, id="pattern-len"),
        pytest.param({"type": "string", "pattern": "^[^a-z]+$"}, id="negated-class"),
        pytest.param({"type": "string", "format": "email"}, id="email"),
        pytest.param({"type": "string", "format": "date-time"}, id="date-time"),
        pytest.param({"type": "integer", "exclusiveMinimum": 5, "multipleOf": 3}, id="int-bounds"),
        pytest.param({"type": "integer", "maximum": -7}, id="negative"),
        pytest.param(
            {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, id="open-unit"
        ),
        pytest.param({"type": "number", "minimum": 0.25, "multipleOf": 0.25}, id="float-step"),
        pytest.param({"type": ["null", "boolean"]}, id="nullable"),
        pytest.param({"enum": [3, "x"]}, id="enum"),
        pytest.param({"const": {"a": [1]}}, id="const"),
        pytest.param(
            {
                "type": "array",
                "prefixItems": [{"type": "string"}, {"type": "integer"}],
                "items": False,
            },
            id="tuple",
        ),
        pytest.param(
            {"type": "array", "items": {"type": "integer"}, "minItems": 3}, id="min-items"
        ),
        pytest.param({"type": "array", "maxItems": 0}, id="empty-array"),
        pytest.param(
            {
                "type": "object",
                "minProperties": 2,
                "additionalProperties": {"type": "boolean"},
            },
            id="min-properties",
        ),
        pytest.param(
            {
                "type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                "dependentRequired": {"a": ["b"]},
                "maxProperties": 2,
            },
            id="dependent-required",
        ),
        pytest.param(
            {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                    {"properties": {"b": {"type": "string"}}, "required": ["b"]},
                ],
                "unevaluatedProperties": False,
            },
            id="all-of",
        ),
        pytest.param(
            {"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]}, id="one-of-overlap"
        ),
        pytest.param(TREE, id="recursive"),
    ],
)
def test_generated_examples_validate_and_are_deterministic(schema: dict[str, Any]) -> None:
    value = generate_example(schema)
    assert CompiledSchema(schema).is_valid(value), value
    assert generate_example(schema) == value


def test_readable_defaults() -> None:
    assert generate_example({"type": "string", "format": "uuid"}) == (
        "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    )
    assert generate_example({"type": "string", "examples": ["hello"]}) == "hello"
    assert generate_example({"type": "string", "default": "d"}) == "d"
    assert generate_example(
        {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"}}}
    ) == {"a": 0, "b": True}
    # a recursive optional property is left out, a recursive array stays empty
    assert generate_example(TREE) == {"root": {"value": 0, "children": []}}


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param(False, id="false"),
        pytest.param({"not": {}}, id="not-anything"),
        pytest.param({"type": "string", "pattern": "\\p{L}"}, id="ecma-only-pattern"),
        pytest.param(
            {
                "type": "object",
                "properties": {"self": {"$ref": "#/$defs/Loop"}},
                "required": ["self"],
                "$defs": {
                    "Loop": {
                        "type": "object",
                        "properties": {"self": {"$ref": "#/$defs/Loop"}},
                        "required": ["self"],
                    }
                },
            },
            id="required-recursion",
        ),
    ],
)
def test_no_example_when_none_can_be_made(schema: Any) -> None:
    with pytest.raises(NoExample):
        generate_example(schema)


def test_example_from_regex() -> None:
    assert example_from_regex("^[a-z0-9-]{1,32}$") == "a"
    assert example_from_regex("^x+$", min_length=3) == "xxx"
    assert example_from_regex("^abc$", max_length=2) is None
    assert example_from_regex("(") is None


def test_table_rows_for_nested_pieces() -> None:
    table = schema_table(TREE, anchor_prefix="t")
    assert table.type == "object"
    rows = [(row.depth, row.name, row.type, row.required, row.recursive) for row in table.rows]
    assert rows == [
        (0, "root", "object", True, False),
        (1, "value", "integer", True, False),
        (1, "children", "array of Node", False, False),
        (2, "[ ]", "Node", None, True),
        (1, "next", "Node", False, True),
    ]
    root = table.rows[0]
    assert root.ref == "Node"
    assert root.anchor == "t-def-1"
    assert table.rows[3].ref_anchor == "t-def-1"
    assert root.description == "A node."
    assert table.defs == ("Node",)


def test_table_of_a_tuple_of_arguments() -> None:
    schema = {
        "type": "array",
        "prefixItems": [
            {"type": "string", "enum": ["a", "b"]},
            {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
        ],
        "minItems": 1,
    }
    table = schema_table(schema, anchor_prefix="t", positional=True)
    assert table.type == "tuple of 2"
    assert [(row.name, row.type, row.required) for row in table.rows] == [
        ("argument 1", "string", True),
        ("argument 2", "one of", False),
        ("one of #1", "integer", None),
        ("one of #2", "null", None),
    ]
    enum = table.rows[0].constraints[0]
    assert (enum.label, enum.values) == ("enum", ('"a"', '"b"'))
    assert [(c.label, c.values) for c in table.rows[2].constraints] == [("≥", ("1",))]


def test_tables_are_bounded() -> None:
    wide = {
        "type": "object",
        "properties": {f"p{i}": {"type": "string"} for i in range(50)},
        "enum": list(range(100)),
    }
    table = schema_table(wide, anchor_prefix="t", max_rows=10)
    assert len(table.rows) == 10
    assert table.truncated
    assert table.constraints[0].more == 100 - len(table.constraints[0].values)
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(30):
        deep = {"type": "object", "properties": {"d": deep}}
    table = schema_table(deep, anchor_prefix="t")
    assert table.truncated
    assert max(row.depth for row in table.rows) <= 12
