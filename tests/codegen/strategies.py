"""Hypothesis strategies for JSON values from JSON Schemas (the subset the example specs use), and
mutations of those values. Generated values are meant to be mostly valid; the differential tests
do not rely on it: they check that two validators agree, whatever the value."""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from datetime import timezone
from typing import Any

from hypothesis import strategies as st

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
CONFUSING = st.sampled_from(
    [
        "5",
        "5.5",
        "true",
        "false",
        "null",
        "",
        5,
        -1,
        0,
        5.5,
        1e300,
        True,
        False,
        None,
        [],
        {},
        ["x"],
        {"x": 1},
        "2024-13-45T99:99:99Z",
        "1990-12-31T23:59:60Z",
        "not-a-uuid",
        "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
        "x" * 40,
    ]
)


_DEEP_REFERENCES: dict[tuple[int, str], Any] = {}


def from_schema(schema: Any, root: Mapping[str, Any] | None = None, depth: int = 0) -> Any:
    """A strategy for values of ``schema`` (``root`` resolves ``#/$defs/...`` references)."""
    root = root if root is not None else (schema if isinstance(schema, Mapping) else {})
    if schema is True or schema == {}:
        return JSON_VALUES
    if schema is False or not isinstance(schema, Mapping):
        return st.nothing()
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#"):
        target: Any = root
        for token in reference[2:].split("/") if reference != "#" else ():
            token = token.replace("~1", "/").replace("~0", "~")
            target = target[int(token)] if isinstance(target, list) else target.get(token, {})
        if depth > 3:
            # Deep in a schema that refers to itself (through anyOf, with no object to stop at):
            # one lazily built strategy per reference, so that the strategies form a cycle
            # rather than an endless chain.
            key = (id(root), reference)
            known = _DEEP_REFERENCES.get(key)
            if known is None:
                known = _DEEP_REFERENCES[key] = st.deferred(lambda: from_schema(target, root, 4))
            return known
        return from_schema(target, root, depth + 1)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return st.one_of([from_schema(part, root, depth + 1) for part in schema[combinator]])
    if "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            if isinstance(part, Mapping):
                merged.update(part)
        return from_schema(merged, root, depth)
    declared = schema.get("type")
    kinds = declared if isinstance(declared, list) else [declared] if declared else []
    if not kinds:
        if "properties" in schema:
            kinds = ["object"]
        elif "prefixItems" in schema or "items" in schema:
            kinds = ["array"]
        else:
            return JSON_VALUES
    return st.one_of([_typed(kind, schema, root, depth) for kind in kinds])


