"""Fake values built by polyfactory from the pydantic models ``asynction codegen`` writes.

The models are not written a second time here: :mod:`asynction.codegen` plans them and
datamodel-code-generator writes their source, which is executed into a fresh module. Each model gets
a polyfactory factory, and each event argument (a payload or ack, or one tuple position of it) a
builder that returns JSON data:

* the models are a *typing view* of the schemas (see :mod:`asynction.codegen.plan`): what pydantic
  types cannot say (``format``, ``pattern``, ``multipleOf``, ``uniqueItems``, ``not``…) is left out
  of them. A field whose schema says such things is made by :class:`~asynction.mock.sampler.
  SchemaSampler` from its full schema instead (a polyfactory ``Use`` of sorts), so that formats name
  Faker providers and patterns are honoured; every other field is polyfactory's;
* factories build plain dicts keyed by the schema's property names rather than model instances:
  whatever is built is validated against the full JSON Schema by the caller anyway
  (:mod:`asynction.mock.fakes`), and a second validation by pydantic would only cost time;
* only the fields a model declares are made, so objects carry no keys their schema does not name.

All factories share one :class:`random.Random` and one Faker (whose random is that same one), so
re-seeding it makes the next value reproducible.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import decimal
import enum
import itertools
import random
import sys
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, RootModel, create_model

from asynction.mock.sampler import SchemaSampler, resolve_pointer
from asynction.spec.model import Api, Direction, Event, JsonSchema

if TYPE_CHECKING:
    from faker import Faker

    from asynction.codegen.plan import ArgsPlan, Origin

__all__ = ["ArgumentBuilders", "SpecModels", "needs_sampler", "untyped_object"]

Build = Callable[[], Any]

_module_counter = itertools.count(1)

_UNTYPED_KEYWORDS = frozenset(
    {
        "format",
        "pattern",
        "multipleOf",
        "uniqueItems",
        "contains",
        "minContains",
        "maxContains",
        "not",
        "if",
        "then",
        "else",
        "patternProperties",
        "propertyNames",
        "dependentRequired",
        "dependentSchemas",
        "minProperties",
        "maxProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)
"""Keywords the models' types do not carry (see the codegen plan's typing view), so polyfactory
cannot honour them."""
_OMITTED = object()
_PLAN = "_asynction_plan"


def _slow(factory: Any) -> Any:
    raise AssertionError("the slow path is polyfactory's own")


_SLOW: Callable[[Any], Any] = _slow
_COLLECTIONS = (list, set, frozenset, tuple, dict)
_EXTRA_ITEMS = 3
"""Items made beyond a collection's minimum."""
_SUBSCHEMA_KEYWORDS = (
    "items",
    "additionalProperties",
    "allOf",
    "anyOf",
    "oneOf",
    "prefixItems",
)


@dataclass(frozen=True)
class ArgumentBuilders:
    """How to build the Socket.IO arguments of one payload or ack."""

    kind: str
    """``none`` (no schema), ``null`` (no argument), ``single``, ``list`` or ``tuple``."""
    builders: tuple[Build, ...]
    """One builder per argument (for ``single`` and ``list``: one, for the whole value)."""


def needs_sampler(schema: Any, root: Mapping[str, Any]) -> bool:
    """Whether ``schema`` says something the models' types cannot, at its own level or in
    subschemas that do not become models of their own (objects with ``properties`` do)."""
    stack: list[Any] = [schema]
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            reference = node["$ref"]
            if len(node) > 1:
                return True  # siblings of $ref: a merge the types do not express
            if reference in seen:
                node = None
                break
            seen.add(reference)
            try:
                node = resolve_pointer(root, reference)
            except LookupError:
                return True
        if not isinstance(node, Mapping):
            continue
        if isinstance(node.get("properties"), Mapping):
            continue  # an object with properties is a model of its own, with its own factory
        for key in node:
            if key in _UNTYPED_KEYWORDS:
                typed_uuid = (
                    key == "format" and node[key] == "uuid" and node.get("type") == "string"
                )
                if not typed_uuid:  # the models type `format: uuid` strings as UUID
                    return True
        for key in _SUBSCHEMA_KEYWORDS:
            sub = node.get(key)
            if isinstance(sub, Mapping):
                stack.append(sub)
            elif isinstance(sub, (list, tuple)):
                stack.extend(sub)
    return False


def untyped_object(schema: Any) -> bool:
    """Whether an object schema itself says something its model's types cannot
    (``minProperties``, ``patternProperties``, ``not``…), beyond what its properties say."""
    return isinstance(schema, Mapping) and any(key in _UNTYPED_KEYWORDS for key in schema)


