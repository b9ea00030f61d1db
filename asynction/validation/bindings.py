"""Validation of the HTTP request that opens a Socket.IO connection, against ``bindings.ws``.

The query string and the headers become JSON objects validated against the binding's ``query`` and
``headers`` schemas:

- Engine.IO's own query parameters (``EIO``, ``transport``, ``t``, ``sid``, ``j``, ``b64``) are
  left out; a parameter given once is a scalar, a repeated one (or one whose schema is an array) a
  list;
- header names match case-insensitively: a request header is named as the schema spells it, or in
  lower case when the schema does not name it;
- values are coerced to the type the schema declares for them, as Connexion does for OpenAPI
  parameters: ``integer``, ``number``, ``boolean`` (``true``/``false``/``1``/``0``), ``null``, and
  arrays of those; a value that does not convert stays a string and fails validation.

Failures raise :class:`BindingsValidationException` with a message naming the parameter and the rule
but never quoting the value sent (it may be a credential), and a path into the request:
``$.query.token``, ``$.headers['x-version']``, ``$.method``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NoReturn
from urllib.parse import parse_qs, unquote

from asynction.exceptions import BindingsValidationException, SpecError, SpecLocation
from asynction.spec.model import ConnectBindings
from asynction.validation.schema import CompiledSchema, SchemaFailure, json_path

__all__ = ["ENGINEIO_QUERY_PARAMETERS", "BindingsReader", "BindingsValidator"]

ENGINEIO_QUERY_PARAMETERS = frozenset({"EIO", "transport", "t", "sid", "j", "b64"})
"""Query parameters that belong to the Engine.IO transport, never to the application."""

_MASK = "value"
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_MAX_REF_HOPS = 32

Coerce = Callable[[str], Any]


class BindingsValidator:
    """Validates the HTTP request of a Socket.IO connection against a namespace's ConnectBindings
    (bindings.ws).

    Everything that does not depend on the request (property types, header names) is worked out
    once, here; the schemas are compiled on first use, or by :meth:`compile`. ``location`` is where
    the ``bindings.ws`` object stands in the document, for the errors of schemas that do not
    compile.
    """

    __slots__ = ("_checks", "_namespace", "_schemas")

    def __init__(
        self,
        bindings: ConnectBindings,
        *,
        namespace: str,
        location: SpecLocation | None = None,
    ) -> None:
        self._namespace = namespace
        checks: list[Callable[[Mapping[str, Any]], None]] = []
        schemas: list[CompiledSchema] = []
        if bindings.method:
            checks.append(self._method_check(bindings.method))
        for schema, part in ((bindings.query, _QUERY), (bindings.headers, _HEADERS)):
            if schema is not None:
                where = None if location is None else location.child(part.key)
                check = _ObjectCheck(schema, part, self._fail, location=where)
                checks.append(check)
                schemas.append(check.schema)
        self._checks = tuple(checks)
        self._schemas = tuple(schemas)

    def compile(self) -> None:
        """Compile the ``query`` and ``headers`` schemas now rather than on first use.

        :raises SpecError: jsonschema_rs rejects either schema (both are reported).
        """
        problems: list[tuple[SpecLocation, str]] = []
        for schema in self._schemas:
            try:
                schema.compile()
            except SpecError as error:
                problems.extend(error.problems)
        if problems:
            raise SpecError(problems)

    def validate(self, environ: Mapping[str, Any]) -> None:
        """Return if the request described by the WSGI ``environ`` satisfies the bindings, else
        raise :class:`BindingsValidationException`."""
        for check in self._checks:
            check(environ)

    def _method_check(self, method: str) -> Callable[[Mapping[str, Any]], None]:
        expected = method.upper()

        def check(environ: Mapping[str, Any]) -> None:
            actual = str(environ.get("REQUEST_METHOD", "")).upper()
            if actual != expected:
                self._fail(
                    f"request method must be {expected}, got {actual or 'none'}",
                    "$.method",
                    "method",
                )

        return check

    def _fail(self, message: str, path: str, rule: str) -> NoReturn:
        raise BindingsValidationException(message, namespace=self._namespace, path=path, rule=rule)


class BindingsReader:
    """Reads one part of a connect request — ``"query"`` or ``"headers"`` — as the JSON object that
    :class:`BindingsValidator` checks: Engine.IO's parameters dropped, header names matched
    case-insensitively, values coerced to the schema's types. For code that wants the values (typed
    connect handlers), not just a verdict."""

    __slots__ = ("_check", "_namespace", "_part")

    def __init__(
        self, schema: Mapping[str, Any], part: Literal["query", "headers"], *, namespace: str
    ) -> None:
        self._namespace = namespace
        self._part = _QUERY if part == "query" else _HEADERS
        self._check = _ObjectCheck(schema, self._part, self._fail)

    def read(self, environ: Mapping[str, Any]) -> dict[str, Any]:
        """The part of the request described by the WSGI ``environ``, as a JSON object.

        :raises BindingsValidationException: a value that cannot be read at all (a query parameter
            given several times where the schema wants one value).
        """
        return self._part.read(self._check, environ)

    def _fail(self, message: str, path: str, rule: str) -> NoReturn:
        raise BindingsValidationException(message, namespace=self._namespace, path=path, rule=rule)


@dataclass(frozen=True)
class _Part:
    """What differs between the query string and the headers."""

    key: str
    """The part's key in the request paths (``$.query``)."""
    singular: str
    plural: str
    read: Callable[[_ObjectCheck, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class _Property:
    """How to turn the raw string(s) of one parameter into the JSON value its schema expects."""

    array: bool
    coerce: Coerce


_UNTYPED = _Property(array=False, coerce=str)


class _ObjectCheck:
    """Builds the JSON object of one part of the request and validates it."""

    __slots__ = (
        "_additional",
        "_fail",
        "_names",
        "_part",
        "_patterns",
        "_properties",
        "_root",
        "_schema",
    )

    def __init__(
        self,
        schema: Mapping[str, Any],
        part: _Part,
        fail: Callable[[str, str, str], NoReturn],
        *,
        location: SpecLocation | None = None,
    ) -> None:
        self._root = schema
        self._part = part
        self._fail = fail
        self._schema = CompiledSchema(schema, mask=_MASK, location=location)
        # A boolean schema (true or false) declares no properties to coerce.
        keywords: Mapping[str, Any] = schema if isinstance(schema, Mapping) else {}
        declared = keywords.get("properties")
        declared = declared if isinstance(declared, Mapping) else {}
        self._properties = {
            str(name): _property(_deref(schema, sub)) for name, sub in declared.items()
        }
        # Header names are case-insensitive, and WSGI turns "-" into "_": x_api_key is x-api-key.
        self._names = {_header_key(name): name for name in self._properties}
        patterns = keywords.get("patternProperties")
        self._patterns: list[tuple[re.Pattern[str], _Property]] = []
        for pattern, sub in patterns.items() if isinstance(patterns, Mapping) else ():
            try:
                compiled = re.compile(str(pattern))
            except re.error:
                # Not a Python regex: either jsonschema_rs refuses it too, and compiling the schema
                # says so with its location, or it is ECMA-262 syntax Python lacks (\p{L}), whose
                # parameters are then left as strings rather than coerced.
                continue
            self._patterns.append((compiled, _property(_deref(schema, sub))))
        additional = keywords.get("additionalProperties")
        self._additional = (
            _property(_deref(schema, additional)) if isinstance(additional, Mapping) else _UNTYPED
        )

    @property
    def schema(self) -> CompiledSchema:
        """The part's compiled schema."""
        return self._schema

    def __call__(self, environ: Mapping[str, Any]) -> None:
        instance = self._part.read(self, environ)
        if not self._schema.is_valid(instance):
            failure = self._schema.failure(instance)
            if failure is not None:
                self._explain(failure)

    def property_for(self, name: str) -> _Property:
        """How to coerce the parameter called ``name`` (as the schema spells it)."""
        found = self._properties.get(name)
        if found is not None:
            return found
        for pattern, prop in self._patterns:
            if pattern.search(name):
                return prop
        return self._additional

    def _explain(self, failure: SchemaFailure) -> NoReturn:
        part = self._part
        path = failure.path
        details = failure.details
        rule = failure.rule
        if not path:
            if rule == "required":
                name = str(details.get("property", ""))
                self._fail(f"{part.singular} {name!r} is required", self._path(name), rule)
            if rule in ("additionalProperties", "unevaluatedProperties"):
                unexpected = [str(name) for name in details.get("unexpected", ())]
                noun = part.singular if len(unexpected) == 1 else part.plural
                names = ", ".join(repr(name) for name in unexpected)
                where = self._path(unexpected[0]) if len(unexpected) == 1 else f"$.{part.key}"
                self._fail(f"unexpected {noun} {names}", where, rule)
            self._fail(f"{part.plural}: {failure.message}", f"$.{part.key}", rule)
        name = str(path[0])
        where = f"{part.singular} {name!r}"
        if len(path) > 1:
            where += f" item {json_path(path[1:])[1:]}"
        if rule == "type":
            types = details.get("types") or ()
            expected = " or ".join(str(item) for item in types) or "of another type"
            message = f"{where} must be {expected}"
        else:
            message = f"{where}: {failure.message} (rule: {rule})"
        self._fail(message, f"$.{part.key}" + json_path(path)[1:], rule)

    def _path(self, name: str) -> str:
        return f"$.{self._part.key}" + json_path((name,))[1:]

    def read_query(self, environ: Mapping[str, Any]) -> dict[str, Any]:
        """The query string as a JSON object, values coerced, Engine.IO's parameters left out."""
        query = environ.get("QUERY_STRING") or ""
        instance: dict[str, Any] = {}
        for name, values in parse_qs(query, keep_blank_values=True).items():
            if name in ENGINEIO_QUERY_PARAMETERS:
                continue
            prop = self.property_for(name)
            if prop.array:
                instance[name] = [prop.coerce(value) for value in values]
            elif len(values) == 1:
                instance[name] = prop.coerce(values[0])
            elif prop is _UNTYPED:
                instance[name] = values
            else:
                self._fail(
                    f"query parameter {name!r} must be given once, got {len(values)} values",
                    self._path(name),
                    "type",
                )
        return instance

    def read_headers(self, environ: Mapping[str, Any]) -> dict[str, Any]:
        """The request headers as a JSON object, named as the schema spells them."""
        names = self._names
        instance: dict[str, Any] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                lowered = key[5:].replace("_", "-").lower()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                lowered = key.replace("_", "-").lower()
            else:
                continue
            name = names.get(lowered, lowered)
            prop = self.property_for(name)
            text = str(value)
            if prop.array:
                instance[name] = [prop.coerce(item.strip()) for item in text.split(",")]
            else:
                instance[name] = prop.coerce(text)
        return instance


_QUERY = _Part("query", "query parameter", "query parameters", _ObjectCheck.read_query)
_HEADERS = _Part("headers", "header", "headers", _ObjectCheck.read_headers)


def _header_key(name: str) -> str:
    return name.replace("_", "-").lower()


def _deref(root: Mapping[str, Any], schema: Any) -> Mapping[str, Any]:
    """Follow same-document ``$ref``s (``#/$defs/Token``) to the schema that declares the type."""
    for _ in range(_MAX_REF_HOPS):
        if not isinstance(schema, Mapping):
            return {}
        reference = schema.get("$ref")
        if not isinstance(reference, str) or "type" in schema:
            return schema
        if reference == "#":
            schema = root
            continue
        if not reference.startswith("#/"):
            return schema
        target: Any = root
        for token in reference[2:].split("/"):
            token = unquote(token).replace("~1", "/").replace("~0", "~")
            if isinstance(target, Mapping):
                target = target.get(token)
            elif isinstance(target, (list, tuple)) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                return {}
        schema = target
    return {}


def _types(schema: Mapping[str, Any]) -> tuple[str, ...]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return (declared,)
    if isinstance(declared, (list, tuple)):
        return tuple(str(item) for item in declared)
    return ()


def _property(schema: Mapping[str, Any]) -> _Property:
    types = _types(schema)
    if not types:
        return _UNTYPED
    if "array" in types:
        items = schema.get("items")
        item_types = _types(_deref(schema, items)) if isinstance(items, Mapping) else ()
        return _Property(array=True, coerce=_scalar_coercion(item_types))
    return _Property(array=False, coerce=_scalar_coercion(types))


def _scalar_coercion(types: tuple[str, ...]) -> Coerce:
    """A function turning a string into the first of ``types`` it converts to, else leaving it."""
    # Where a string is allowed, "" and "null" are taken as the strings they are.
    order = _COERCION_ORDER if "string" not in types else _COERCION_ORDER[:-1]
    steps = [_COERCIONS[name] for name in order if name in types]
    if not steps:
        return str
    if len(steps) == 1:
        return steps[0]

    def coerce(text: str) -> Any:
        for step in steps:
            value = step(text)
            if value is not text:
                return value
        return text

    return coerce


def _to_integer(text: str) -> Any:
    return int(text) if _INTEGER.match(text) else text


def _to_number(text: str) -> Any:
    if _INTEGER.match(text):
        return int(text)
    if _NUMBER.match(text):
        value = float(text)
        # An overflow to infinity is no JSON number: leave the text to fail validation.
        return value if math.isfinite(value) else text
    return text


def _to_boolean(text: str) -> Any:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return text


def _to_null(text: str) -> Any:
    return None if text in ("", "null") else text


_COERCIONS: dict[str, Coerce] = {
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "null": _to_null,
}
# A string type takes any text, so it is tried last: nothing is converted when it stands alone.
_COERCION_ORDER = ("integer", "number", "boolean", "null")
