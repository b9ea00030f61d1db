"""Random values straight from a JSON Schema: the fake data of what pydantic types cannot say.

:class:`SchemaSampler` makes a random value for a (draft 2020-12) schema using a seeded
:class:`random.Random` and Faker: strings follow ``format`` (standard formats get valid values,
other names Faker samples, see :mod:`asynction.mock.formats`) and ``pattern`` (polyfactory's regex
generator) within their lengths; numbers keep to their bounds and ``multipleOf``; arrays to their
tuple positions, item counts and ``uniqueItems``; objects hold their required properties, some
optional ones, and never a key the schema does not declare unless it asks for more
(``minProperties``) or describes a map (``additionalProperties`` as the only schema of its keys).

It is a best effort, not a solver: ``not``, ``if``/``then``/``else`` and overlapping ``oneOf``
branches are not reasoned about. Callers validate what it makes and try again (see
:mod:`asynction.mock.fakes`).
"""

from __future__ import annotations

import copy
import importlib
import itertools
import json
import math
import random
import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from asynction.mock.formats import FormatSamples, Pools, standard_value

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["SchemaSampler", "Unsatisfiable"]

MAX_DEPTH = 16
"""Deeper than this nothing is made: a value would be nested too deeply to be useful."""
OPTIONAL_DEPTH = 4
"""Optional properties and extra array items are made down to this depth."""
_STRING_ATTEMPTS = 8
_UNIQUE_ATTEMPTS = 6
_DEFAULT_RANGE = 1000
_TEXT_LENGTH = 24
"""The longest text made where the schema sets no maximum length."""
_TYPES = ("string", "integer", "number", "boolean", "null", "array", "object")


class Unsatisfiable(Exception):
    """The sampler cannot make a value for this schema (it may still have one)."""