class SpecModels:
    """polyfactory builders for every payload and ack of an API, from its generated models.

    :raises ImportError: datamodel-code-generator or polyfactory is not installed.
    :raises asynction.codegen.models.ModelGenerationError: the models cannot be generated.
    """

    def __init__(self, api: Api, rng: random.Random, faker: Faker, sampler: SchemaSampler) -> None:
        from polyfactory.factories.pydantic_factory import ModelFactory

        from asynction.codegen.models import generate_models
        from asynction.codegen.plan import make_plan

        self._api = api
        self._rng = rng
        self._faker = faker
        self._sampler = sampler
        self._model_factory = ModelFactory
        plan = make_plan(api)
        generated = generate_models(plan)
        self._module = _execute(generated.imports, generated.body)
        self._factories: dict[type[Any], type[Any]] = {}
        self._origins: dict[str, Origin] = dict(generated.bindings)
        self._classes = {
            name: value
            for name in generated.exported
            if isinstance(value := getattr(self._module, name, None), type)
            and issubclass(value, BaseModel)
        }
        for model in self._classes.values():
            model.model_rebuild(force=True, _types_namespace=vars(self._module))
        for name, model in self._classes.items():
            self._factories[model] = self._new_factory(model, self._origins.get(name))
        self._definitions = {name: generated.names.get(name, name) for name in plan.definitions}
        self._arguments: dict[tuple[str, Direction, str, str], ArgsPlan] = {}
        for event_plan in (*plan.incoming, *plan.outgoing):
            namespace, event = event_plan.namespace.name, event_plan.event
            self._arguments[namespace, event.direction, event.name, "payload"] = event_plan.payload
            self._arguments[namespace, event.direction, event.name, "ack"] = event_plan.ack

    def builders(self, namespace: str, event: Event, part: str) -> ArgumentBuilders | None:
        """The builders of an event's ``payload`` or ``ack`` arguments, or ``None`` when the plan
        does not know the event."""
        arguments = self._arguments.get((namespace, event.direction, event.name, part))
        schema = event.payload if part == "payload" else event.ack
        if arguments is None or schema is None:
            return None
        if arguments.kind in ("none", "null"):
            return ArgumentBuilders(arguments.kind, ())
        if arguments.kind == "tuple":
            prefix = schema.get("prefixItems") or ()
            builders = tuple(
                self._builder(arguments.types[index], prefix[index], schema)
                for index in range(min(len(arguments.types), len(prefix)))
            )
            return ArgumentBuilders("tuple", builders)
        return ArgumentBuilders(
            arguments.kind, (self._builder(arguments.types[0], schema, schema),)
        )

    # -- builders ---------------------------------------------------------------------------

    def _python_type(self, definition: str) -> Any:
        if definition == "Any":
            return Any
        return getattr(self._module, self._definitions.get(definition, definition))

    def _builder(self, definition: str, schema: Any, root: JsonSchema) -> Build:
        """A builder of one argument: its model's factory, or a wrapper model's field."""
        sampler = self._sampler
        python_type = self._python_type(definition)
        if isinstance(python_type, type) and issubclass(python_type, RootModel):
            if needs_sampler(schema, root):
                return lambda: sampler.sample(schema, root)
            return self._factories[python_type].build  # type: ignore[no-any-return]
        if isinstance(python_type, type) and python_type in self._factories:
            if untyped_object(schema):
                return lambda: sampler.sample(schema, root)
            factory = self._factories[python_type]
            return factory.build  # type: ignore[no-any-return]
        if needs_sampler(schema, root):
            return lambda: sampler.sample(schema, root)
        wrapper = create_model(
            "Value",
            __module__=self._module.__name__,
            value=(python_type, ...),
        )
        factory = self._new_factory(wrapper, None)

        def build() -> Any:
            return factory.build()["value"]

        return build

    def _new_factory(self, model: type[BaseModel], origin: Origin | None) -> type[Any]:
        """A polyfactory factory of ``model`` that builds alias-keyed dicts of JSON data, with the
        fields polyfactory cannot make right made by the sampler from their full schema."""
        base = self._model_factory
        factories = self._factories
        rng = self._rng
        overrides: dict[str, tuple[Build, bool]] = {}
        aliases = {name: field.alias or name for name, field in model.model_fields.items()}
        if origin is not None:
            root = self._root(origin)
            properties = _properties(root, origin.pointer) if root is not None else None
            if root is not None and properties is not None:
                for name, field in model.model_fields.items():
                    sub = properties.get(aliases[name])
                    if sub is not None and needs_sampler(sub, root):
                        overrides[name] = (
                            _sample_with(self._sampler, sub, root),
                            field.is_required(),
                        )
        providers: dict[Any, Callable[[], Any]] = {}
        sampler = self._sampler

        def get_provider_map(cls: Any) -> dict[Any, Callable[[], Any]]:
            # polyfactory rebuilds this map (dozens of Faker attribute lookups) for every field
            # of every build; once per factory is enough.
            if not providers:
                providers.update(base.get_provider_map.__func__(cls))  # type: ignore[attr-defined]
                # Readable words rather than random letters, and plain numbers drawn straight
                # from the shared random (Faker's pyint and pyfloat cost ten times as much, and
                # its floats run to 15 digits).
                providers[str] = sampler.text
                providers[int] = lambda: rng.randint(0, 10_000)
                providers[float] = lambda: round(rng.uniform(0, 1_000), 2)
                providers[bool] = lambda: rng.random() < 0.5
            return providers

        optional_fields = frozenset(
            name for name, field in model.model_fields.items() if not field.is_required()
        )

        def get_field_value(
            cls: Any,
            field_meta: Any,
            field_build_parameters: Any = None,
            build_context: Any = None,
        ) -> Any:
            if field_build_parameters is None:
                plan = field_meta.__dict__.get(_PLAN)
                if plan is None:
                    plan = field_meta.__dict__[_PLAN] = _FieldPlan(
                        optional=field_meta.name in optional_fields
                        and any(meta is field_meta for meta in cls.get_model_fields()),
                        make=_fast_maker(field_meta, get_provider_map(cls), rng),
                    )
                if plan.optional and rng.getrandbits(1):
                    # polyfactory always makes optional properties (their FieldMeta says
                    # "required"): leave them out half the time, as the sampler does.
                    return _null()
                if plan.make is not _SLOW:
                    return plan.make(cls)
            return base.get_field_value.__func__(  # type: ignore[attr-defined]
                cls,
                field_meta,
                field_build_parameters=field_build_parameters,
                build_context=build_context,
            )

        def get_constrained_field_value(
            cls: Any,
            annotation: Any,
            field_meta: Any,
            field_build_parameters: Any = None,
            build_context: Any = None,
        ) -> Any:
            constraints = field_meta.constraints or {}
            low = constraints.get("min_length") or 0
            high = constraints.get("max_length")
            if annotation is str and not constraints.get("pattern"):
                return sampler.text(low, high)
            if typing.get_origin(annotation) in _COLLECTIONS:
                # polyfactory makes max_length items when there is no min_length (500 for
                # `maxItems: 500`): a few are enough.
                field_meta = copy.copy(field_meta)
                field_meta.constraints = {
                    **constraints,
                    "min_length": low,
                    "max_length": low + _EXTRA_ITEMS
                    if high is None
                    else min(high, low + _EXTRA_ITEMS),
                }
            return base.get_constrained_field_value.__func__(  # type: ignore[attr-defined]
                cls,
                annotation,
                field_meta,
                field_build_parameters=field_build_parameters,
                build_context=build_context,
            )

        def get_or_create_factory(cls: Any, model: type[Any]) -> type[Any]:
            found = factories.get(model)
            if found is not None:
                return found
            return base._get_or_create_factory.__func__(cls, model)  # type: ignore[attr-defined, no-any-return]

        def process_kwargs(cls: Any, /, **kwargs: Any) -> dict[str, Any]:
            for name, (make, required) in overrides.items():
                if name not in kwargs:
                    # An optional field is left out half the time, as polyfactory does; the
                    # placeholder keeps polyfactory from making it its own way.
                    kwargs[name] = make() if required or rng.random() < 0.5 else _OMITTED
            built: dict[str, Any] = base.process_kwargs.__func__(cls, **kwargs)  # type: ignore[attr-defined]
            if overrides:
                built = {name: value for name, value in built.items() if value is not _OMITTED}
            return built

        is_root = issubclass(model, RootModel)

        def create_model_(cls: Any, /, _build_context: Any, **kwargs: Any) -> Any:
            if is_root:
                return _json(kwargs["root"])  # a root model's JSON is its value
            # In the model's order (the sampler's fields were made first), keyed as in JSON.
            return {alias: _json(kwargs[name]) for name, alias in aliases.items() if name in kwargs}

        attributes = {
            "__model__": model,
            "__check_model__": False,
            "__allow_none_optionals__": False,
            "__use_defaults__": False,
            "__faker__": self._faker,
            "__random__": rng,
            "__randomize_collection_length__": True,
            "__min_collection_length__": 0,
            "__max_collection_length__": 3,
            "get_provider_map": classmethod(get_provider_map),
            "get_field_value": classmethod(get_field_value),
            "get_constrained_field_value": classmethod(get_constrained_field_value),
            "_get_or_create_factory": classmethod(get_or_create_factory),
            "process_kwargs": classmethod(process_kwargs),
            "_create_model": classmethod(create_model_),
        }
        return type(f"{model.__name__}Factory", (base,), attributes)

    def _root(self, origin: Origin) -> JsonSchema | None:
        namespace = self._api.namespace(origin.namespace)
        if namespace is None or origin.event is None:
            return None
        for event in (*namespace.incoming, *namespace.outgoing):
            if event.name != origin.event:
                continue
            schema = event.payload if origin.part == "payload" else event.ack
            if schema is not None:
                return schema
        return None


