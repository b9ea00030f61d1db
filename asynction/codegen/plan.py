"""What a generated module declares, worked out from the spec model alone.

:func:`make_plan` names every model (payloads, tuple positions, acks, bindings, the ``$defs`` they
share), records where in the spec each one's schema lives, decides how the Socket.IO arguments of
each event map onto Python parameters (design §2), and names the server's methods.

The schemas handed to datamodel-code-generator are a *typing view* of the spec's: the keywords it
cannot express faithfully in pydantic types (``pattern`` in another regex dialect, ``format``\\ s
whose Python types do not hold every valid value, ``multipleOf`` on floats…) are left out, since the
generated models check every input against the full JSON Schema first (see
:mod:`asynction.codegen.runtime`). Leaving a keyword out only ever widens the pydantic types.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from asynction.codegen.naming import NameAllocator, namespace_words, pascal_case, snake_case
from asynction.spec.model import MAIN_NAMESPACE, Api, Event, JsonSchema, Namespace
from asynction.validation.arguments import ArgumentShape, argument_shape
from asynction.validation.schema import plain_json

__all__ = [
    "ArgsPlan",
    "Definition",
    "EventPlan",
    "NamespacePlan",
    "Origin",
    "Plan",
    "make_plan",
]

Part = Literal["payload", "ack", "query", "headers"]

MODULE_NAMES = frozenset(
    {
        "SPEC",
        "Annotated",
        "Any",
        "AnyUrl",
        "Api",
        "Args",
        "AwareDatetime",
        "BaseModel",
        "Callable",
        "ClassVar",
        "ConfigDict",
        "ConnectBindings",
        "Decimal",
        "Direction",
        "EmailStr",
        "Enum",
        "Event",
        "Field",
        "Final",
        "Hooks",
        "Incoming",
        "Literal",
        "Model",
        "Namespace",
        "NamespaceHandlers",
        "Outgoing",
        "RootModel",
        "SecurityInfo",
        "SecurityScheme",
        "Server",
        "SpecModel",
        "TypeAlias",
        "TypeAliasType",
        "TypedServer",
        "UUID",
    }
    | {name for name in dir(builtins) if name[:1].isupper()}
)
"""Module-level names a generated module may import or define besides its models."""

_STRIPPED = frozenset(
    {
        "pattern",
        "multipleOf",
        "patternProperties",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
        "uniqueItems",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
        "not",
        "if",
        "then",
        "else",
        "dependentSchemas",
        "dependentRequired",
        "contains",
        "minContains",
        "maxContains",
        "minProperties",
        "maxProperties",
        "discriminator",
        "$schema",
        "$id",
        "$anchor",
        "$dynamicAnchor",
        "$comment",
        "$vocabulary",
    }
)
"""Keywords left out of the typing view: the JSON Schema check enforces them."""
_TYPED_FORMATS = {"uuid": "string"}
"""Formats whose Python type accepts every value the format does: kept in the typing view."""
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_VALUES = frozenset({"items", "additionalProperties", "additionalItems"})
_DEFS = "#/$defs/"


@dataclass(frozen=True)
class Origin:
    """Where the schema of a definition lives in the spec model."""

    namespace: str
    event: str | None
    """``None`` for a bindings schema."""
    part: Part
    pointer: str
    """JSON pointer inside that schema, ``""`` for its root."""

    def at(self, pointer: str) -> Origin:
        """The origin of a subschema ``pointer`` below this one."""
        return Origin(self.namespace, self.event, self.part, self.pointer + pointer)


@dataclass
class Definition:
    """One entry of the schema given to datamodel-code-generator: a model class or type alias."""

    name: str
    schema: dict[str, Any]
    """The typing view of the schema, references rewritten to ``#/$defs/<name>``."""
    origin: Origin


