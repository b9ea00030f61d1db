"""The structure check: does a raw AsyncAPI document follow the specification of its version?

The rules are those of the official JSON Schemas of AsyncAPI 2.0.0–2.6.0 and 3.0.0 (the
``@asyncapi/specs`` package): required fields, value types, allowed values, no unknown fixed
fields (``x-`` extensions are always allowed) and no field from a later minor version. They are
encoded as tables of object kinds, built once per version on first use, and walked by a small
checker that stops after :data:`MAX_PROBLEMS` problems, each located by a JSON pointer.

What is deliberately *not* checked here:

* Schema Objects (payloads, headers, component schemas) only have to be a mapping or a boolean
  whose ``type`` is a JSON type name or a list of them: JSON Schema meta-validation is the job of
  the validator that compiles them.
* Payloads whose ``schemaFormat`` is neither AsyncAPI nor JSON Schema (Avro, OpenAPI, RAML, …)
  are accepted as they are.
* Bindings are mappings of free-form protocol objects; only the ``ws`` channel binding, which
  asynction uses, is checked (``method``, ``query``, ``headers``, ``bindingVersion``).
* ``$ref``s are not followed (nothing is fetched): the referenced objects are checked where they
  are defined, and the resolver reports references that lead nowhere.
* String formats (``uri``, ``email``) are not checked.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from asynction.exceptions import SpecError, SpecLocation

__all__ = ["MAX_PROBLEMS", "SUPPORTED_VERSIONS", "check_structure"]

SUPPORTED_VERSIONS: Final[tuple[str, ...]] = (
    "2.0.0",
    "2.1.0",
    "2.2.0",
    "2.3.0",
    "2.4.0",
    "2.5.0",
    "2.6.0",
    "3.0.0",
)
"""The AsyncAPI versions whose documents asynction reads, exactly as the ``asyncapi`` field says."""

MAX_PROBLEMS: Final = 10
"""How many problems one :class:`SpecError` lists at most; the check stops there."""

_V2_LAST = "2.6.0"
_V3 = "3.0.0"

# Keys of the reusable-object maps under ``components``, and channel parameter names (spec text).
_COMPONENT_KEY = re.compile(r"[A-Za-z0-9_.\-]+")
_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_\-]+")
# A runtime expression, as the official schemas spell it (anchored at the start only).
_RUNTIME_EXPRESSION = re.compile(r"\$message\.(header|payload)#(/(([^/~])|(~[01]))*)*")
_JSON_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
# Payload formats whose payload is an (AsyncAPI or JSON) Schema Object and so gets the light check.
_SCHEMA_FORMAT_PREFIXES = (
    "application/vnd.aai.asyncapi",
    "application/schema+json",
    "application/schema+yaml",
)


def check_structure(document: Mapping[str, Any], *, file: str) -> None:
    """Check a raw (unresolved) AsyncAPI document against the specification of its version.

    :param document: the document as parsed from YAML or JSON; nothing in it is fetched.
    :param file: the name used in error locations.
    :raises SpecError: listing up to :data:`MAX_PROBLEMS` problems, each as
        ``(SpecLocation(file, json_pointer), message)``, in document order.
    """
    root = SpecLocation(file)
    if not isinstance(document, Mapping):
        raise SpecError.at(
            root, f"an AsyncAPI document must be an object, got {_type_name(document)}"
        )
    version = document.get("asyncapi")
    supported = ", ".join(SUPPORTED_VERSIONS)
    if version is None:
        raise SpecError.at(
            SpecLocation(file, "/asyncapi"),
            f"required field is missing (the AsyncAPI version: one of {supported})",
        )
    if not isinstance(version, str):
        raise SpecError.at(
            SpecLocation(file, "/asyncapi"),
            f"expected a string, got {_type_name(version)} (one of {supported})",
        )
    if version not in SUPPORTED_VERSIONS:
        raise SpecError.at(
            SpecLocation(file, "/asyncapi"),
            f"unsupported AsyncAPI version {version!r} (supported: {supported})",
        )
    walker = _Walker(_tables(version), version)
    with contextlib.suppress(_Full):
        walker.object("root", document, "")
    if walker.problems:
        first = " (the first problems found)" if walker.full else ""
        raise SpecError(
            [(SpecLocation(file, pointer), message) for pointer, message in walker.problems],
            summary=f"AsyncAPI {version} document does not follow the specification{first}",
        )


# --------------------------------------------------------------------------------------------
# The walker


class _Full(Exception):
    """Raised once :data:`MAX_PROBLEMS` problems are collected, to stop the walk early."""


Check = Callable[["_Walker", Any, str], None]
"""Checks one value at a JSON pointer, reporting problems to the walker."""


class _Kind:
    """The fixed fields of one kind of object, in one AsyncAPI version."""

    # A plain class rather than a dataclass: it keeps importing this module cheap.
    __slots__ = ("extra", "fields", "lenient", "name", "other_versions", "required")

    def __init__(
        self,
        name: str,
        fields: Mapping[str, Check],
        required: tuple[str, ...] = (),
        other_versions: Mapping[str, str] | None = None,
        lenient: bool = False,
        extra: Check | None = None,
    ) -> None:
        self.name = name
        self.fields = fields
        self.required = required
        # Fields of this kind that exist only in other versions: name → in which versions.
        self.other_versions = other_versions
        # Unknown fields are allowed (the official schema does not forbid them).
        self.lenient = lenient
        # A check of the whole object, after its fields.
        self.extra = extra


def _escape(token: str) -> str:
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


class _Walker:
    """Walks a document, collecting ``(pointer, message)`` problems."""

    __slots__ = ("full", "kinds", "problems", "version")

    def __init__(self, kinds: Mapping[str, _Kind], version: str) -> None:
        self.kinds = kinds
        self.version = version
        self.problems: list[tuple[str, str]] = []
        self.full = False

    def report(self, pointer: str, message: str) -> None:
        self.problems.append((pointer, message))
        if len(self.problems) >= MAX_PROBLEMS:
            self.full = True
            raise _Full

    def expected(self, pointer: str, what: str, value: Any) -> None:
        self.report(pointer, f"expected {what}, got {_type_name(value)}")

    def object(self, kind_name: str, value: Any, pointer: str) -> None:
        kind = self.kinds[kind_name]
        if not isinstance(value, Mapping):
            self.expected(pointer, "an object", value)
            return
        fields = kind.fields
        for key, item in value.items():
            check = fields.get(key)
            if check is not None:
                check(self, item, f"{pointer}/{_escape(key)}")
            elif not kind.lenient and not (isinstance(key, str) and key.startswith("x-")):
                self._unknown(kind, key, pointer)
        for name in kind.required:
            if name not in value:
                self.report(f"{pointer}/{name}", "required field is missing")
        if kind.extra is not None:
            kind.extra(self, value, pointer)

    def _unknown(self, kind: _Kind, key: Any, pointer: str) -> None:
        text = str(key)
        where = f"{pointer}/{_escape(text)}"
        if kind.other_versions and text in kind.other_versions:
            self.report(where, f"field {text!r} {kind.other_versions[text]}")
            return
        allowed = sorted(kind.fields)
        hint = ""
        import difflib  # only needed to word an error

        close = difflib.get_close_matches(text, allowed, n=1)
        if close:
            hint = f"did you mean {close[0]!r}? "
        listing = ", ".join([*allowed, "x-…"])
        self.report(where, f"unknown field {text!r} ({hint}allowed: {listing})")


# --------------------------------------------------------------------------------------------
# Value checks (each returns a Check; tables are built from them)


def _any(walker: _Walker, value: Any, pointer: str) -> None:
    """Anything is allowed."""


def _string(walker: _Walker, value: Any, pointer: str) -> None:
    if not isinstance(value, str):
        walker.expected(pointer, "a string", value)


def _boolean(walker: _Walker, value: Any, pointer: str) -> None:
    if not isinstance(value, bool):
        walker.expected(pointer, "a boolean", value)


def _mapping(walker: _Walker, value: Any, pointer: str) -> None:
    if not isinstance(value, Mapping):
        walker.expected(pointer, "an object", value)


def _nullable_string(walker: _Walker, value: Any, pointer: str) -> None:
    if value is not None and not isinstance(value, str):
        walker.expected(pointer, "a string or null", value)


def _enum(*allowed: str) -> Check:
    listing = ", ".join(repr(a) for a in allowed)

    def check(walker: _Walker, value: Any, pointer: str) -> None:
        if not isinstance(value, str):
            walker.expected(pointer, f"one of {listing}", value)
        elif value not in allowed:
            walker.report(pointer, f"{value!r} is not one of {listing}")

    return check


def _runtime_expression(walker: _Walker, value: Any, pointer: str) -> None:
    if not isinstance(value, str):
        walker.expected(pointer, "a string", value)
    elif _RUNTIME_EXPRESSION.match(value) is None:
        walker.report(
            pointer,
            f"{value!r} is not a runtime expression like '$message.payload#/user/id' "
            "or '$message.header#/correlationId'",
        )


def _obj(kind_name: str) -> Check:
    def check(walker: _Walker, value: Any, pointer: str) -> None:
        walker.object(kind_name, value, pointer)

    return check


def _is_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and "$ref" in value


def _check_ref(walker: _Walker, value: Mapping[str, Any], pointer: str) -> None:
    if not isinstance(value["$ref"], str):
        walker.expected(f"{pointer}/$ref", "a string (a URI reference)", value["$ref"])


def _ref_or(inner: Check) -> Check:
    """A Reference Object, or what ``inner`` accepts."""

    def check(walker: _Walker, value: Any, pointer: str) -> None:
        if isinstance(value, Mapping) and "$ref" in value:
            _check_ref(walker, value, pointer)
        else:
            inner(walker, value, pointer)

    return check


def _ref_since(since: str, inner: Check) -> Check:
    """A Reference Object from AsyncAPI ``since`` on, or what ``inner`` accepts."""

    def check(walker: _Walker, value: Any, pointer: str) -> None:
        if isinstance(value, Mapping) and "$ref" in value:
            walker.report(
                pointer,
                f"a Reference Object here requires AsyncAPI ≥ {since} "
                f"(document is {walker.version})",
            )
        else:
            inner(walker, value, pointer)

    return check


def _ref_only(walker: _Walker, value: Any, pointer: str) -> None:
    if isinstance(value, Mapping) and "$ref" in value:
        _check_ref(walker, value, pointer)
    else:
        walker.report(pointer, "expected a Reference Object ({'$ref': '#/…'})")


def _list(item: Check, *, unique: bool = False) -> Check:
    def check(walker: _Walker, value: Any, pointer: str) -> None:
        if not isinstance(value, list):
            walker.expected(pointer, "an array", value)
            return
        for index, element in enumerate(value):
            item(walker, element, f"{pointer}/{index}")
        if unique and len(value) > 1:
            _report_duplicates(walker, value, pointer)

    return check


def _report_duplicates(walker: _Walker, items: list[Any], pointer: str) -> None:
    first: dict[Any, int] = {}
    for index, element in enumerate(items):
        try:
            earlier = first.setdefault(element, index)
        except TypeError:  # an unhashable item (a mapping or a list): compare one by one
            earlier = next(i for i in range(index + 1) if items[i] == element)
        if earlier != index:
            walker.report(
                f"{pointer}/{index}", f"duplicate of item {earlier} (items must be unique)"
            )


def _map(value_check: Check, *, keys: re.Pattern[str] | None = None, what: str = "") -> Check:
    """An object of names (matching ``keys`` if given) to values that pass ``value_check``."""

    def check(walker: _Walker, value: Any, pointer: str) -> None:
        if not isinstance(value, Mapping):
            walker.expected(pointer, "an object", value)
            return
        for key, item in value.items():
            if not isinstance(key, str):
                walker.report(f"{pointer}/{key}", f"{what or 'key'} must be a string")
                continue
            child = f"{pointer}/{_escape(key)}"
            if not key:
                walker.report(child, f"{what or 'key'} must not be empty")
                continue
            if keys is not None and keys.fullmatch(key) is None:
                walker.report(child, f"{what} {key!r} must match ^{keys.pattern}$")
                continue
            value_check(walker, item, child)

    return check


def _schema(walker: _Walker, value: Any, pointer: str) -> None:
    """A Schema Object, lightly: a boolean, or a mapping with a sensible ``type``."""
    if isinstance(value, bool):
        return
    if not isinstance(value, Mapping):
        walker.expected(pointer, "a schema (an object or a boolean)", value)
        return
    if "type" in value:
        _schema_type(walker, value["type"], f"{pointer}/type")


def _schema_type(walker: _Walker, value: Any, pointer: str) -> None:
    if isinstance(value, str):
        if value not in _JSON_TYPES:
            walker.report(
                pointer, f"{value!r} is not a JSON type ({', '.join(sorted(_JSON_TYPES))})"
            )
    elif isinstance(value, list) and value:
        for index, name in enumerate(value):
            if isinstance(name, str):
                _schema_type(walker, name, f"{pointer}/{index}")
            else:
                walker.expected(f"{pointer}/{index}", "a JSON type name", name)
    else:
        walker.expected(pointer, "a JSON type name or a non-empty array of them", value)


def _object_schema(walker: _Walker, value: Any, pointer: str) -> None:
    """A Schema Object whose ``type``, when given, is ``object``."""
    _schema(walker, value, pointer)
    if isinstance(value, Mapping) and "type" in value and value["type"] != "object":
        walker.report(f"{pointer}/type", "must be 'object' here")


def _is_schema_format(value: Any) -> bool:
    return not isinstance(value, str) or value.startswith(_SCHEMA_FORMAT_PREFIXES)


def _payload_v2(walker: _Walker, value: Any, pointer: str) -> None:
    """Nothing here: the message's ``extra`` check, which sees ``schemaFormat``, checks it."""