@dataclass(frozen=True)
class _FieldPlan:
    """What was worked out once about a field: whether it may be left out, and a quick way to
    make its value (``_SLOW``: ask polyfactory)."""

    optional: bool
    make: Callable[[Any], Any]


def _null() -> Any:
    from polyfactory.field_meta import Null

    return Null


def _fast_maker(
    field_meta: Any, providers: Mapping[Any, Callable[[], Any]], rng: random.Random
) -> Callable[[Any], Any]:
    """How to make a value of a plain field as polyfactory would, given the factory: a type
    polyfactory has a provider for (``str``, ``int``, ``UUID``…), a ``Literal``, a constrained
    ``str``, ``int`` or ``float``, or ``T | None`` of one of those (polyfactory, told not to make
    ``None``, makes a ``T``). ``_SLOW`` for anything else.

    polyfactory works out what a field is (a hundred typing predicates) on every build; for the
    plain fields that are most of a payload the answer is kept.
    """
    annotation = field_meta.annotation
    children = field_meta.children
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arguments = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(arguments) == 1 and children and len(children) == 1:
            return _fast_maker(children[0], providers, rng)
        return _SLOW
    if field_meta.constraints:
        if annotation not in (str, int, float):
            return _SLOW
        plain = annotation

        def make_constrained(factory: Any) -> Any:
            return factory.get_constrained_field_value(plain, field_meta)

        return make_constrained
    if typing.get_origin(annotation) is typing.Literal and typing.get_args(annotation):
        choices = list(typing.get_args(annotation))

        def choose(factory: Any) -> Any:
            return rng.choice(choices)

        return choose
    try:
        provider = providers.get(annotation)
    except TypeError:  # an unhashable annotation
        provider = None
    if provider is None or annotation in (list, dict, tuple, set, frozenset):
        return _SLOW

    def provide(factory: Any) -> Any:
        return provider()

    return provide