def _typed(kind: str, schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> Any:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = schema.get("minimum")
        high = schema.get("maximum")
        if "exclusiveMinimum" in schema:
            low = int(schema["exclusiveMinimum"]) + 1
        if "exclusiveMaximum" in schema:
            high = int(schema["exclusiveMaximum"]) - 1
        return st.integers(
            min_value=None if low is None else int(low),
            max_value=None if high is None else int(high),
        )
    if kind == "number":
        low = schema.get("minimum")
        high = schema.get("maximum")
        multiple = schema.get("multipleOf")
        if multiple is not None:
            return st.integers(-1000, 1000).map(lambda n: round(n * multiple, 10))
        return st.floats(
            min_value=low, max_value=high, allow_nan=False, allow_infinity=False
        ) | st.integers(
            min_value=None if low is None else int(low),
            max_value=None if high is None else int(high),
        )
    if kind == "string":
        return _string(schema)
    if kind == "array":
        return _array(schema, root, depth)
    if kind == "object":
        return _object(schema, root, depth)
    return JSON_VALUES


def _string(schema: Mapping[str, Any]) -> Any:
    fmt = schema.get("format")
    if fmt == "date-time":
        return st.datetimes(timezones=st.just(timezone.utc)).map(
            lambda moment: moment.isoformat().replace("+00:00", "Z")
        )
    if fmt == "uuid":
        return st.uuids().map(str)
    if fmt == "email":
        return st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.[a-z]{2,3}", fullmatch=True)
    low = schema.get("minLength", 0)
    high = schema.get("maxLength")
    pattern = schema.get("pattern")
    if pattern is not None:
        strategy = st.from_regex(_ascii_classes(pattern), fullmatch=True)
        return strategy.filter(lambda text: low <= len(text) <= (high or len(text)))
    alphabet = st.characters(codec="utf-8", exclude_categories=("Cs",))
    return st.text(alphabet, min_size=low, max_size=min(high, low + 20) if high else low + 20)


def _ascii_classes(pattern: str) -> str:
    # ECMA-262 \d is ASCII; Python's matches every Unicode digit.
    return pattern.replace("\\d", "[0-9]")


def _array(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> Any:
    low = schema.get("minItems", 0)
    high = schema.get("maxItems")
    prefix = schema.get("prefixItems")
    items = schema.get("items", True)
    if depth > 3:
        items = False if prefix else items
        high = low if high is None else min(high, low)
    if prefix:
        head = [from_schema(item, root, depth + 1) for item in prefix]

        def build(count: int) -> Any:
            return st.tuples(*head[:count]).map(list)

        counts = st.integers(min_value=min(low, len(head)), max_value=len(head))
        base = counts.flatmap(build)
        if items is False:
            return base
        extra = st.lists(from_schema(items, root, depth + 1), max_size=2)
        return st.tuples(base, extra).map(
            lambda pair: pair[0] + pair[1] if len(pair[0]) == len(head) else pair[0]
        )
    element = from_schema(items, root, depth + 1)
    size = min(high, low + 4) if high is not None else low + 4
    if schema.get("uniqueItems"):
        return st.lists(element, min_size=low, max_size=size, unique_by=_canonical)
    return st.lists(element, min_size=low, max_size=size)


def _object(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> Any:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    if depth > 3:
        properties = {name: sub for name, sub in properties.items() if name in required}
    fixed = {
        name: from_schema(sub, root, depth + 1)
        for name, sub in properties.items()
        if name in required
    }
    optional = {
        name: from_schema(sub, root, depth + 1)
        for name, sub in properties.items()
        if name not in required
    }
    for name in required - set(properties):
        fixed[name] = JSON_VALUES
    strategy = st.fixed_dictionaries(fixed, optional=optional)
    additional = schema.get("additionalProperties", True)
    patterns = schema.get("patternProperties") or {}
    if patterns:
        pattern, sub = next(iter(patterns.items()))
        keys = st.from_regex(pattern, fullmatch=False).filter(lambda key: key not in properties)
        extra = st.dictionaries(keys, from_schema(sub, root, depth + 1), max_size=2)
        strategy = st.tuples(strategy, extra).map(lambda pair: {**pair[1], **pair[0]})
    elif additional is not False:
        keys = st.text(string.ascii_lowercase, min_size=1, max_size=5).filter(
            lambda key: key not in properties
        )
        extra = st.dictionaries(keys, from_schema(additional, root, depth + 1), max_size=1)
        strategy = st.tuples(strategy, extra).map(lambda pair: {**pair[1], **pair[0]})
    return strategy


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], tuple(rest), new)}
    copy = list(value)
    copy[head] = _replace(copy[head], tuple(rest), new)
    return copy


def _drop(value: Any, path: tuple[Any, ...]) -> Any:
    if len(path) == 1:
        if isinstance(value, dict):
            return {key: item for key, item in value.items() if key != path[0]}
        return [item for index, item in enumerate(value) if index != path[0]]
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: _drop(value[head], tuple(rest))}
    copy = list(value)
    copy[head] = _drop(copy[head], tuple(rest))
    return copy


@st.composite
def mutated(draw: Any, base: Any) -> Any:
    """``base`` with one thing changed: a value replaced by a confusing one, a key or an item
    dropped, an unknown key added, the whole value wrapped in a list."""
    value = draw(base)
    paths = _paths(value)
    path = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["replace", "replace", "drop", "add", "wrap"]))
    if action == "drop" and path:
        return _drop(value, path)
    if action == "add":
        dicts = [p for p in paths if isinstance(_get(value, p), dict)]
        if dicts:
            target = draw(st.sampled_from(dicts))
            key = draw(st.sampled_from(["unexpected", "p_x", "X-Other"]))
            return _replace(value, target, {**_get(value, target), key: draw(CONFUSING)})
    if action == "wrap":
        return [value]
    return _replace(value, path, draw(CONFUSING | JSON_LEAVES))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for token in path:
        value = value[token]
    return value


def valid_or_mutated(schema: Any) -> Any:
    """Values of ``schema``, and mutations of them."""
    base = from_schema(schema)
    return base | mutated(base)