def _message_payload_v2(walker: _Walker, message: Mapping[str, Any], pointer: str) -> None:
    if "payload" in message and _is_schema_format(message.get("schemaFormat")):
        _schema(walker, message["payload"], f"{pointer}/payload")


def _any_schema(walker: _Walker, value: Any, pointer: str) -> None:
    """AsyncAPI 3.0: a Schema Object, or a Multi Format Schema Object (when it has ``schema``)."""
    if isinstance(value, Mapping) and "schema" in value:
        walker.object("multiFormatSchema", value, pointer)
        if _is_schema_format(value.get("schemaFormat")):
            _ref_or(_schema)(walker, value["schema"], f"{pointer}/schema")
    else:
        _schema(walker, value, pointer)


def _example_v2_1(walker: _Walker, value: Mapping[str, Any], pointer: str) -> None:
    if "payload" not in value and "headers" not in value:
        walker.report(pointer, "a message example needs 'payload' or 'headers'")


def _tags(item: Check) -> Check:
    """A list of tags; the spec requires each tag name (or reference) in it to be unique."""
    items = _list(item)

    def check(walker: _Walker, value: Any, pointer: str) -> None:
        items(walker, value, pointer)
        if not isinstance(value, list):
            return
        seen: dict[str, int] = {}
        for index, tag in enumerate(value):
            if not isinstance(tag, Mapping):
                continue
            key = tag.get("$ref", tag.get("name"))
            if not isinstance(key, str):
                continue
            if key in seen:
                walker.report(
                    f"{pointer}/{index}",
                    f"duplicate tag {key!r} (same as item {seen[key]}; tag names must be unique)",
                )
            else:
                seen[key] = index

    return check