def _sample_with(sampler: SchemaSampler, schema: Any, root: JsonSchema) -> Build:
    return lambda: sampler.sample(schema, root)


def _properties(root: JsonSchema, pointer: str) -> Mapping[str, Any] | None:
    """The ``properties`` of the object schema at ``pointer``: its own and those of the
    ``allOf`` parts it is made of (following ``$ref``\\ s)."""
    try:
        start: Any = resolve_pointer(root, "#" + pointer)
    except LookupError:
        return None
    found: dict[str, Any] = {}
    stack = [start]
    visited = 0
    while stack and visited < 64:
        visited += 1
        node = stack.pop()
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            with contextlib.suppress(LookupError):
                stack.append(resolve_pointer(root, node["$ref"]))
            continue
        if not isinstance(node, Mapping):
            continue
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            for name, sub in properties.items():
                # A property declared twice must satisfy both declarations.
                found[name] = {"allOf": [found[name], sub]} if name in found else sub
        parts = node.get("allOf")
        if isinstance(parts, (list, tuple)):
            stack.extend(reversed(parts))
    return found or None


def _execute(imports: tuple[tuple[str, str, str | None], ...], body: str) -> types.ModuleType:
    """The generated models' source, executed into a fresh module (registered in
    ``sys.modules`` so that pydantic resolves the annotations that name other models)."""
    lines = ["from __future__ import annotations"]
    for source_module, imported, alias in imports:
        lines.append(f"from {source_module} import {imported}" + (f" as {alias}" if alias else ""))
    source = "\n".join(lines) + "\n\n" + body
    name = f"asynction_mock_models_{next(_module_counter)}"
    module = types.ModuleType(name, "Pydantic models of a mocked spec (asynction mock).")
    sys.modules[name] = module
    try:
        exec(compile(source, f"<{name}>", "exec"), vars(module))
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _json(value: Any) -> Any:
    """A built value as JSON data (``UUID``\\ s as strings, tuples as lists…)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json(item) for item in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return _json(value.value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return str(value)
