"""A small deterministic example generator for the JSON Schemas of the model.

:func:`generate_example` makes one small value that a schema accepts, for documentation: the same
schema always gives the same value. A schema's own ``const``, ``examples``, ``enum`` or ``default``
is used where there is one; otherwise strings follow ``format`` and ``pattern`` and respect their
lengths, numbers sit at ``0`` or at the nearest bound, arrays hold their tuple positions and one item
(or ``minItems``), objects hold their declared properties. Two attempts are made — one that shows
every property, then one with only what is required, each starting ``oneOf``/``anyOf`` at their
first, second and third option — and the first that validates (with the same validator the server
uses) wins; :class:`NoExample` is raised when none does.
"""

from __future__ import annotations

import copy
import importlib
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from asynction.spec.model import JsonSchema
from asynction.validation import CompiledSchema

__all__ = ["FORMAT_EXAMPLES", "NoExample", "example_from_regex", "generate_example"]

FORMAT_EXAMPLES: Mapping[str, str] = {
    "date-time": "2024-01-01T12:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00Z",
    "duration": "PT1H",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "uri-reference": "/example",
    "iri": "https://example.com/",
    "iri-reference": "/example",
    "uri-template": "https://example.com/{id}",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "json-pointer": "/example",
    "relative-json-pointer": "0/example",
    "regex": "^example$",
    "byte": "ZXhhbXBsZQ==",
    "password": "secret",
}
"""Example strings for the formats JSON Schema (and OpenAPI) name."""

MAX_DEPTH = 16
"""Deeper than this, only what is required is generated (and nothing when it is recursive)."""
OPTIONAL_DEPTH = 4
"""Optional properties are shown down to this depth in the first attempt."""
ROTATIONS = 3
"""Attempts per mode, each starting ``oneOf``/``anyOf`` at a further option."""


class NoExample(ValueError):
    """No example that the schema accepts could be made."""


class _Impossible(Exception):
    """This branch of the schema cannot produce a value."""


def generate_example(schema: JsonSchema | bool) -> Any:
    """A small value that ``schema`` accepts (deterministic).

    :raises NoExample: no valid value could be made (for example a ``pattern`` that only a
        real regex engine could satisfy, or a required recursive property with no way out).
    """
    if schema is False:
        raise NoExample("the schema accepts nothing")
    if schema is True:
        return None
    checker = CompiledSchema(schema)
    for full in (True, False):
        for rotation in range(ROTATIONS):
            try:
                value = _Generator(schema, full, rotation).value(schema, 0, ())
            except (_Impossible, RecursionError):
                continue
            if checker.is_valid(value):
                return value
    raise NoExample("no generated value matches the schema")