# --------------------------------------------------------------------------------------------
# Security schemes


_SCHEME_TYPES_2_0 = (
    "userPassword",
    "apiKey",
    "X509",
    "symmetricEncryption",
    "asymmetricEncryption",
    "httpApiKey",
    "http",
    "oauth2",
    "openIdConnect",
)
_SCHEME_TYPES_2_1 = ("plain", "scramSha256", "scramSha512", "gssapi")
# Scheme types with no field but ``type`` and ``description``.
_SIMPLE_SCHEMES = frozenset(
    {"userPassword", "X509", "symmetricEncryption", "asymmetricEncryption", *_SCHEME_TYPES_2_1}
)


def _security_scheme(walker: _Walker, value: Any, pointer: str) -> None:
    """Dispatches on ``type`` to the kind of scheme it names."""
    if not isinstance(value, Mapping):
        walker.expected(pointer, "an object", value)
        return
    scheme_type = value.get("type")
    if scheme_type is None:
        walker.report(f"{pointer}/type", "required field is missing")
        return
    v2_0 = walker.version == "2.0.0"
    allowed = _SCHEME_TYPES_2_0 if v2_0 else _SCHEME_TYPES_2_0 + _SCHEME_TYPES_2_1
    if not isinstance(scheme_type, str):
        walker.expected(f"{pointer}/type", "a string", scheme_type)
        return
    if scheme_type not in allowed:
        if v2_0 and scheme_type in _SCHEME_TYPES_2_1:
            walker.report(
                f"{pointer}/type",
                f"security scheme type {scheme_type!r} requires AsyncAPI ≥ 2.1.0 "
                "(document is 2.0.0)",
            )
        else:
            walker.report(
                f"{pointer}/type",
                f"{scheme_type!r} is not a security scheme type "
                f"({', '.join(repr(a) for a in allowed)})",
            )
        return
    if scheme_type in _SIMPLE_SCHEMES:
        walker.object("simpleScheme", value, pointer)
    else:
        walker.object(f"{scheme_type}Scheme", value, pointer)


