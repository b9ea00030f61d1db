"""JSON Schemas of the model flattened into readable property tables for the docs page.

A schema becomes a :class:`SchemaTable`: a summary of its root (type, constraints, description)
and one :class:`SchemaRow` per nested piece — object properties, array items, tuple positions
(``prefixItems``), ``oneOf``/``anyOf``/``allOf`` options, pattern and additional properties — each
with its depth in the tree. ``$ref``s into ``$defs`` are expanded in place and named; a reference to
a definition that is already being expanded further up (a recursive schema) is shown by name and
links to that expansion instead of being expanded again. Tables are bounded in depth and rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from asynction.spec.model import JsonSchema

__all__ = [
    "MAX_DEPTH",
    "MAX_ROWS",
    "Constraint",
    "RowKind",
    "SchemaRow",
    "SchemaTable",
    "compact_json",
    "schema_table",
]

MAX_DEPTH = 12
"""Rows nested deeper than this are not shown (the table says it was cut)."""
MAX_ROWS = 400
"""At most this many rows per table (the table says it was cut)."""
MAX_VALUES = 24
"""At most this many enum values or examples are listed."""
MAX_VALUE_CHARS = 160

RowKind = Literal["property", "argument", "item", "variant", "pattern", "additional"]

_COMBINATORS = (("oneOf", "one of"), ("anyOf", "any of"), ("allOf", "all of"))


@dataclass(frozen=True)
class Constraint:
    """One constraint of a schema: a label and the JSON values it involves (may be empty)."""

    label: str
    values: tuple[str, ...] = ()
    more: int = 0
    """How many further values were left out."""


@dataclass(frozen=True)
class SchemaRow:
    """One row of a property table."""

    depth: int
    name: str
    kind: RowKind
    type: str
    """A readable type: ``string (uuid)``, ``array of RoomRef``, ``integer | null``, ``one of``."""
    required: bool | None = None
    """For object properties and tuple positions; ``None`` where it does not apply."""
    ref: str | None = None
    """The ``$defs`` name this row's schema comes from."""
    recursive: bool = False
    """The definition is expanded further up: it is named and linked, not expanded again."""
    anchor: str | None = None
    """The element id of this row (set where a definition is first expanded)."""
    ref_anchor: str | None = None
    """For recursive rows, the id of the row where the definition is expanded."""
    constraints: tuple[Constraint, ...] = ()
    description: str | None = None
    examples: tuple[str, ...] = ()
    """JSON-encoded example values."""
    deprecated: bool = False


@dataclass(frozen=True)
class SchemaTable:
    """A schema as a root summary and the rows of everything nested in it."""

    type: str
    ref: str | None = None
    constraints: tuple[Constraint, ...] = ()
    description: str | None = None
    examples: tuple[str, ...] = ()
    rows: tuple[SchemaRow, ...] = ()
    truncated: bool = False
    """Rows were left out (too deep or too many)."""
    defs: tuple[str, ...] = field(default=())
    """Names of the definitions (``$defs``) the schema uses."""