@dataclass(frozen=True)
class ArgsPlan:
    """How the arguments of an event (or its ack) become Python parameters; see
    :class:`asynction.codegen.runtime.Args`."""

    kind: Literal["none", "null", "single", "tuple", "list"]
    types: tuple[str, ...] = ()
    """Definition names (``Any`` for an unconstrained position)."""
    names: tuple[str, ...] = ()
    """Parameter names, one per type."""
    required: int = 0
    rest: str | None = None
    """For ``tuple``: the type of further arguments (``Any`` if unconstrained), ``None`` if none
    are allowed."""
    nullable: bool = False
    """For ``single``: no argument is valid (the schema admits ``null``)."""


@dataclass(frozen=True)
class EventPlan:
    """One event and its method in the server class."""

    namespace: Namespace
    event: Event
    method: str
    payload: ArgsPlan
    ack: ArgsPlan


@dataclass(frozen=True)
class NamespacePlan:
    """One namespace: its hooks and bindings models."""

    namespace: Namespace
    connect: str
    disconnect: str
    error: str
    query: str | None
    headers: str | None


@dataclass
class Plan:
    """Everything a generated module declares."""

    api: Api
    class_name: str
    definitions: dict[str, Definition] = field(default_factory=dict)
    namespaces: list[NamespacePlan] = field(default_factory=list)
    incoming: list[EventPlan] = field(default_factory=list)
    outgoing: list[EventPlan] = field(default_factory=list)

    @property
    def arguments(self) -> set[str]:
        """Definitions that type a whole payload or ack, or one position of a tuple: a non-object
        one becomes a root model (a class) rather than a type alias, so that handlers and emits
        always deal in models."""
        return {
            name
            for event in (*self.incoming, *self.outgoing)
            for args in (event.payload, event.ack)
            for name in (*args.types, args.rest)
            if name is not None and name != "Any"
        }

    def typing_schema(self) -> dict[str, Any]:
        """The one schema handed to datamodel-code-generator: every definition under ``$defs``."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {name: definition.schema for name, definition in self.definitions.items()},
        }


class PlanError(ValueError):
    """The spec cannot be turned into code (an option or a name is unusable)."""


def make_plan(
    api: Api, *, class_name: str | None = None, reserved: frozenset[str] = frozenset()
) -> Plan:
    """The plan of the module generated for ``api``.

    :param class_name: the server class's name (default: ``<Title>Server``).
    :param reserved: attribute names of the server base class, which methods must not take.
    """
    name = class_name or f"{pascal_case(api.title, default='Api')}Server"
    if not name.isidentifier() or name in MODULE_NAMES:
        raise PlanError(f"class name {name!r} is not a usable Python class name")
    planner = _Planner(api, name, reserved)
    return planner.plan()


class _Planner:
    def __init__(self, api: Api, class_name: str, reserved: frozenset[str]) -> None:
        self.plan_ = Plan(api, class_name)
        self.classes = NameAllocator(MODULE_NAMES | {class_name}, separator="")
        self.methods = NameAllocator(reserved)
        self.by_content: dict[tuple[str, str], str] = {}

    def plan(self) -> Plan:
        plan = self.plan_
        api = plan.api
        slugs = {namespace.name: _slug(namespace.name) for namespace in api.namespaces}
        for namespace in api.namespaces:
            slug = slugs[namespace.name]
            prefix = f"on_{slug}_" if slug else "on_"
            connect = self.methods.allocate(f"{prefix}connect", suffix="hook")
            disconnect = self.methods.allocate(f"{prefix}disconnect", suffix="hook")
            error = self.methods.allocate(f"{prefix}error", suffix="hook")
            query = headers = None
            bindings = namespace.bindings
            words = pascal_case(namespace_words(namespace.name), default="Main")
            if namespace.name == MAIN_NAMESPACE:
                words = "Main"
            if bindings is not None and bindings.query is not None:
                query = self._root(
                    bindings.query, f"{words}Query", Origin(namespace.name, None, "query", ""), None
                )
            if bindings is not None and bindings.headers is not None:
                headers = self._root(
                    bindings.headers,
                    f"{words}Headers",
                    Origin(namespace.name, None, "headers", ""),
                    None,
                )
            plan.namespaces.append(
                NamespacePlan(namespace, connect, disconnect, error, query, headers)
            )
        for namespace in api.namespaces:
            slug = slugs[namespace.name]
            for event in namespace.incoming:
                method = self.methods.allocate(
                    f"on_{slug}_{snake_case(event.name)}"
                    if slug
                    else f"on_{snake_case(event.name)}",
                    suffix="event",
                )
                plan.incoming.append(self._event(namespace, event, method))
        for namespace in api.namespaces:
            slug = slugs[namespace.name]
            for event in namespace.outgoing:
                method = self.methods.allocate(
                    f"emit_{slug}_{snake_case(event.name)}"
                    if slug
                    else f"emit_{snake_case(event.name)}",
                    suffix="event",
                )
                plan.outgoing.append(self._event(namespace, event, method))
        return plan

    def _event(self, namespace: Namespace, event: Event, method: str) -> EventPlan:
        base = pascal_case(event.message_key or event.name, default="Message")
        prefix = pascal_case(namespace_words(namespace.name), default="Main")
        docs = _event_docs(event)
        payload = self._arguments(
            event.payload, base, prefix, Origin(namespace.name, event.name, "payload", ""), docs
        )
        ack = self._arguments(
            event.ack, f"{base}Ack", prefix, Origin(namespace.name, event.name, "ack", ""), None
        )
        return EventPlan(namespace, event, method, payload, ack)

    def _arguments(
        self,
        schema: JsonSchema | None,
        base: str,
        prefix: str,
        origin: Origin,
        docs: _Docs | None,
    ) -> ArgsPlan:
        shape = argument_shape(schema)
        if schema is None or shape is ArgumentShape.NONE:
            return ArgsPlan("none")
        if shape is ArgumentShape.SINGLE:
            if _null_only(schema):
                return ArgsPlan("null")
            name = self._root(schema, base, origin, docs, prefix)
            return ArgsPlan("single", (name,), ("payload",), nullable=_admits_null(schema))
        if shape is ArgumentShape.LIST:
            name = self._root(schema, base, origin, docs, prefix)
            return ArgsPlan("list", (name,), ("payload",))
        return self._tuple(schema, base, prefix, origin)

    def _tuple(self, schema: JsonSchema, base: str, prefix: str, origin: Origin) -> ArgsPlan:
        hoisted = self._hoist(schema, origin, base, prefix)
        items = schema.get("prefixItems") or ()
        types: list[str] = []
        names: list[str] = []
        taken = {"self"}
        for index, item in enumerate(items):
            title = item.get("title") if isinstance(item, Mapping) else None
            # A titled position names its model and parameter (`title: Sensor` → ReadingSensor,
            # `sensor`); an untitled one is known by its index.
            titled = pascal_case(title, default="") if isinstance(title, str) else ""
            types.append(
                self._position(
                    item,
                    f"{base}{titled}" if titled else f"{base}Arg{index}",
                    origin.at(f"/prefixItems/{index}"),
                    hoisted,
                )
            )
            wanted = snake_case(title, default="") if isinstance(title, str) else ""
            wanted = wanted if wanted and wanted not in taken else f"arg{index}"
            while wanted in taken:
                wanted += "_"
            taken.add(wanted)
            names.append(wanted)
        rest_schema = schema.get("items", True)
        rest: str | None
        if rest_schema is False:
            rest = None
        elif rest_schema is True or rest_schema == {}:
            rest = "Any"
        else:
            rest = self._position(rest_schema, f"{base}Rest", origin.at("/items"), hoisted)
        minimum = schema.get("minItems", 0)
        required = minimum if isinstance(minimum, int) and not isinstance(minimum, bool) else 0
        return ArgsPlan(
            "tuple",
            tuple(types),
            tuple(names),
            required=min(required, len(types)),
            rest=rest,
        )

    def _position(self, schema: Any, wanted: str, origin: Origin, hoisted: _Hoisted) -> str:
        """The type of one tuple position: a hoisted definition it refers to, else its own."""
        if schema is True or schema == {}:
            return "Any"
        if isinstance(schema, Mapping) and set(schema) == {"$ref"}:
            target = hoisted.target(schema["$ref"])
            if target is not None:
                return target
        return self._define(wanted, schema, origin, hoisted, None, None)

    def _root(
        self,
        schema: JsonSchema,
        wanted: str,
        origin: Origin,
        docs: _Docs | None,
        prefix: str | None = None,
    ) -> str:
        hoisted = self._hoist(schema, origin, wanted, prefix)
        # A recursive schema's root is a copy of one of its own $defs: reuse that model.
        content = _canonical(_typing_view(schema, hoisted.rewrite, root=True))
        for name in hoisted.names.values():
            if _canonical(self.plan_.definitions[name].schema) == content:
                return name
        return self._define(wanted, schema, origin, hoisted, docs, prefix, root=True)

    def _hoist(self, schema: JsonSchema, origin: Origin, base: str, prefix: str | None) -> _Hoisted:
        """Give each of the root's ``$defs`` a definition of its own (shared with identical ones)."""
        defs = schema.get("$defs")
        hoisted = _Hoisted({})
        if not isinstance(defs, Mapping):
            return hoisted
        # Names first (references between $defs need them), then the schemas.
        pending: list[tuple[str, str, Any]] = []
        for key, sub in defs.items():
            wanted = pascal_case(str(key), default="Schema")
            content = _canonical(_closure(defs, str(key)))
            known = self.by_content.get((wanted, content))
            if known is not None:
                hoisted.names[str(key)] = known
                continue
            name = self._allocate_class(wanted, prefix)
            self.by_content[(wanted, content)] = name
            hoisted.names[str(key)] = name
            pending.append((name, str(key), sub))
        for name, key, sub in pending:
            self.plan_.definitions[name] = Definition(
                name,
                _typing_view(sub, hoisted.rewrite, root=True),
                origin.at(f"/$defs/{_escape(key)}"),
            )
        return hoisted

    def _define(
        self,
        wanted: str,
        schema: Any,
        origin: Origin,
        hoisted: _Hoisted,
        docs: _Docs | None,
        prefix: str | None,
        *,
        root: bool = False,
    ) -> str:
        view = _typing_view(schema, hoisted.rewrite, root=root)
        if docs and isinstance(view, dict):
            # The event's summary and description (unless the schema describes itself) and its
            # examples become the model's docstring.
            described = view.get("description")
            own = (
                described.strip()
                if isinstance(described, str) and described.strip()
                else docs.about
            )
            text = "\n\n".join(part for part in (own, docs.examples_text) if part)
            if text:
                view["description"] = text
            if docs.examples and "examples" not in view:
                # The message's example payloads are examples of the payload's schema: pydantic
                # shows them in model_json_schema().
                view["examples"] = [plain_json(example) for example in docs.examples]
        content = _canonical(view)
        known = self.by_content.get((wanted, content))
        if known is not None:
            return known
        name = self._allocate_class(wanted, prefix)
        self.by_content[(wanted, content)] = name
        self.plan_.definitions[name] = Definition(
            name, view if isinstance(view, dict) else {"allOf": [view]}, origin
        )
        return name

    def _allocate_class(self, wanted: str, prefix: str | None) -> str:
        if wanted not in self.classes:
            return self.classes.allocate(wanted)
        if prefix and f"{prefix}{wanted}" not in self.classes:
            return self.classes.allocate(f"{prefix}{wanted}")
        return self.classes.allocate(wanted)