def _http_scheme_extra(walker: _Walker, value: Mapping[str, Any], pointer: str) -> None:
    if "bearerFormat" in value and value.get("scheme") != "bearer":
        walker.report(f"{pointer}/bearerFormat", "only allowed when 'scheme' is 'bearer'")


def _flows_extra(scopes: str) -> Check:
    """The per-flow required fields (and forbidden URLs) of the official schemas."""
    rules = {
        "implicit": (("authorizationUrl", scopes), "tokenUrl"),
        "password": (("tokenUrl", scopes), "authorizationUrl"),
        "clientCredentials": (("tokenUrl", scopes), "authorizationUrl"),
        "authorizationCode": (("authorizationUrl", "tokenUrl", scopes), None),
    }

    def check(walker: _Walker, value: Mapping[str, Any], pointer: str) -> None:
        for flow_name, (required, forbidden) in rules.items():
            flow = value.get(flow_name)
            if not isinstance(flow, Mapping):
                continue
            where = f"{pointer}/{flow_name}"
            for name in required:
                if name not in flow:
                    walker.report(
                        f"{where}/{name}", f"required field is missing ({flow_name} flow)"
                    )
            if forbidden is not None and forbidden in flow:
                walker.report(f"{where}/{forbidden}", f"not allowed in the {flow_name} flow")

    return check


# --------------------------------------------------------------------------------------------
# Bindings