def compact_json(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """``value`` as one line of JSON, cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=False, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def schema_table(
    schema: JsonSchema | bool,
    *,
    anchor_prefix: str,
    positional: bool = False,
    max_rows: int = MAX_ROWS,
    max_depth: int = MAX_DEPTH,
) -> SchemaTable:
    """The property table of ``schema``.

    :param anchor_prefix: a prefix for element ids, unique within the page.
    :param positional: the schema is a tuple of Socket.IO arguments: its ``prefixItems`` rows are
        named ``argument 1``, ``argument 2``….
    """
    builder = _Builder(schema, anchor_prefix, max_rows, max_depth)
    return builder.table(positional)


class _Builder:
    def __init__(
        self, root: JsonSchema | bool, anchor_prefix: str, max_rows: int, max_depth: int
    ) -> None:
        self.root = root
        defs = root.get("$defs") if isinstance(root, Mapping) else None
        self.defs: Mapping[str, Any] = defs if isinstance(defs, Mapping) else {}
        self.prefix = anchor_prefix
        self.max_rows = max_rows
        self.max_depth = max_depth
        self.rows: list[SchemaRow] = []
        self.truncated = False
        self.expanded: dict[str, str] = {}
        """Definition name → the anchor of its first expansion."""
        self.used: list[str] = []

    def table(self, positional: bool) -> SchemaTable:
        schema, ref = self.resolve(self.root)
        stack: tuple[str, ...] = (ref,) if ref else ()
        if ref:
            self.expanded[ref] = f"{self.prefix}-root"
        self.children(schema, 0, stack, positional=positional)
        return SchemaTable(
            type=type_label(schema, self.defs),
            ref=ref,
            constraints=constraints_of(schema),
            description=_text(schema, "description"),
            examples=examples_of(schema),
            rows=tuple(self.rows),
            truncated=self.truncated,
            defs=tuple(self.used),
        )

    # -- references -----------------------------------------------------------------------

    def definition(self, ref: str) -> tuple[str, Any] | None:
        """The ``$defs`` name and schema a local reference points at."""
        prefix = "#/$defs/"
        if not ref.startswith(prefix):
            return None
        name = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
        if name not in self.defs:
            return None
        return name, self.defs[name]

    def resolve(self, schema: Any) -> tuple[Any, str | None]:
        """Follow ``$ref`` (merging sibling keywords over the target); returns the schema seen
        and the name of the first definition followed."""
        first: str | None = None
        seen: set[str] = set()
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            found = self.definition(schema["$ref"])
            if found is None or found[0] in seen:
                break
            name, target = found
            seen.add(name)
            first = first or name
            if name not in self.used:
                self.used.append(name)
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {**target, **siblings} if isinstance(target, Mapping) else target
        return schema, first

    # -- rows -----------------------------------------------------------------------------

    def add(
        self,
        schema: Any,
        name: str,
        kind: RowKind,
        depth: int,
        stack: tuple[str, ...],
        required: bool | None = None,
    ) -> None:
        if len(self.rows) >= self.max_rows or depth > self.max_depth:
            self.truncated = True
            return
        ref = _ref_name(schema, self)
        if ref is not None and ref in stack:
            target = self.defs.get(ref)
            self.rows.append(
                SchemaRow(
                    depth=depth,
                    name=name,
                    kind=kind,
                    type=ref,
                    required=required,
                    ref=ref,
                    recursive=True,
                    ref_anchor=self.expanded.get(ref),
                    description=_text(schema, "description") or _text(target, "description"),
                )
            )
            return
        resolved, ref = self.resolve(schema)
        anchor = None
        if ref is not None and ref not in self.expanded:
            anchor = f"{self.prefix}-def-{len(self.expanded) + 1}"
            self.expanded[ref] = anchor
        self.rows.append(
            SchemaRow(
                depth=depth,
                name=name,
                kind=kind,
                type=type_label(resolved, self.defs),
                required=required,
                ref=ref,
                anchor=anchor,
                constraints=constraints_of(resolved),
                description=_text(resolved, "description") or _text(resolved, "title"),
                examples=examples_of(resolved),
                deprecated=isinstance(resolved, Mapping) and resolved.get("deprecated") is True,
            )
        )
        self.children(resolved, depth + 1, (*stack, ref) if ref else stack)

    def children(
        self, schema: Any, depth: int, stack: tuple[str, ...], *, positional: bool = False
    ) -> None:
        if not isinstance(schema, Mapping):
            return
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            required = schema.get("required")
            names = set(required) if isinstance(required, list) else set()
            for key, sub in properties.items():
                self.add(sub, str(key), "property", depth, stack, required=key in names)
        patterns = schema.get("patternProperties")
        if isinstance(patterns, Mapping):
            for pattern, sub in patterns.items():
                self.add(sub, f"/{pattern}/", "pattern", depth, stack)
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            self.add(additional, "(any other key)", "additional", depth, stack)
        prefix_items = schema.get("prefixItems")
        if isinstance(prefix_items, list):
            minimum = schema.get("minItems")
            needed = minimum if isinstance(minimum, int) else len(prefix_items)
            for index, sub in enumerate(prefix_items):
                label = f"argument {index + 1}" if positional else f"[{index}]"
                self.add(sub, label, "argument", depth, stack, required=index < needed)
        items = schema.get("items")
        if isinstance(items, Mapping):
            label = f"[{len(prefix_items)}…]" if isinstance(prefix_items, list) else "[ ]"
            self.add(items, label, "item", depth, stack)
        contains = schema.get("contains")
        if isinstance(contains, Mapping) and not isinstance(items, Mapping):
            self.add(contains, "[ ] (contains)", "item", depth, stack)
        for keyword, label in _COMBINATORS:
            options = schema.get(keyword)
            if isinstance(options, list):
                for index, sub in enumerate(options):
                    self.add(sub, f"{label} #{index + 1}", "variant", depth, stack)


def _ref_name(schema: Any, builder: _Builder) -> str | None:
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        found = builder.definition(schema["$ref"])
        return found[0] if found else None
    return None


def _text(schema: Any, key: str) -> str | None:
    if isinstance(schema, Mapping):
        value = schema.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


# -- labels ---------------------------------------------------------------------------------


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        kinds = [declared]
    elif isinstance(declared, list):
        kinds = [str(kind) for kind in declared]
    elif "properties" in schema or "additionalProperties" in schema:
        kinds = ["object"]
    elif "prefixItems" in schema or "items" in schema:
        kinds = ["array"]
    else:
        kinds = []
    if schema.get("nullable") is True and "null" not in kinds:
        kinds.append("null")
    return kinds


def type_label(schema: Any, defs: Mapping[str, Any] | None = None, depth: int = 0) -> str:
    """A short readable type of ``schema``: ``string (uuid)``, ``array of RoomRef``…"""
    if schema is True:
        return "any"
    if schema is False:
        return "nothing"
    if not isinstance(schema, Mapping):
        return "?"
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
    kinds = _types(schema)
    if not kinds:
        if "const" in schema:
            return "const"
        if "enum" in schema:
            return "enum"
        for keyword, label in _COMBINATORS:
            if isinstance(schema.get(keyword), list):
                return label
        if "not" in schema:
            return "not"
        return "any"
    labels = []
    for kind in kinds:
        if kind == "array":
            labels.append(_array_label(schema, defs, depth))
        elif kind in ("string", "number", "integer") and isinstance(schema.get("format"), str):
            labels.append(f"{kind} ({schema['format']})")
        else:
            labels.append(kind)
    label = " | ".join(labels)
    for keyword, combinator in _COMBINATORS:
        if isinstance(schema.get(keyword), list):
            label += f", {combinator}"
    return label


def _array_label(schema: Mapping[str, Any], defs: Mapping[str, Any] | None, depth: int) -> str:
    prefix_items = schema.get("prefixItems")
    if isinstance(prefix_items, list):
        return f"tuple of {len(prefix_items)}"
    items = schema.get("items")
    if isinstance(items, Mapping) and depth < 3:
        inner = type_label(items, defs, depth + 1)
        if " | " in inner:
            inner = f"({inner})"
        return f"array of {inner}"
    return "array"


# -- constraints ------------------------------------------------------------------------------

_SIMPLE: tuple[tuple[str, str], ...] = (
    ("minLength", "min length"),
    ("maxLength", "max length"),
    ("pattern", "pattern"),
    ("minimum", "≥"),
    ("exclusiveMinimum", ">"),
    ("maximum", "≤"),
    ("exclusiveMaximum", "<"),
    ("multipleOf", "multiple of"),
    ("minItems", "min items"),
    ("maxItems", "max items"),
    ("minProperties", "min properties"),
    ("maxProperties", "max properties"),
    ("minContains", "min contains"),
    ("maxContains", "max contains"),
    ("contentEncoding", "encoding"),
    ("contentMediaType", "media type"),
)


def _values(values: Sequence[Any]) -> tuple[tuple[str, ...], int]:
    shown = tuple(compact_json(value) for value in values[:MAX_VALUES])
    return shown, max(len(values) - MAX_VALUES, 0)


def constraints_of(schema: Any) -> tuple[Constraint, ...]:
    """The constraints ``schema`` states, in a stable order, values as JSON."""
    if not isinstance(schema, Mapping):
        return ()
    found: list[Constraint] = []
    if "const" in schema:
        found.append(Constraint("equals", (compact_json(schema["const"]),)))
    enum = schema.get("enum")
    if isinstance(enum, list):
        values, more = _values(enum)
        found.append(Constraint("enum", values, more))
    if isinstance(schema.get("format"), str) and not _types(schema):
        found.append(Constraint("format", (compact_json(schema["format"]),)))
    for key, label in _SIMPLE:
        if key in schema and not isinstance(schema[key], (Mapping, list)):
            value = schema[key]
            if key == "pattern" and isinstance(value, str):
                found.append(Constraint(label, (value,)))
            else:
                found.append(Constraint(label, (compact_json(value),)))
    if schema.get("uniqueItems") is True:
        found.append(Constraint("unique items"))
    if schema.get("additionalProperties") is False:
        found.append(Constraint("no other properties"))
    if schema.get("unevaluatedProperties") is False:
        found.append(Constraint("no unevaluated properties"))
    if schema.get("items") is False and isinstance(schema.get("prefixItems"), list):
        found.append(Constraint("no further items"))
    dependent = schema.get("dependentRequired")
    if isinstance(dependent, Mapping):
        for name, needs in dependent.items():
            if isinstance(needs, list):
                found.append(Constraint(f"with {name!s} also", tuple(str(n) for n in needs)))
    if "not" in schema:
        found.append(Constraint("not", (type_label(schema["not"]),)))
    if "if" in schema:
        found.append(Constraint("conditional (if / then / else)"))
    if "default" in schema:
        found.append(Constraint("default", (compact_json(schema["default"]),)))
    for flag, label in (("readOnly", "read only"), ("writeOnly", "write only")):
        if schema.get(flag) is True:
            found.append(Constraint(label))
    return tuple(found)


def examples_of(schema: Any) -> tuple[str, ...]:
    """The schema's ``examples`` (and OpenAPI-style ``example``) as JSON."""
    if not isinstance(schema, Mapping):
        return ()
    values: list[Any] = []
    examples = schema.get("examples")
    if isinstance(examples, list):
        values.extend(examples)
    if "example" in schema:
        values.append(schema["example"])
    return _values(values)[0]