class _Generator:
    def __init__(self, root: Mapping[str, Any], full: bool, rotation: int = 0) -> None:
        defs = root.get("$defs")
        self.defs: Mapping[str, Any] = defs if isinstance(defs, Mapping) else {}
        self.full = full
        self.rotation = rotation
        """``oneOf``/``anyOf`` options are tried from this index on (a value made from the first
        option may match several options, which ``oneOf`` refuses)."""

    def resolve(self, schema: Any, stack: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            ref: str = schema["$ref"]
            if not ref.startswith("#/$defs/"):
                raise _Impossible(ref)
            name = ref[len("#/$defs/") :].replace("~1", "/").replace("~0", "~")
            if name in stack or name not in self.defs:
                raise _Impossible(name)
            stack = (*stack, name)
            target = self.defs[name]
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {**target, **siblings} if isinstance(target, Mapping) and siblings else target
        return schema, stack

    def value(self, schema: Any, depth: int, stack: tuple[str, ...]) -> Any:
        if depth > MAX_DEPTH:
            raise _Impossible("too deep")
        schema, stack = self.resolve(schema, stack)
        if schema is True:
            return None
        if not isinstance(schema, Mapping):
            raise _Impossible("not a schema")
        for keyword in ("const",):
            if keyword in schema:
                return copy.deepcopy(schema[keyword])
        examples = schema.get("examples")
        if isinstance(examples, list) and examples:
            return copy.deepcopy(examples[0])
        if "example" in schema:
            return copy.deepcopy(schema["example"])
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return copy.deepcopy(enum[0])
        if "default" in schema:
            return copy.deepcopy(schema["default"])
        all_of = schema.get("allOf")
        if isinstance(all_of, list):
            merged = {key: value for key, value in schema.items() if key != "allOf"}
            for part in all_of:
                resolved, stack = self.resolve(part, stack)
                if isinstance(resolved, Mapping):
                    merged = _merge(merged, resolved)
            return self.value(merged, depth, stack)
        for keyword in ("oneOf", "anyOf"):
            options = schema.get(keyword)
            if isinstance(options, list):
                base = {key: value for key, value in schema.items() if key != keyword}
                return self.first_option(base, options, depth, stack)
        return self.typed(schema, depth, stack)

    def first_option(
        self, base: Mapping[str, Any], options: list[Any], depth: int, stack: tuple[str, ...]
    ) -> Any:
        start = self.rotation % len(options) if options else 0
        for option in (*options[start:], *options[:start]):
            try:
                resolved, option_stack = self.resolve(option, stack)
                if resolved is False:
                    continue
                merged = _merge(base, resolved) if isinstance(resolved, Mapping) else base
                return self.value(merged, depth, option_stack)
            except _Impossible:
                continue
        raise _Impossible("no option")

    def typed(self, schema: Mapping[str, Any], depth: int, stack: tuple[str, ...]) -> Any:
        kind = _kind(schema)
        make: Callable[[Mapping[str, Any], int, tuple[str, ...]], Any] = {
            "object": self.object,
            "array": self.array,
            "string": _string_value,
            "integer": _integer_value,
            "number": _number_value,
            "boolean": lambda *_: True,
            "null": lambda *_: None,
        }.get(kind, lambda *_: None)
        return make(schema, depth, stack)

    def object(self, schema: Mapping[str, Any], depth: int, stack: tuple[str, ...]) -> Any:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        required_list = schema.get("required")
        required = [str(name) for name in required_list] if isinstance(required_list, list) else []
        result: dict[str, Any] = {}
        for name in required:
            sub = properties[name] if name in properties else _extra_schema(schema, name)
            result[name] = self.value(sub, depth + 1, stack)
        if self.full and depth < OPTIONAL_DEPTH:
            for name, sub in properties.items():
                if name in result:
                    continue
                try:
                    result[str(name)] = self.value(sub, depth + 1, stack)
                except _Impossible:
                    continue
        dependent = schema.get("dependentRequired")
        if isinstance(dependent, Mapping):
            for name, needs in dependent.items():
                if name in result and isinstance(needs, list):
                    for need in needs:
                        if need not in result:
                            sub = (
                                properties[need]
                                if need in properties
                                else _extra_schema(schema, need)
                            )
                            result[str(need)] = self.value(sub, depth + 1, stack)
        maximum = schema.get("maxProperties")
        if isinstance(maximum, int) and len(result) > maximum:
            for name in [key for key in result if key not in required]:
                if len(result) <= maximum:
                    break
                del result[name]
        minimum = schema.get("minProperties")
        if isinstance(minimum, int):
            for name, sub in properties.items():
                if len(result) >= minimum:
                    break
                if name not in result:
                    result[str(name)] = self.value(sub, depth + 1, stack)
            counter = 1
            while len(result) < minimum and counter <= minimum + 1:
                key = f"key{counter}"
                counter += 1
                if key not in result:
                    result[key] = self.value(_extra_schema(schema, key), depth + 1, stack)
        return result

    def array(self, schema: Mapping[str, Any], depth: int, stack: tuple[str, ...]) -> Any:
        result: list[Any] = []
        prefix_items = schema.get("prefixItems")
        if isinstance(prefix_items, list):
            result = [self.value(sub, depth + 1, stack) for sub in prefix_items]
        items = schema.get("items")
        if items is None:
            items = schema.get("contains", True)
        minimum = schema.get("minItems")
        needed = wanted = minimum if isinstance(minimum, int) else 0
        if self.full and not isinstance(prefix_items, list) and items is not False:
            wanted = max(wanted, 1)
        maximum = schema.get("maxItems")
        if isinstance(maximum, int):
            wanted = min(wanted, maximum)
            result = result[:maximum]
        while len(result) < wanted:
            if items is False:
                raise _Impossible("needs more items than the tuple has")
            try:
                result.append(self.value(items, depth + 1, stack))
            except _Impossible:
                if len(result) >= needed:
                    break  # an item that cannot be made (a recursion): show the array empty
                raise
        return result


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Two schemas' keywords together, for ``allOf`` and for options of ``oneOf``/``anyOf``:
    properties and required lists are united, other keywords of ``extra`` win."""
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        elif key == "required" and isinstance(merged.get(key), list) and isinstance(value, list):
            merged[key] = [*merged[key], *(name for name in value if name not in merged[key])]
        elif key == "$defs":
            continue
        else:
            merged[key] = value
    return merged


def _extra_schema(schema: Mapping[str, Any], name: str) -> Any:
    """The schema of a property that ``properties`` does not declare."""
    patterns = schema.get("patternProperties")
    if isinstance(patterns, Mapping):
        for pattern, sub in patterns.items():
            try:
                if re.search(pattern, name):
                    return sub
            except re.error:
                continue
    additional = schema.get("additionalProperties", True)
    if additional is False:
        raise _Impossible(f"no schema for property {name!r}")
    return additional


def _kind(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        kinds = [str(kind) for kind in declared]
        non_null = [kind for kind in kinds if kind != "null"]
        return non_null[0] if non_null else (kinds[0] if kinds else "")
    if isinstance(declared, str):
        return declared
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "prefixItems" in schema or "items" in schema:
        return "array"
    if any(key in schema for key in ("minLength", "maxLength", "pattern", "format")):
        return "string"
    if any(key in schema for key in ("minimum", "maximum", "multipleOf")):
        return "number"
    return ""


# -- scalars --------------------------------------------------------------------------------


def _string_value(schema: Mapping[str, Any], depth: int, stack: tuple[str, ...]) -> str:
    minimum = schema.get("minLength")
    maximum = schema.get("maxLength")
    low = minimum if isinstance(minimum, int) else 0
    high = maximum if isinstance(maximum, int) else None
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        found = example_from_regex(pattern, low, high)
        if found is None:
            raise _Impossible(f"pattern {pattern!r}")
        return found
    fmt = schema.get("format")
    text = FORMAT_EXAMPLES.get(fmt, "string") if isinstance(fmt, str) else "string"
    if isinstance(fmt, str) and fmt in FORMAT_EXAMPLES:
        return text
    if high is not None and len(text) > high:
        text = text[:high]
    if len(text) < low:
        text += "x" * (low - len(text))
    return text


def _integer_value(schema: Mapping[str, Any], depth: int, stack: tuple[str, ...]) -> int:
    low, high = _bounds(schema, 1)
    step = schema.get("multipleOf")
    value = 0
    if low is not None and value < low:
        value = math.ceil(low)
    if high is not None and value > high:
        value = math.floor(high)
    if isinstance(step, int) and step > 0 and value % step:
        value = math.ceil(value / step) * step
        if high is not None and value > high:
            value -= step
    return value


def _number_value(schema: Mapping[str, Any], depth: int, stack: tuple[str, ...]) -> int | float:
    step = schema.get("multipleOf")
    low, high = _bounds(schema, step if isinstance(step, (int, float)) and step > 0 else 1)
    value: float = 0
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    if isinstance(step, (int, float)) and step > 0:
        value = math.ceil(value / step) * step
        if high is not None and value > high:
            value -= step
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _bounds(schema: Mapping[str, Any], step: float) -> tuple[float | None, float | None]:
    """The closed range a number must lie in (exclusive bounds moved in by ``step``, or to the
    middle of the range when that step would overshoot it)."""
    low = _number(schema.get("minimum"))
    high = _number(schema.get("maximum"))
    exclusive_low = _number(schema.get("exclusiveMinimum"))
    exclusive_high = _number(schema.get("exclusiveMaximum"))
    if exclusive_low is not None:
        candidate = exclusive_low + step
        limit = high if high is not None else exclusive_high
        if limit is not None and candidate >= limit:
            candidate = (exclusive_low + limit) / 2
        low = candidate if low is None else max(low, candidate)
    if exclusive_high is not None:
        candidate = exclusive_high - step
        if low is not None and candidate <= low:
            candidate = max(low, (exclusive_high + low) / 2)
        high = candidate if high is None else min(high, candidate)
    return low, high


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


# -- regular expressions --------------------------------------------------------------------


def _regex_parser() -> Any:
    """The stdlib's regex parser (``re._parser`` from Python 3.11, ``sre_parse`` before)."""
    try:
        return importlib.import_module("re._parser")
    except ImportError:  # pragma: no cover - Python 3.10
        return importlib.import_module("sre_parse")


_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
}
_CANDIDATES = "aA0x_- .b1"
_UNBOUNDED = 0xFFFF
"""Repeat counts from here on mean "no upper bound" (the parser's ``MAXREPEAT``)."""