def _bindings(*, channel: bool) -> Check:
    def check(walker: _Walker, value: Any, pointer: str) -> None:
        if not isinstance(value, Mapping):
            walker.expected(pointer, "an object (protocol name → binding)", value)
            return
        if channel and "ws" in value and not _is_ref(value["ws"]):
            walker.object("wsChannelBinding", value["ws"], f"{pointer}/ws")

    return check


# --------------------------------------------------------------------------------------------
# Tables


class _F:
    """A field declaration: its check, whether it is required, and since which version it exists."""

    __slots__ = ("check", "required", "since")

    def __init__(self, check: Check, required: bool = False, since: str = "2.0.0") -> None:
        self.check = check
        self.required = required
        self.since = since


_FieldTable = Mapping[str, Mapping[str, _F]]


def _at_least(version: str, since: str) -> bool:
    return SUPPORTED_VERSIONS.index(version) >= SUPPORTED_VERSIONS.index(since)


def _v2_fields(version: str) -> _FieldTable:
    """Every kind of AsyncAPI 2.x object, with the minor version each field appeared in."""
    v = version
    tag = _obj("tag")
    tags = _tags(tag)
    ext_docs = _obj("externalDocs")
    security = _list(_map(_list(_string, unique=True), what="security scheme name"))
    server_variable = _obj("serverVariable")
    server_variables = _map(
        _ref_or(server_variable) if _at_least(v, "2.5.0") else _ref_since("2.5.0", server_variable)
    )
    server = _obj("server")
    servers = _map(_ref_or(server) if _at_least(v, "2.3.0") else _ref_since("2.3.0", server))
    channel = _obj("channel")
    channels = _map(channel, what="channel name")
    parameter = _ref_or(_obj("parameter"))
    message = _message_v2
    correlation_id = _ref_or(_obj("correlationId"))
    operation_trait = _ref_or(_obj("operationTrait"))
    message_trait = _ref_or(_obj("messageTrait"))
    scheme = _ref_or(_security_scheme)
    any_bindings = _bindings(channel=False)
    channel_bindings = _bindings(channel=True)

    def component_map(check: Check) -> Check:
        # The spec text allows a Reference Object in every components map.
        return _map(_ref_or(check), keys=_COMPONENT_KEY, what="component name")

    example = _obj("messageExample")
    return {
        "root": {
            "asyncapi": _F(_any, required=True),
            "id": _F(_string),
            "info": _F(_obj("info"), required=True),
            "servers": _F(servers),
            "defaultContentType": _F(_string),
            "channels": _F(channels, required=True),
            "components": _F(_obj("components")),
            "tags": _F(tags),
            "externalDocs": _F(ext_docs),
        },
        "info": {
            "title": _F(_string, required=True),
            "version": _F(_string, required=True),
            "description": _F(_string),
            "termsOfService": _F(_string),
            "contact": _F(_obj("contact")),
            "license": _F(_obj("license")),
        },
        "contact": {"name": _F(_string), "url": _F(_string), "email": _F(_string)},
        "license": {"name": _F(_string, required=True), "url": _F(_string)},
        "server": {
            "url": _F(_string, required=True),
            "protocol": _F(_string, required=True),
            "protocolVersion": _F(_string),
            "description": _F(_string),
            "variables": _F(server_variables),
            "security": _F(security),
            "bindings": _F(any_bindings),
            "tags": _F(tags, since="2.5.0"),
        },
        "serverVariable": {
            "enum": _F(_list(_string, unique=True)),
            "default": _F(_string),
            "description": _F(_string),
            "examples": _F(_list(_string)),
        },
        "channel": {
            "$ref": _F(_string),
            "parameters": _F(_map(parameter, keys=_PARAMETER_NAME, what="parameter name")),
            "description": _F(_string),
            "servers": _F(_list(_string, unique=True), since="2.2.0"),
            "publish": _F(_obj("operation")),
            "subscribe": _F(_obj("operation")),
            "deprecated": _F(_boolean),
            "bindings": _F(channel_bindings),
        },
        "parameter": {
            "description": _F(_string),
            "schema": _F(_schema),
            "location": _F(_runtime_expression),
        },
        "operation": {
            "traits": _F(_list(operation_trait)),
            "summary": _F(_string),
            "description": _F(_string),
            "security": _F(security, since="2.4.0"),
            "tags": _F(tags),
            "externalDocs": _F(ext_docs),
            "operationId": _F(_string),
            "bindings": _F(any_bindings),
            "message": _F(message),
        },
        "operationTrait": {
            "summary": _F(_string),
            "description": _F(_string),
            "tags": _F(tags),
            "externalDocs": _F(ext_docs),
            "operationId": _F(_string),
            "security": _F(security, since="2.4.0"),
            "bindings": _F(any_bindings),
        },
        "message": {
            "schemaFormat": _F(_string),
            "contentType": _F(_string),
            "headers": _F(_object_schema),
            "messageId": _F(_string, since="2.4.0"),
            "payload": _F(_payload_v2),
            "correlationId": _F(correlation_id),
            "tags": _F(tags),
            "summary": _F(_string),
            "name": _F(_string),
            "title": _F(_string),
            "description": _F(_string),
            "externalDocs": _F(ext_docs),
            "deprecated": _F(_boolean),
            "examples": _F(_list(example)),
            "bindings": _F(any_bindings),
            "traits": _F(_list(_trait_item(message_trait))),
        },
        "messageOneOf": {"oneOf": _F(_list(message), required=True)},
        "messageTrait": {
            "schemaFormat": _F(_string),
            "contentType": _F(_string),
            "headers": _F(_object_schema),
            "messageId": _F(_string, since="2.4.0"),
            "correlationId": _F(correlation_id),
            "tags": _F(tags),
            "summary": _F(_string),
            "name": _F(_string),
            "title": _F(_string),
            "description": _F(_string),
            "externalDocs": _F(ext_docs),
            "deprecated": _F(_boolean),
            "examples": _F(_list(_mapping)),
            "bindings": _F(any_bindings),
        },
        "messageExample": {
            "headers": _F(_mapping),
            "payload": _F(_any),
            "name": _F(_string, since="2.1.0"),
            "summary": _F(_string, since="2.1.0"),
        },
        "correlationId": {
            "description": _F(_string),
            "location": _F(_runtime_expression, required=True),
        },
        "tag": {
            "name": _F(_string, required=True),
            "description": _F(_string),
            "externalDocs": _F(ext_docs),
        },
        "externalDocs": {"description": _F(_string), "url": _F(_string, required=True)},
        "components": {
            "schemas": _F(component_map(_schema)),
            "servers": _F(component_map(server), since="2.3.0"),
            "channels": _F(_map(channel, what="channel name"), since="2.3.0"),
            "serverVariables": _F(component_map(server_variable), since="2.4.0"),
            "messages": _F(component_map(message)),
            "securitySchemes": _F(component_map(scheme)),
            "parameters": _F(component_map(parameter)),
            "correlationIds": _F(component_map(correlation_id)),
            "operationTraits": _F(component_map(operation_trait)),
            "messageTraits": _F(component_map(message_trait)),
            "serverBindings": _F(component_map(any_bindings)),
            "channelBindings": _F(component_map(channel_bindings)),
            "operationBindings": _F(component_map(any_bindings)),
            "messageBindings": _F(component_map(any_bindings)),
        },
        **_security_fields(v3=False),
        **_common_fields(),
    }