class SchemaSampler:
    """Makes random values that (usually) satisfy a JSON Schema; see the module docstring."""

    def __init__(
        self,
        rng: random.Random,
        faker: Faker,
        formats: FormatSamples | None = None,
        *,
        seed: int = 0,
    ) -> None:
        self._rng = rng
        self._faker = faker
        self._formats = formats
        self._pools = Pools(faker, seed)
        self._regex: Any = None
        self._words: tuple[str, ...] = tuple(faker.get_words_list()) or ("word",)
        self._compiled: dict[str, re.Pattern[str] | None] = {}

    def sample(self, schema: Any, root: Mapping[str, Any] | None = None) -> Any:
        """A random value for ``schema``; ``$ref``\\ s resolve against ``root`` (default: the
        schema itself).

        :raises Unsatisfiable: no value could be made.
        """
        if root is None:
            root = schema if isinstance(schema, Mapping) else {}
        try:
            return self._value(schema, root, 0, ())
        except RecursionError:
            raise Unsatisfiable("nested too deeply") from None

    # -- structure ---------------------------------------------------------------------------

    def _resolve(
        self, schema: Any, root: Mapping[str, Any], refs: tuple[str, ...]
    ) -> tuple[Any, tuple[str, ...]]:
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            reference: str = schema["$ref"]
            if refs.count(reference) >= 2:
                raise Unsatisfiable(f"recursion through {reference}")
            try:
                target = resolve_pointer(root, reference)
            except LookupError:
                raise Unsatisfiable(f"{reference!r} cannot be resolved") from None
            refs = (*refs, reference)
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            if siblings and isinstance(target, Mapping):
                schema = {"allOf": [target, siblings]}
            else:
                schema = target
        return schema, refs

    def _value(
        self, schema: Any, root: Mapping[str, Any], depth: int, refs: tuple[str, ...]
    ) -> Any:
        if depth > MAX_DEPTH:
            raise Unsatisfiable("nested too deeply")
        schema, refs = self._resolve(schema, root, refs)
        if schema is True or schema == {}:
            return self._anything(depth)
        if schema is False or not isinstance(schema, Mapping):
            raise Unsatisfiable("the schema accepts nothing")
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        enum = schema.get("enum")
        if isinstance(enum, (list, tuple)) and enum:
            return copy.deepcopy(self._rng.choice(list(enum)))
        all_of = schema.get("allOf")
        if isinstance(all_of, (list, tuple)) and all_of:
            merged: dict[str, Any] = {key: value for key, value in schema.items() if key != "allOf"}
            for part in all_of:
                resolved, refs = self._resolve(part, root, refs)
                if resolved is False:
                    raise Unsatisfiable("allOf holds a false schema")
                if isinstance(resolved, Mapping):
                    merged = _merge(merged, resolved)
            return self._value(merged, root, depth, refs)
        for keyword in ("oneOf", "anyOf"):
            options = schema.get(keyword)
            if isinstance(options, (list, tuple)) and options:
                base = {key: value for key, value in schema.items() if key != keyword}
                order = list(options)
                self._rng.shuffle(order)
                for option in order:
                    resolved, option_refs = self._resolve(option, root, refs)
                    if resolved is False:
                        continue
                    merged = _merge(base, resolved) if isinstance(resolved, Mapping) else base
                    try:
                        return self._value(merged, root, depth, option_refs)
                    except Unsatisfiable:
                        continue
                raise Unsatisfiable(f"no {keyword} option can be made")
        kind = self._kind(schema, depth)
        if kind == "object":
            return self._object(schema, root, depth, refs)
        if kind == "array":
            return self._array(schema, root, depth, refs)
        if kind == "string":
            return self._string(schema)
        if kind == "integer":
            return self._integer(schema)
        if kind == "number":
            return self._number(schema)
        if kind == "boolean":
            return self._rng.random() < 0.5
        return None

    def _kind(self, schema: Mapping[str, Any], depth: int) -> str:
        declared = schema.get("type")
        if isinstance(declared, str):
            return declared
        if isinstance(declared, (list, tuple)) and declared:
            kinds = [str(kind) for kind in declared]
            if len(kinds) > 1 and "null" in kinds and self._rng.random() < 0.8:
                kinds.remove("null")  # null is a legal but dull value: make it seldom
            if "integer" in kinds and "number" in kinds:
                kinds.remove("integer")
            return self._rng.choice(kinds)
        if any(key in schema for key in ("properties", "required", "additionalProperties")):
            return "object"
        if any(key in schema for key in ("patternProperties", "minProperties", "propertyNames")):
            return "object"
        if any(key in schema for key in ("items", "prefixItems", "minItems", "maxItems")):
            return "array"
        if any(key in schema for key in ("contains", "uniqueItems")):
            return "array"
        if any(key in schema for key in ("minLength", "maxLength", "pattern", "format")):
            return "string"
        if any(
            key in schema
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
        ):
            return "number"
        return "string"

    def _anything(self, depth: int) -> Any:
        """A value for a schema that accepts anything: a plain scalar."""
        choice = self._rng.randrange(3)
        if choice == 0:
            return self._rng.choice(self._words)
        if choice == 1:
            return self._rng.randint(0, _DEFAULT_RANGE)
        return self._rng.random() < 0.5

    # -- objects and arrays ---------------------------------------------------------------

    def _object(
        self, schema: Mapping[str, Any], root: Mapping[str, Any], depth: int, refs: tuple[str, ...]
    ) -> dict[str, Any]:
        rng = self._rng
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        listed = schema.get("required")
        required = [str(name) for name in listed] if isinstance(listed, (list, tuple)) else []
        chosen: list[str] = list(dict.fromkeys(required))
        if depth < OPTIONAL_DEPTH:
            chosen.extend(
                str(name) for name in properties if name not in chosen and rng.random() < 0.5
            )
        dependent = schema.get("dependentRequired")
        if isinstance(dependent, Mapping):
            index = 0
            while index < len(chosen):
                needs = dependent.get(chosen[index])
                if isinstance(needs, (list, tuple)):
                    chosen.extend(str(need) for need in needs if need not in chosen)
                index += 1
        maximum = _count(schema.get("maxProperties"))
        if maximum is not None and len(chosen) > maximum:
            optional = [name for name in chosen if name not in required]
            while len(chosen) > maximum and optional:
                chosen.remove(optional.pop())
        minimum = _count(schema.get("minProperties")) or 0
        for name in properties:
            if len(chosen) >= minimum:
                break
            if name not in chosen:
                chosen.append(str(name))
        result: dict[str, Any] = {}
        for name in chosen:
            sub = properties[name] if name in properties else _extra_schema(schema, name)
            result[name] = self._value(sub, root, depth + 1, refs)
        extra = schema.get("additionalProperties")
        is_map = (
            not properties
            and isinstance(extra, Mapping)
            and "patternProperties" not in schema
            and depth < OPTIONAL_DEPTH
        )
        wanted = minimum
        if is_map:
            wanted = max(wanted, rng.randint(0, 2))
            if maximum is not None:
                wanted = min(wanted, maximum)
        attempts = 0
        while len(result) < wanted and attempts < wanted * 3 + 3:
            attempts += 1
            key, sub = self._extra_key(schema)
            if key in result:
                continue
            result[key] = self._value(sub, root, depth + 1, refs)
        return result

    def _extra_key(self, schema: Mapping[str, Any]) -> tuple[str, Any]:
        """A key the schema allows beyond its properties, with the schema of its value."""
        patterns = schema.get("patternProperties")
        if isinstance(patterns, Mapping) and patterns:
            pattern = self._rng.choice(list(patterns))
            key = self._from_pattern(str(pattern), 1, 32)
            if key is not None:
                return key, patterns[pattern]
        if schema.get("additionalProperties") is False:
            raise Unsatisfiable("more properties needed than the schema allows")
        key = f"{self._rng.choice(self._words)}{self._rng.randint(1, 99)}"
        names = schema.get("propertyNames")
        if isinstance(names, Mapping) and isinstance(names.get("pattern"), str):
            key = self._from_pattern(names["pattern"], 1, 32) or key
        return key, _extra_schema(schema, key)

    def _array(
        self, schema: Mapping[str, Any], root: Mapping[str, Any], depth: int, refs: tuple[str, ...]
    ) -> list[Any]:
        rng = self._rng
        minimum = _count(schema.get("minItems")) or 0
        maximum = _count(schema.get("maxItems"))
        prefix = schema.get("prefixItems")
        prefix = list(prefix) if isinstance(prefix, (list, tuple)) else []
        items = schema.get("items", True)
        if prefix:
            count = len(prefix)
            if maximum is not None:
                count = min(count, maximum)
            count = max(count, minimum) if items is not False else count
        else:
            extra = rng.randint(0, 3) if depth < OPTIONAL_DEPTH else 0
            count = minimum + extra if maximum is None else min(minimum + extra, maximum)
            if count == 0 and depth < OPTIONAL_DEPTH and (maximum is None or maximum > 0):
                count = 1 if rng.random() < 0.8 else 0
        unique = schema.get("uniqueItems") is True
        result: list[Any] = []
        seen: set[str] = set()
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else items
            for _ in range(_UNIQUE_ATTEMPTS if unique else 1):
                value = self._value(sub, root, depth + 1, refs)
                if not unique:
                    break
                key = _canonical(value)
                if key not in seen:
                    seen.add(key)
                    break
            else:
                if index >= minimum:
                    break
                raise Unsatisfiable("cannot make enough unique items")
            result.append(value)
        contains = schema.get("contains")
        if contains is not None and contains is not True:
            wanted = _count(schema.get("minContains"))
            wanted = 1 if wanted is None else wanted
            for _ in range(wanted):
                value = self._value(contains, root, depth + 1, refs)
                if maximum is not None and len(result) >= maximum:
                    if not result:
                        raise Unsatisfiable("no room for contains")
                    result[rng.randrange(len(result))] = value
                else:
                    result.insert(rng.randint(len(prefix), len(result)), value)
        return result

    # -- scalars ------------------------------------------------------------------------------

    def _string(self, schema: Mapping[str, Any]) -> str:
        low = _count(schema.get("minLength")) or 0
        high = _count(schema.get("maxLength"))
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        for _ in range(_STRING_ATTEMPTS):
            text: str | None = None
            if isinstance(fmt, str):
                text = self._formatted(fmt)
            if text is None and isinstance(pattern, str):
                text = self._from_pattern(pattern, low, high)
                if text is None:
                    raise Unsatisfiable(f"no string matches pattern {pattern!r}")
            if text is None:
                return self.text(low, high)
            fits = len(text) >= low and (high is None or len(text) <= high)
            if fits and (not isinstance(pattern, str) or self._matches(pattern, text)):
                return text
        raise Unsatisfiable("no string fits the format, pattern and lengths")

    def _formatted(self, fmt: str) -> str | None:
        value = standard_value(fmt, self._rng, self._pools)
        if value is not None:
            return value
        samples = self._formats.get(fmt) if self._formats is not None else None
        if samples:
            return str(self._rng.choice(samples))
        return None

    def text(self, low: int = 0, high: int | None = None) -> str:
        """Readable text (Faker's lorem words) of a length between the bounds."""
        rng = self._rng
        top = high if high is not None else low + _TEXT_LENGTH
        if top <= 0:
            return ""
        target = rng.randint(max(low, min(top, 3)), max(low, min(top, _TEXT_LENGTH)))
        words = self._words
        parts = [rng.choice(words)]
        size = len(parts[0])
        while size < target:
            word = rng.choice(words)
            parts.append(word)
            size += len(word) + 1
        text = " ".join(parts)
        if len(text) > top:
            cut = text.rfind(" ", 0, top + 1)
            text = text[:cut] if cut >= max(low, 1) else text[:top]
        if len(text) < low:
            text += "x" * (low - len(text))
        return text

    def _matches(self, pattern: str, text: str) -> bool:
        compiled = self._compiled.get(pattern, False)
        if compiled is False:
            try:
                compiled = re.compile(pattern)
            except (re.error, RecursionError, ValueError):
                compiled = None
            self._compiled[pattern] = compiled
        return compiled is None or (
            isinstance(compiled, re.Pattern) and compiled.search(text) is not None
        )

    def _from_pattern(self, pattern: str, low: int, high: int | None) -> str | None:
        """A string matching ``pattern`` within the lengths, or ``None``."""
        if self._regex is None:
            self._regex = _readable_regex_factory(self._rng)
        for _ in range(_STRING_ATTEMPTS):
            try:
                text = str(self._regex(pattern))
            except Exception:  # patterns Python's parser refuses, or the generator cannot make
                return None
            if len(text) < low or (high is not None and len(text) > high):
                continue
            if self._matches(pattern, text):
                return text
        return None

    def _integer(self, schema: Mapping[str, Any]) -> int:
        low, high = _bounds(schema)
        step = _number(schema.get("multipleOf"))
        if low is None and high is None:
            low, high = 0, _DEFAULT_RANGE
        elif low is None:
            assert high is not None
            low = min(0, high - _DEFAULT_RANGE) if high >= 0 else high - _DEFAULT_RANGE
        elif high is None:
            high = low + _DEFAULT_RANGE
        first, last = math.ceil(low), math.floor(high)
        if step is not None and step > 0 and float(step).is_integer():
            unit = int(step)
            first, last = math.ceil(first / unit), math.floor(last / unit)
            if first > last:
                raise Unsatisfiable("no multiple of multipleOf within the bounds")
            return self._rng.randint(first, last) * unit
        if first > last:
            raise Unsatisfiable("no integer within the bounds")
        return self._rng.randint(first, last)

    def _number(self, schema: Mapping[str, Any]) -> int | float:
        low, high = _bounds(schema)
        step = _number(schema.get("multipleOf"))
        if low is None and high is None:
            low, high = 0.0, float(_DEFAULT_RANGE)
        elif low is None:
            assert high is not None
            low = high - _DEFAULT_RANGE
        elif high is None:
            high = low + _DEFAULT_RANGE
        if step is not None and step > 0:
            first, last = math.ceil(low / step), math.floor(high / step)
            if first > last:
                raise Unsatisfiable("no multiple of multipleOf within the bounds")
            count = self._rng.randint(first, last)
            value = count * step
            if isinstance(step, float):
                decimals = max(0, -math.floor(math.log10(step))) + 2 if step < 1 else 2
                value = round(value, decimals)
            return value
        value = round(self._rng.uniform(low, high), 2)
        if not low <= value <= high or _excluded(schema, value):
            value = (low + high) / 2
        return value