def example_from_regex(
    pattern: str, min_length: int = 0, max_length: int | None = None
) -> str | None:
    """A short string that ``re.search(pattern, …)`` finds a match in, of a length within the
    bounds; ``None`` when the pattern is beyond this small generator (or not a Python regex).

    Repetitions are tried at their minimum count first, then with more and more repeats, until the
    length fits.
    """
    try:
        compiled = re.compile(pattern)
        parsed = _regex_parser().parse(pattern)
    except (re.error, RecursionError, ValueError):
        return None
    for extra in (0, 1, 2, 4, 8, 16, 32, 64, 128):
        try:
            text = _emit(list(parsed), extra)
        except (_Impossible, ValueError, TypeError):
            return None
        if len(text) < min_length:
            continue
        if max_length is not None and len(text) > max_length:
            return None
        if compiled.search(text):
            return text
    return None


def _emit(items: list[Any], extra: int) -> str:
    out: list[str] = []
    for op, argument in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(argument))
        elif name == "NOT_LITERAL":
            out.append(next(c for c in _CANDIDATES if ord(c) != argument))
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_from_set(argument))
        elif name == "CATEGORY":
            out.append(_CATEGORY_CHARS.get(str(argument), "a"))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = argument
            count = low + extra if int(high) >= _UNBOUNDED else min(low + extra, int(high))
            out.append(_emit(list(sub), extra) * count)
        elif name == "SUBPATTERN":
            out.append(_emit(list(argument[-1]), extra))
        elif name == "ATOMIC_GROUP":
            out.append(_emit(list(argument), extra))
        elif name == "BRANCH":
            out.append(_emit(list(argument[1][0]), extra))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise _Impossible(name)
    return "".join(out)