def _message_v2(walker: _Walker, value: Any, pointer: str) -> None:
    """AsyncAPI 2.x message: a Reference, ``{oneOf: [messages]}``, or a Message Object."""
    if isinstance(value, Mapping):
        if "$ref" in value:
            _check_ref(walker, value, pointer)
            return
        if "oneOf" in value:
            walker.object("messageOneOf", value, pointer)
            return
    walker.object("message", value, pointer)


def _trait_item(trait: Check) -> Check:
    """A trait, or (as the official schemas also allow) a ``[trait, parameters]`` pair."""

    def check(walker: _Walker, value: Any, pointer: str) -> None:
        if isinstance(value, list):
            if len(value) != 2:
                walker.report(pointer, "a trait pair must be [trait, parameters]")
                return
            trait(walker, value[0], f"{pointer}/0")
            _mapping(walker, value[1], f"{pointer}/1")
        else:
            trait(walker, value, pointer)

    return check


def _security_fields(*, v3: bool) -> _FieldTable:
    scopes_list = {"scopes": _F(_list(_string))} if v3 else {}
    scopes = "availableScopes" if v3 else "scopes"
    return {
        "simpleScheme": {"type": _F(_any, required=True), "description": _F(_string)},
        "apiKeyScheme": {
            "type": _F(_any, required=True),
            "in": _F(_enum("user", "password"), required=True),
            "description": _F(_string),
        },
        "httpApiKeyScheme": {
            "type": _F(_any, required=True),
            "name": _F(_string, required=True),
            "in": _F(_enum("header", "query", "cookie"), required=True),
            "description": _F(_string),
        },
        "httpScheme": {
            "type": _F(_any, required=True),
            "scheme": _F(_string, required=True),
            "bearerFormat": _F(_string),
            "description": _F(_string),
        },
        "oauth2Scheme": {
            "type": _F(_any, required=True),
            "description": _F(_string),
            "flows": _F(_obj("oauthFlows"), required=True),
            **scopes_list,
        },
        "oauthFlows": {
            name: _F(_obj("oauthFlow"))
            for name in ("implicit", "password", "clientCredentials", "authorizationCode")
        },
        "oauthFlow": {
            "authorizationUrl": _F(_string),
            "tokenUrl": _F(_string),
            "refreshUrl": _F(_string),
            scopes: _F(_map(_string, what="scope")),
        },
        "openIdConnectScheme": {
            "type": _F(_any, required=True),
            "description": _F(_string),
            "openIdConnectUrl": _F(_string, required=True),
            **scopes_list,
        },
    }