@dataclass
class _Hoisted:
    names: dict[str, str]
    """``$defs`` key of the root → definition name."""

    def rewrite(self, reference: str) -> str:
        if reference.startswith(_DEFS):
            key, slash, rest = reference[len(_DEFS) :].partition("/")
            name = self.names.get(_unescape(key))
            if name is not None:
                return f"{_DEFS}{name}{slash}{rest}"
        return reference

    def target(self, reference: str) -> str | None:
        if reference.startswith(_DEFS) and "/" not in reference[len(_DEFS) :]:
            return self.names.get(_unescape(reference[len(_DEFS) :]))
        return None


def _typing_view(schema: Any, rewrite: Callable[[str], str], *, root: bool = False) -> Any:
    """A copy of ``schema`` without the keywords the JSON Schema check enforces on its own, its
    references rewritten."""
    if not isinstance(schema, Mapping):
        return schema
    view: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _STRIPPED:
            continue
        if key == "format":
            if _TYPED_FORMATS.get(str(value)) == schema.get("type"):
                view[key] = value
            continue
        if key == "$ref" and isinstance(value, str):
            view[key] = rewrite(value)
        elif key in ("$defs", "definitions") and root:
            continue  # hoisted into definitions of their own
        elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
            view[key] = {name: _typing_view(sub, rewrite) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, (list, tuple)):
            view[key] = [_typing_view(sub, rewrite) for sub in value]
        elif key in _SCHEMA_VALUES:
            view[key] = _typing_view(value, rewrite)
        else:
            view[key] = plain_json(value)
    if "default" in view and not _default_fits(view["default"], schema):
        # A default the schema itself refuses would be a wrongly typed Python default.
        del view["default"]
    if "patternProperties" in schema and view.get("additionalProperties") is False:
        # pydantic would forbid the keys the patterns admit.
        del view["additionalProperties"]
    return view