# -- helpers -------------------------------------------------------------------------------

_READABLE = string.ascii_letters + string.digits + " -_.,:;!?/@#"
_CATEGORIES = {
    "category_digit": string.digits,
    "category_not_digit": string.ascii_letters + " -_.",
    "category_space": " ",
    "category_not_space": string.ascii_letters + string.digits + "-_.",
    "category_word": string.ascii_letters + string.digits + "_",
    "category_not_word": " -.,:;!?/",
}


def _regex_parse(pattern: str) -> Any:
    """The stdlib's parse of a regex (``re._parser`` from Python 3.11, ``sre_parse`` before)."""
    try:
        parser = importlib.import_module("re._parser")
    except ImportError:  # pragma: no cover - Python 3.10
        parser = importlib.import_module("sre_parse")
    return parser.parse(pattern)


def _readable_regex_factory(rng: random.Random) -> Any:
    """polyfactory's regex generator, drawing "any character" and negated sets from printable
    characters that are not control whitespace (``\\s`` becomes a space, ``.`` no tab)."""
    from polyfactory.value_generators.regex import RegexFactory

    class ReadableRegexFactory(RegexFactory):
        def __init__(self, random: random.Random) -> None:
            super().__init__(random=random, limit=8)
            self._parsed: dict[str, Any] = {}
            self._cases["any"] = lambda _: self._random.choice(_READABLE)
            self._cases["not_literal"] = lambda code: self._random.choice(
                _READABLE.replace(chr(code), "")
            )
            self._cases["category"] = lambda name: _CATEGORIES[str(name).lower()]

        def __call__(self, string_or_regex: str | re.Pattern[Any]) -> str:
            pattern = (
                string_or_regex.pattern
                if isinstance(string_or_regex, re.Pattern)
                else string_or_regex
            )
            parsed = self._parsed.get(pattern)
            if parsed is None:
                parsed = self._parsed[pattern] = _regex_parse(pattern)
            result = "".join(self._handle_state(state) for state in parsed)
            self._cache.clear()
            return result

        def _handle_in(self, value: tuple[Any, ...]) -> Any:
            candidates = list(itertools.chain(*(self._handle_state(item) for item in value)))
            if candidates and candidates[0] is False:
                excluded = set(candidates[1:])
                allowed = [char for char in _READABLE if char not in excluded]
                return self._random.choice(allowed or [chr(0x2603)])
            return self._random.choice(candidates)

    return ReadableRegexFactory(rng)