def _common_fields() -> _FieldTable:
    return {
        "wsChannelBinding": {
            "method": _F(_enum("GET", "POST")),
            "query": _F(_object_schema),
            "headers": _F(_object_schema),
            "bindingVersion": _F(_string),
        },
    }


def _v3_fields() -> _FieldTable:
    """Every kind of AsyncAPI 3.0 object."""
    tags = _tags(_ref_or(_obj("tag")))
    ext_docs = _ref_or(_obj("externalDocs"))
    security = _list(_ref_or(_security_scheme))
    server_variable = _ref_or(_obj("serverVariable"))
    server = _ref_or(_obj("server"))
    channel = _ref_or(_obj("channel"))
    operation = _ref_or(_obj("operation"))
    message = _ref_or(_obj("message"))
    parameter = _ref_or(_obj("parameter"))
    correlation_id = _ref_or(_obj("correlationId"))
    reply = _ref_or(_obj("reply"))
    reply_address = _ref_or(_obj("replyAddress"))
    operation_trait = _ref_or(_obj("operationTrait"))
    message_trait = _ref_or(_obj("messageTrait"))
    scheme = _ref_or(_security_scheme)
    any_bindings = _ref_or(_bindings(channel=False))
    channel_bindings = _ref_or(_bindings(channel=True))

    def component_map(check: Check) -> Check:
        return _map(check, keys=_COMPONENT_KEY, what="component name")

    return {
        "root": {
            "asyncapi": _F(_any, required=True),
            "id": _F(_string),
            "info": _F(_obj("info"), required=True),
            "servers": _F(_map(server)),
            "defaultContentType": _F(_string),
            "channels": _F(_map(channel, what="channel id")),
            "operations": _F(_map(operation, what="operation id")),
            "components": _F(_obj("components")),
        },
        "info": {
            "title": _F(_string, required=True),
            "version": _F(_string, required=True),
            "description": _F(_string),
            "termsOfService": _F(_string),
            "contact": _F(_obj("contact")),
            "license": _F(_obj("license")),
            "tags": _F(tags),
            "externalDocs": _F(ext_docs),
        },
        "contact": {"name": _F(_string), "url": _F(_string), "email": _F(_string)},
        "license": {"name": _F(_string, required=True), "url": _F(_string)},
        "server": {
            "host": _F(_string, required=True),
            "protocol": _F(_string, required=True),
            "protocolVersion": _F(_string),
            "pathname": _F(_string),
            "title": _F(_string),
            "summary": _F(_string),
            "description": _F(_string),
            "variables": _F(_map(server_variable)),
            "security": _F(security),
            "tags": _F(tags),
            "externalDocs": _F(ext_docs),
            "bindings": _F(any_bindings),
        },
        "serverVariable": {
            "enum": _F(_list(_string, unique=True)),
            "default": _F(_string),
            "description": _F(_string),
            "examples": _F(_list(_string)),
        },
        "channel": {
            "address": _F(_nullable_string),
            "title": _F(_string),
            "summary": _F(_string),
            "description": _F(_string),
            "messages": _F(_map(message, what="message id")),
            "parameters": _F(_map(parameter, keys=_PARAMETER_NAME, what="parameter name")),
            "servers": _F(_list(_ref_only, unique=True)),
            "tags": _F(tags),
            "externalDocs": _F(ext_docs),
            "bindings": _F(channel_bindings),
        },
        "parameter": {
            "description": _F(_string),
            "enum": _F(_list(_string)),
            "default": _F(_string),
            "examples": _F(_list(_string)),
            "location": _F(_runtime_expression),
        },
        "operation": {
            "action": _F(_enum("send", "receive"), required=True),
            "channel": _F(_ref_only, required=True),
            "title": _F(_string),
            "summary": _F(_string),
            "description": _F(_string),
            "security": _F(security),
            "tags": _F(tags),
            "externalDocs": _F(ext_docs),
            "bindings": _F(any_bindings),
            "traits": _F(_list(_trait_item(operation_trait))),
            "messages": _F(_list(_ref_only)),
            "reply": _F(reply),
        },
        "operationTrait": {
            "title": _F(_string),
            "summary": _F(_string),
            "description": _F(_string),
            "security": _F(security),
            "tags": _F(tags),
            "externalDocs": _F(ext_docs),
            "bindings": _F(any_bindings),
        },
        "reply": {
            "address": _F(reply_address),
            "channel": _F(_ref_only),
            "messages": _F(_list(_ref_only)),
        },
        "replyAddress": {
            "location": _F(_runtime_expression, required=True),
            "description": _F(_string),
        },
        "message": {
            "contentType": _F(_string),
            "headers": _F(_any_schema),
            "payload": _F(_any_schema),
            "correlationId": _F(correlation_id),
            "tags": _F(tags),
            "summary": _F(_string),
            "name": _F(_string),
            "title": _F(_string),
            "description": _F(_string),
            "externalDocs": _F(ext_docs),
            "deprecated": _F(_boolean),
            "examples": _F(_list(_obj("messageExample"))),
            "bindings": _F(any_bindings),
            "traits": _F(_list(_trait_item(message_trait))),
        },
        "messageTrait": {
            "contentType": _F(_string),
            "headers": _F(_any_schema),
            "correlationId": _F(correlation_id),
            "tags": _F(tags),
            "summary": _F(_string),
            "name": _F(_string),
            "title": _F(_string),
            "description": _F(_string),
            "externalDocs": _F(ext_docs),
            "deprecated": _F(_boolean),
            "examples": _F(_list(_mapping)),
            "bindings": _F(any_bindings),
        },
        "messageExample": {
            "headers": _F(_mapping),
            "payload": _F(_any),
            "name": _F(_string),
            "summary": _F(_string),
        },
        "multiFormatSchema": {"schemaFormat": _F(_string), "schema": _F(_any)},
        "correlationId": {
            "description": _F(_string),
            "location": _F(_runtime_expression, required=True),
        },
        "tag": {
            "name": _F(_string, required=True),
            "description": _F(_string),
            "externalDocs": _F(ext_docs),
        },
        "externalDocs": {"description": _F(_string), "url": _F(_string, required=True)},
        "components": {
            "schemas": _F(component_map(_any_schema)),
            "servers": _F(component_map(server)),
            "channels": _F(component_map(channel)),
            "operations": _F(component_map(operation)),
            "messages": _F(component_map(message)),
            "securitySchemes": _F(component_map(scheme)),
            "serverVariables": _F(component_map(server_variable)),
            "parameters": _F(component_map(parameter)),
            "correlationIds": _F(component_map(correlation_id)),
            "replies": _F(component_map(reply)),
            "replyAddresses": _F(component_map(reply_address)),
            "externalDocs": _F(component_map(ext_docs)),
            "tags": _F(component_map(_ref_or(_obj("tag")))),
            "operationTraits": _F(component_map(operation_trait)),
            "messageTraits": _F(component_map(message_trait)),
            "serverBindings": _F(component_map(any_bindings)),
            "channelBindings": _F(component_map(channel_bindings)),
            "operationBindings": _F(component_map(any_bindings)),
            "messageBindings": _F(component_map(any_bindings)),
        },
        **_security_fields(v3=True),
        **_common_fields(),
    }