def _default_fits(value: Any, schema: Mapping[str, Any]) -> bool:
    """Whether a ``default`` has a JSON type the schema's ``type`` and ``enum`` allow."""
    types = _types(schema)
    if types is not None and not any(_is_json_type(value, kind) for kind in types):
        return False
    enum = schema.get("enum")
    if isinstance(enum, (list, tuple)) and value not in enum:
        return False
    return "const" not in schema or schema["const"] == value


def _is_json_type(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, (list, tuple))
    if kind == "object":
        return isinstance(value, Mapping)
    return True


def _closure(defs: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The ``$defs`` entry ``key`` and every entry it refers to, transitively."""
    found: dict[str, Any] = {}
    stack = [key]
    while stack:
        current = stack.pop()
        if current in found or current not in defs:
            continue
        found[current] = defs[current]
        stack.extend(_references(defs[current]))
    return found


def _references(schema: Any) -> list[str]:
    keys: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith(_DEFS):
                keys.append(_unescape(reference[len(_DEFS) :].split("/", 1)[0]))
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return keys


def _canonical(value: Any) -> str:
    return json.dumps(plain_json(value), sort_keys=True, separators=(",", ":"), default=repr)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _types(schema: Mapping[str, Any]) -> set[str] | None:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, (list, tuple)):
        return {str(item) for item in declared}
    return None


def _null_only(schema: JsonSchema) -> bool:
    """Whether the schema admits ``null`` and nothing else (so the event takes no argument)."""
    if "const" in schema:
        return schema["const"] is None
    enum = schema.get("enum")
    if isinstance(enum, (list, tuple)) and enum:
        return all(value is None for value in enum)
    return _types(schema) == {"null"}


def _admits_null(schema: JsonSchema) -> bool:
    types = _types(schema)
    return types is not None and "null" in types


@dataclass(frozen=True)
class _Docs:
    """What an event says about its payload's model."""

    about: str
    """The event's summary and description."""
    examples_text: str
    """Its example payloads as JSON, for the docstring."""
    examples: tuple[Any, ...]


def _event_docs(event: Event) -> _Docs:
    """The event's summary and description, and its examples (as JSON), as docstring text."""
    about = "\n\n".join(
        text.strip() for text in (event.summary, event.description) if text and text.strip()
    )
    examples = [json.dumps(example, ensure_ascii=False, default=str) for example in event.examples]
    label = "Example" if len(examples) == 1 else "Examples"
    text = f"{label}: " + "\n".join(examples) if examples else ""
    return _Docs(about, text, tuple(event.examples))


def _slug(namespace: str) -> str:
    return (
        "" if namespace == MAIN_NAMESPACE else snake_case(namespace_words(namespace), default="ns")
    )