def resolve_pointer(root: Mapping[str, Any], reference: str) -> Any:
    """What a local reference (``#/$defs/Name``) of a bundled schema points to.

    :raises LookupError: the reference is not local, or points nowhere.
    """
    if not reference.startswith("#"):
        raise LookupError(reference)
    node: Any = root
    for token in reference[1:].split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, (list, tuple)) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise LookupError(reference)
    return node


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Both schemas as one (an approximation of ``allOf`` that the caller's check confirms)."""
    merged = dict(base)
    for key, value in extra.items():
        if key not in merged:
            merged[key] = value
            continue
        current = merged[key]
        if key == "properties" and isinstance(current, Mapping) and isinstance(value, Mapping):
            properties = dict(current)
            for name, sub in value.items():
                properties[name] = {"allOf": [properties[name], sub]} if name in properties else sub
            merged[key] = properties
        elif key == "required" and isinstance(current, list) and isinstance(value, list):
            merged[key] = list(dict.fromkeys([*current, *value]))
        elif key == "type":
            merged[key] = _common_types(current, value)
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"):
            merged[key] = max(current, value) if _comparable(current, value) else value
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"):
            merged[key] = min(current, value) if _comparable(current, value) else value
        elif key == "enum" and isinstance(current, list) and isinstance(value, list):
            merged[key] = [item for item in current if item in value]
        elif key == "additionalProperties" and current is False:
            continue
        else:
            merged[key] = value
    return merged


def _common_types(first: Any, second: Any) -> Any:
    left = set(first) if isinstance(first, (list, tuple)) else {first}
    right = set(second) if isinstance(second, (list, tuple)) else {second}
    if "number" in left:
        left.add("integer")
    if "number" in right:
        right.add("integer")
    common = [kind for kind in _TYPES if kind in left and kind in right]
    if not common:
        raise Unsatisfiable("allOf types have nothing in common")
    return common[0] if len(common) == 1 else common


def _comparable(first: Any, second: Any) -> bool:
    return _number(first) is not None and _number(second) is not None


def _extra_schema(schema: Mapping[str, Any], name: str) -> Any:
    patterns = schema.get("patternProperties")
    if isinstance(patterns, Mapping):
        for pattern, sub in patterns.items():
            try:
                if re.search(str(pattern), name):
                    return sub
            except re.error:
                continue
    extra = schema.get("additionalProperties", True)
    if extra is False:
        raise Unsatisfiable(f"property {name!r} is required but not allowed")
    return extra


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return max(0, int(value))


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """The range a number must lie in; exclusive bounds are moved in a little."""
    low = _number(schema.get("minimum"))
    high = _number(schema.get("maximum"))
    exclusive_low = _number(schema.get("exclusiveMinimum"))
    exclusive_high = _number(schema.get("exclusiveMaximum"))
    if exclusive_low is not None:
        nudged = (
            math.floor(exclusive_low) + 1 if float(exclusive_low).is_integer() else exclusive_low
        )
        nudged = max(nudged, exclusive_low + 1e-6) if nudged <= exclusive_low else nudged
        low = nudged if low is None else max(low, nudged)
    if exclusive_high is not None:
        nudged = (
            math.ceil(exclusive_high) - 1 if float(exclusive_high).is_integer() else exclusive_high
        )
        nudged = min(nudged, exclusive_high - 1e-6) if nudged >= exclusive_high else nudged
        high = nudged if high is None else min(high, nudged)
    if low is not None and high is not None and low > high:
        lower = exclusive_low if exclusive_low is not None else low
        upper = exclusive_high if exclusive_high is not None else high
        if lower < upper:
            middle = (lower + upper) / 2
            return middle, middle
        raise Unsatisfiable("the bounds leave no number")
    return low, high


def _excluded(schema: Mapping[str, Any], value: float) -> bool:
    exclusive_low = _number(schema.get("exclusiveMinimum"))
    exclusive_high = _number(schema.get("exclusiveMaximum"))
    return (exclusive_low is not None and value <= exclusive_low) or (
        exclusive_high is not None and value >= exclusive_high
    )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