_EXTRAS: Final[Mapping[str, Check]] = {
    "httpScheme": _http_scheme_extra,
}
_LENIENT_KINDS: Final = frozenset({"oauth2Scheme"})
"""Kinds whose official schemas do not forbid unknown fields."""

_CACHE: dict[str, Mapping[str, _Kind]] = {}


def _tables(version: str) -> Mapping[str, _Kind]:
    """The kinds of one version, built on first use (so that importing asynction stays cheap)."""
    cached = _CACHE.get(version)
    if cached is not None:
        return cached
    v3 = version == _V3
    declared = _v3_fields() if v3 else _v2_fields(version)
    # Fields that this kind has in other versions, for "requires AsyncAPI ≥ x" style messages.
    others = _v2_fields(_V2_LAST) if v3 else _v3_fields()
    kinds: dict[str, _Kind] = {}
    for name, fields in declared.items():
        present: dict[str, Check] = {}
        elsewhere: dict[str, str] = {}
        required: list[str] = []
        for field_name, spec in fields.items():
            if v3 or _at_least(version, spec.since):
                present[field_name] = spec.check
                if spec.required:
                    required.append(field_name)
            else:
                elsewhere[field_name] = f"requires AsyncAPI ≥ {spec.since} (document is {version})"
        for field_name in others.get(name, {}):
            if field_name not in present and field_name not in elsewhere:
                elsewhere[field_name] = (
                    f"exists only in AsyncAPI 2.x (document is {version})"
                    if v3
                    else f"exists only in AsyncAPI 3.0 (document is {version})"
                )
        extra = _EXTRAS.get(name)
        if name == "message" and not v3:
            extra = _message_payload_v2
        elif name == "messageExample" and (v3 or _at_least(version, "2.1.0")):
            extra = _example_v2_1
        elif name == "oauthFlows":
            extra = _flows_extra("availableScopes" if v3 else "scopes")
        kinds[name] = _Kind(
            name=name,
            fields=present,
            required=tuple(required),
            other_versions=elsewhere or None,
            lenient=name in _LENIENT_KINDS,
            extra=extra,
        )
    _CACHE[version] = kinds
    return kinds