def _from_set(members: list[Any]) -> str:
    negated = bool(members) and str(members[0][0]) == "NEGATE"
    choices: list[str] = []
    tests: list[Callable[[str], bool]] = []
    for op, argument in members:
        name = str(op)
        if name == "LITERAL":
            choices.append(chr(argument))
        elif name == "RANGE":
            choices.append(chr(argument[0]))
        elif name == "CATEGORY":
            choices.append(_CATEGORY_CHARS.get(str(argument), "a"))
        else:
            continue
        tests.append(_member_test(name, argument))
    if not negated:
        if not choices:
            raise _Impossible("empty set")
        return choices[0]
    for candidate in _CANDIDATES:
        if not any(test(candidate) for test in tests):
            return candidate
    raise _Impossible("negated set")


def _member_test(name: str, argument: Any) -> Callable[[str], bool]:
    """Whether a character belongs to one member (literal, range, category) of a ``[...]`` set."""
    if name == "LITERAL":
        code = int(argument)
        return lambda char: ord(char) == code
    if name == "RANGE":
        low, high = int(argument[0]), int(argument[1])
        return lambda char: low <= ord(char) <= high
    char = _CATEGORY_CHARS.get(str(argument), "a")
    category = re.compile({"0": r"\d", " ": r"\s", "-": r"\W"}.get(char, r"\w"))
    return lambda candidate: category.fullmatch(candidate) is not None
