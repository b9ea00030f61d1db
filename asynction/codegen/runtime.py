"""What the modules ``asynction codegen`` writes import at run time.

A generated module holds pydantic models (subclasses of :class:`SpecModel`), the normalised spec as
a literal, and a server class (a subclass of :class:`TypedServer`) with one method per event. This
module makes them work:

* :class:`SpecModel` validates every input against the model's JSON Schema before pydantic builds
  the typed fields, so a model never accepts what the schema rejects (no lax coercion: ``"5"`` is not
  an integer), whatever pydantic can or cannot express (``not``, ``if``/``then``/``else``,
  ``patternProperties``, formats, ``uniqueItems``, regex dialects);
* :class:`TypedServer` registers the methods a subclass overrides as the handlers of their events,
  turns Socket.IO arguments into model instances and returned models into JSON, and types emits.

It imports neither datamodel-code-generator nor jinja2: only what a server needs.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NoReturn, TypeVar

import flask
from flask import Flask
from pydantic import (
    BaseModel,
    ConfigDict,
    RootModel,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError, to_jsonable_python
from typing_extensions import Self

from asynction.exceptions import (
    BindingsValidationException,
    MessageAckValidationException,
    PayloadValidationException,
    SpecError,
    SpecLocation,
    ValidationException,
)
from asynction.server import AsynctionSocketIO, ErrorHandler, LifecycleHandlers
from asynction.spec.model import Api, Event, JsonSchema, Namespace
from asynction.validation import CompiledSchema

if TYPE_CHECKING:
    from pydantic import ModelWrapValidatorHandler

    from asynction.types import SecurityInfo

__all__ = [
    "Args",
    "Hooks",
    "Incoming",
    "MissingHandlersError",
    "Outgoing",
    "SpecModel",
    "SpecRootModel",
    "TypedServer",
    "bind_schemas",
]

logger = logging.getLogger(__name__)

_TRUSTED: ContextVar[bool] = ContextVar("asynction_codegen_trusted", default=False)
"""Set while pydantic builds a value whose JSON form has already passed its JSON Schema (checked by
an enclosing model, or by the server before a handler runs): nested models skip their own check."""

_ROOT_KEY = "asynction-root"
ModelT = TypeVar("ModelT", bound=BaseModel)


class _BoundSchema:
    """The JSON Schema of one model: a location in a payload, ack or bindings schema of the spec,
    compiled on first use."""

    __slots__ = ("_compiled", "_pointer", "_root")

    def __init__(self, root: JsonSchema, pointer: str) -> None:
        self._root = root
        self._pointer = pointer
        self._compiled: CompiledSchema | None = None

    @property
    def compiled(self) -> CompiledSchema:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = CompiledSchema(_schema_at(self._root, self._pointer))
        return compiled


def _schema_at(root: JsonSchema, pointer: str) -> JsonSchema:
    """A stand-alone schema for the subschema at ``pointer`` of ``root``: the root is carried
    along under ``$defs`` so that its references (``#/$defs/...``) still resolve."""
    if not pointer:
        return root
    defs = root.get("$defs")
    return {
        "$defs": {**(defs if isinstance(defs, Mapping) else {}), _ROOT_KEY: root},
        "$ref": f"#/$defs/{_ROOT_KEY}{pointer}",
    }


class SpecModel(BaseModel):
    """The base of every generated object model: a pydantic model that is never weaker than its
    schema.

    Before pydantic sees an input, its JSON form (models dumped by alias, ``UUID``s as strings…) is
    validated against the model's JSON Schema; a failure is a :class:`pydantic.ValidationError`
    naming the JSON path, the message and the failing rule. Only then does pydantic build the typed
    fields, from that JSON form. Unknown properties are kept (``extra="allow"``) unless the schema
    forbids them, so nothing the schema accepts is lost on the way back to JSON.
    """

    model_config = ConfigDict(
        extra="allow",
        defer_build=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    __asynction_schema__: ClassVar[_BoundSchema | None] = None
    __asynction_aliases__: ClassVar[dict[str, str] | None] = None

    @model_validator(mode="wrap")
    @classmethod
    def _asynction_check_schema(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if _TRUSTED.get() or isinstance(data, cls):
            return handler(data)
        return _checked(cls.__asynction_schema__, _keyed_by_alias(cls, data), handler)


RootT = TypeVar("RootT")


class SpecRootModel(RootModel[RootT], Generic[RootT]):
    """The base of every generated model of a non-object value (a string, a list, a union, one
    position of a tuple payload…): a pydantic :class:`~pydantic.RootModel` checked against its
    JSON Schema first, exactly as :class:`SpecModel` is. The value is ``.root``.
    """

    model_config = ConfigDict(defer_build=True)

    __asynction_schema__: ClassVar[_BoundSchema | None] = None

    @model_validator(mode="wrap")
    @classmethod
    def _asynction_check_schema(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if _TRUSTED.get() or isinstance(data, cls):
            return handler(data)
        return _checked(cls.__asynction_schema__, data, handler)


def _checked(
    bound: _BoundSchema | None, instance: Any, handler: ModelWrapValidatorHandler[ModelT]
) -> ModelT:
    """Validate ``instance`` against the model's JSON Schema, then let pydantic build the model
    from its JSON form (nested models trust that check)."""
    if bound is None:
        return handler(instance)
    schema = bound.compiled
    if not schema.is_valid(instance):
        instance = _json_form(instance)
        if not schema.is_valid(instance):
            failure = schema.first_error(instance)
            path, message, rule = failure if failure is not None else ("$", "invalid", "?")
            raise PydanticCustomError(
                "json_schema",
                "{path}: {message} (rule: {rule})",
                {"path": path, "message": message, "rule": rule},
            )
    built: ModelT = _trusted(handler, instance)
    return built


def _keyed_by_alias(model: type[SpecModel], data: Any) -> Any:
    """``data`` with the model's Python field names (``class_``) turned into the property names of
    the schema (``class``), so that keyword construction is checked as its JSON would be."""
    if not isinstance(data, dict):
        return data
    aliases = model.__dict__.get("__asynction_aliases__")
    if aliases is None:
        aliases = {
            name: field.alias
            for name, field in model.model_fields.items()
            if field.alias is not None and field.alias != name
        }
        model.__asynction_aliases__ = aliases
    if not aliases or not any(key in aliases for key in data):
        return data
    return {aliases.get(key, key): value for key, value in data.items()}


def _json_form(value: Any) -> Any:
    """``value`` as JSON data: models dumped as they would be sent, tuples as lists, ``UUID``s and
    other Python values as pydantic serialises them."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings=False)
    if isinstance(value, Mapping):
        return {key: _json_form(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_form(item) for item in value]
    try:
        return to_jsonable_python(value)
    except Exception:  # not serialisable: let the schema reject it as it is
        return value


def _integral_floats_as_int(value: Any) -> tuple[Any, bool]:
    """``value`` with floats that have no fractional part as ints (JSON Schema counts ``1e300`` as
    an integer; pydantic's ``int`` refuses floats beyond 64 bits), and whether any was found."""
    if isinstance(value, float):
        return (int(value), True) if value.is_integer() else (value, False)
    if isinstance(value, dict):
        changed = False
        items = {}
        for key, item in value.items():
            items[key], found = _integral_floats_as_int(item)
            changed = changed or found
        return (items, True) if changed else (value, False)
    if isinstance(value, list):
        converted = [_integral_floats_as_int(item) for item in value]
        if any(found for _, found in converted):
            return [item for item, _ in converted], True
    return value, False


def _trusted(validate: Callable[[Any], Any], value: Any) -> Any:
    """Build a value whose JSON form has passed its schema: nested models skip their check."""
    token = _TRUSTED.set(True)
    try:
        try:
            return validate(value)
        except ValidationError:
            normalised, changed = _integral_floats_as_int(value)
            if not changed:
                raise
            return validate(normalised)
    finally:
        _TRUSTED.reset(token)


SchemaPart = Literal["payload", "ack", "query", "headers"]


def bind_schemas(
    api: Api,
    *bindings: tuple[type[SpecModel] | type[SpecRootModel[Any]], str, str | None, SchemaPart, str],
) -> None:
    """Give models their JSON Schemas: each binding is ``(model, namespace, event, part, pointer)``,
    the schema being the subschema at ``pointer`` of the event's ``payload`` or ``ack`` schema, or
    of the namespace's ``query`` or ``headers`` binding (``event`` is then ``None``)."""
    for model, namespace_name, event_name, part, pointer in bindings:
        namespace = api.namespace(namespace_name)
        root: JsonSchema | None = None
        if namespace is not None:
            if event_name is None:
                bindings_ = namespace.bindings
                if bindings_ is not None:
                    root = bindings_.query if part == "query" else bindings_.headers
            else:
                event = _event(namespace, event_name, part)
                if event is not None:
                    root = event.payload if part == "payload" else event.ack
        if root is None:
            raise LookupError(
                f"{model.__name__}: no {part} schema for namespace {namespace_name!r}"
                + ("" if event_name is None else f", event {event_name!r}")
            )
        model.__asynction_schema__ = _BoundSchema(root, pointer)


def _event(namespace: Namespace, name: str, part: str) -> Event | None:
    found = namespace.incoming_event(name)
    if found is not None and (found.payload if part == "payload" else found.ack) is not None:
        return found
    return namespace.outgoing_event(name) or found


# -- arguments ------------------------------------------------------------------------------

Load = Callable[[Any], Any]
Dump = Callable[[Any], Any]
ArgsKind = Literal["none", "null", "single", "tuple", "list"]


def _identity(value: Any) -> Any:
    return value


@functools.cache
def _adapter(python_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(python_type)


def _validator(python_type: Any) -> Load:
    if python_type is Any:
        return _identity
    if isinstance(python_type, type) and issubclass(python_type, RootModel):
        # null is a value like any other for a root model whose schema admits it.
        return python_type.model_validate
    if isinstance(python_type, type) and issubclass(python_type, BaseModel):
        validate_model = python_type.model_validate

        def validate(value: Any) -> Any:
            # An object model cannot hold null: where its schema admits null the handler gets
            # None (the schema decides, when the server validates).
            return None if value is None else validate_model(value)

        return validate
    adapter = _adapter(python_type)
    return adapter.validate_python


def _loader(python_type: Any, trusted: bool) -> Load:
    validate = _validator(python_type)
    if validate is _identity or not trusted:
        return validate
    return functools.partial(_trusted, validate)


def _dumper(python_type: Any) -> Dump:
    if python_type is Any:
        return _json_form
    if isinstance(python_type, type) and issubclass(python_type, BaseModel):

        def dump_model(value: Any) -> Any:
            if isinstance(value, BaseModel):
                return value.model_dump(
                    mode="json", by_alias=True, exclude_unset=True, warnings=False
                )
            return _json_form(value)

        return dump_model
    adapter = _adapter(python_type)

    def dump(value: Any) -> Any:
        return adapter.dump_python(
            value, mode="json", by_alias=True, exclude_unset=True, warnings=False
        )

    return dump


@dataclasses.dataclass(frozen=True)
class Args:
    """How the Socket.IO arguments of an event (or of its ack) map onto Python values (design §2):

    * ``none``: no schema; the arguments are passed as they are;
    * ``null``: the schema admits only ``null``: no argument;
    * ``single``: one argument of ``types[0]``;
    * ``tuple``: positional arguments of ``types`` (the first ``required`` of them required), then
      any number of ``rest`` (``None``: no more are allowed);
    * ``list``: one list, of type ``types[0]``.
    """

    kind: ArgsKind
    types: tuple[Any, ...] = ()
    required: int = 0
    rest: Any = None

    @classmethod
    def untyped(cls) -> Args:
        """No schema: arguments as they come."""
        return cls("none")

    @classmethod
    def null(cls) -> Args:
        """No argument."""
        return cls("null")

    @classmethod
    def single(cls, python_type: Any) -> Args:
        """One argument."""
        return cls("single", (python_type,))

    @classmethod
    def positional(cls, *python_types: Any, required: int, rest: Any = None) -> Args:
        """Positional arguments, one per tuple position."""
        return cls("tuple", python_types, required, rest)

    @classmethod
    def list_of(cls, python_type: Any) -> Args:
        """One list argument (or several arguments taken as one list)."""
        return cls("list", (python_type,))

    def loader(self, trusted: bool) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
        """A function from Socket.IO arguments to the arguments of the typed method.

        ``trusted``: the arguments have already passed the schema (the server validated them).
        """
        kind = self.kind
        if kind == "none":
            return _identity
        if kind == "null":
            return _no_arguments
        if kind == "tuple":
            loads = [_loader(python_type, trusted) for python_type in self.types]
            rest = _loader(Any if self.rest is None else self.rest, trusted)
            count = len(loads)

            def load_tuple(args: tuple[Any, ...]) -> tuple[Any, ...]:
                values = [load(value) for load, value in zip(loads, args, strict=False)]
                values.extend(rest(value) for value in args[count:])
                return tuple(values)

            return load_tuple
        load = _loader(self.types[0], trusted)
        if kind == "list":

            def load_list(args: tuple[Any, ...]) -> tuple[Any, ...]:
                if len(args) == 1 and isinstance(args[0], (list, tuple)):
                    return (load(list(args[0])),)
                return (load(list(args)),)

            return load_list

        def load_single(args: tuple[Any, ...]) -> tuple[Any, ...]:
            # No argument at all (valid where the schema admits null) is None.
            return (load(args[0]),) if args else (None,)

        return load_single

    def dumper(self) -> Callable[[tuple[Any, ...]], Any]:
        """A function from the typed values of an emit to the ``data`` of ``SocketIO.emit``
        (``None`` for no argument, a tuple for several)."""
        kind = self.kind
        if kind == "none":
            return _raw_data
        if kind == "null":
            return _no_data
        if kind == "tuple":
            dumps = [_dumper(python_type) for python_type in self.types]
            rest = _dumper(Any if self.rest is None else self.rest)
            count = len(dumps)
            required = self.required

            def dump_tuple(values: tuple[Any, ...]) -> Any:
                # Optional positions left at None are not sent.
                end = len(values)
                while end > required and end <= count and values[end - 1] is None:
                    end -= 1
                data = [dump(value) for dump, value in zip(dumps, values[:end], strict=False)]
                data.extend(rest(value) for value in values[count:end])
                return tuple(data)

            return dump_tuple
        dump = _dumper(self.types[0])

        def dump_one(values: tuple[Any, ...]) -> Any:
            return dump(values[0])

        return dump_one

    def result_dumper(self) -> Callable[[Any], Any]:
        """A function from what a typed handler returns to its ack (a tuple for several
        arguments)."""
        kind = self.kind
        if kind == "null":
            return _identity
        if kind == "none":
            return _untyped_result
        if kind == "tuple":
            dump_values = self.dumper()

            def dump_tuple(result: Any) -> Any:
                return dump_values(tuple(result))

            return dump_tuple
        return _dumper(self.types[0])


def _untyped_result(result: Any) -> Any:
    # A tuple stays a tuple: Socket.IO sends it as several ack arguments.
    if isinstance(result, tuple):
        return tuple(_json_form(value) for value in result)
    return _json_form(result)


def _no_arguments(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return ()


def _no_data(values: tuple[Any, ...]) -> Any:
    return None


def _raw_data(values: tuple[Any, ...]) -> Any:
    if not values:
        return None
    if len(values) == 1 and not isinstance(values[0], tuple):
        return _json_form(values[0])
    return tuple(_json_form(value) for value in values)


# -- the server -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Incoming:
    """An incoming event and the method of the generated class that handles it."""

    namespace: str
    event: str
    method: str
    payload: Args
    ack: Args


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """An outgoing event and the typing of its payload and ack."""

    namespace: str
    event: str
    method: str
    payload: Args
    ack: Args


@dataclasses.dataclass(frozen=True)
class Hooks:
    """The connect, disconnect and error methods of a namespace, and its bindings models."""

    namespace: str
    connect: str
    disconnect: str
    error: str
    query: type[SpecModel] | None = None
    headers: type[SpecModel] | None = None


class MissingHandlersError(SpecError):
    """Incoming events that have neither an overriding method nor an ``x-handler``."""


@dataclasses.dataclass(frozen=True)
class _Tables:
    generated: type[TypedServer]
    incoming: Mapping[tuple[str, str], Incoming]
    outgoing: Mapping[tuple[str, str], Outgoing]
    hooks: Mapping[str, Hooks]


class TypedServer(AsynctionSocketIO):
    """The base of generated server classes: an :class:`~asynction.AsynctionSocketIO` whose
    handlers are the methods a subclass overrides.

    For each incoming event the generated class declares a method (``on_<namespace>_<event>``); a
    subclass overriding it handles the event: the method receives model instances and returns the
    ack (a model, or ``None``), serialised with ``model_dump(mode="json", by_alias=True,
    exclude_unset=True)``. Events not overridden fall back to the spec's ``x-handler``; an
    incoming event with neither is an error when handlers are registered (with an app), listing
    every such event. Connect, disconnect and error hooks work the same way against
    ``x-handlers``. Validation, security and error handling are the dynamic server's.
    """

    __asynction_spec__: ClassVar[Api]
    """The spec the class was generated from, normalised."""
    __asynction_incoming__: ClassVar[tuple[Incoming, ...]] = ()
    __asynction_outgoing__: ClassVar[tuple[Outgoing, ...]] = ()
    __asynction_hooks__: ClassVar[tuple[Hooks, ...]] = ()

    @classmethod
    def create(
        cls,
        app: Flask | None = None,
        *,
        validation: bool = True,
        server_name: str | None = None,
        docs: bool = True,
        default_error_handler: ErrorHandler | None = None,
        **kwargs: Any,
    ) -> Self:
        """Create the server from the spec embedded in the generated module (no file is read).

        The parameters are :meth:`~asynction.AsynctionSocketIO.from_spec`'s. With ``docs`` the
        HTML page is served at ``{base_path}/docs``, rendered from the embedded spec; the module
        carries the normalised spec, not the document as written, so there is no
        ``asyncapi.json`` route: build with ``from_spec(path)`` to serve the document too.
        """
        return cls(
            cls.__asynction_spec__,
            validation,
            docs,
            app,
            server_name=server_name,
            default_error_handler=default_error_handler,
            **kwargs,
        )

    # -- registration ------------------------------------------------------------------------

    def init_app(self, app: Flask | None, **kwargs: Any) -> None:
        """Attach the server to ``app``; first make sure every incoming event has a handler.

        :raises MissingHandlersError: listing every incoming event with neither an overriding
            method nor an ``x-handler``.
        """
        if app is not None:
            self._check_handlers()
        super().init_app(app, **kwargs)

    def _tables(self) -> _Tables:
        tables: _Tables | None = self.__dict__.get("_asynction_tables")
        if tables is None:
            tables = _tables_of(type(self))
            self.__dict__["_asynction_tables"] = tables
        return tables

    def _overrides(self, method: str) -> bool:
        """Whether the class of this server replaces the generated ``method``."""
        generated = self._tables().generated
        return getattr(type(self), method, None) is not generated.__dict__.get(method)

    def _check_handlers(self) -> None:
        tables = self._tables()
        missing: list[tuple[SpecLocation, str]] = []
        for namespace in self.spec.namespaces:
            for event in namespace.incoming:
                typed = tables.incoming.get((namespace.name, event.name))
                if event.handler is not None or (
                    typed is not None and self._overrides(typed.method)
                ):
                    continue
                how = (
                    f"override {type(self).__name__}.{typed.method}()"
                    if typed is not None
                    else "the generated class does not declare it"
                )
                missing.append(
                    (
                        self._location(event.location),
                        f"incoming event {event.name!r} of namespace {namespace.name!r} has no "
                        f"handler: {how}, or give its message an x-handler",
                    )
                )
        if missing:
            raise MissingHandlersError(missing, summary="incoming events without a handler")

    def _location(self, location: SpecLocation) -> SpecLocation:
        if location.file == "<mapping>":
            return SpecLocation(f"<{type(self).__module__}.{type(self).__qualname__}>")
        return location

    def _resolve_handler(self, namespace: Namespace, event: Event) -> Callable[..., Any] | None:
        """The overriding method of the event, made a Socket.IO handler; else the ``x-handler``."""
        typed = self._tables().incoming.get((namespace.name, event.name))
        if typed is not None and self._overrides(typed.method):
            return self._typed_handler(typed)
        return super()._resolve_handler(namespace, event)

    def _typed_handler(self, typed: Incoming) -> Callable[..., Any]:
        method: Callable[..., Any] = getattr(self, typed.method)
        load = typed.payload.loader(trusted=self.validation)
        dump = typed.ack.result_dumper()
        fail = _Failure(typed.namespace, typed.event, PayloadValidationException, "payload")

        def handler(*args: Any) -> Any:
            try:
                values = load(args)
            except ValidationError as error:
                fail(error)
            result = method(*values)
            return None if result is None else dump(result)

        handler.__name__ = typed.method
        handler.__qualname__ = f"{type(self).__qualname__}.{typed.method}"
        return handler

    def _resolve_namespace_handlers(self, namespace: Namespace) -> LifecycleHandlers:
        """The overriding connect, disconnect and error methods; ``x-handlers`` for the others."""
        hooks = self._tables().hooks.get(namespace.name)
        if hooks is None:
            return super()._resolve_namespace_handlers(namespace)
        overridden = {
            kind: self._overrides(name)
            for kind, name in (
                ("connect", hooks.connect),
                ("disconnect", hooks.disconnect),
                ("error", hooks.error),
            )
        }
        declared = namespace.handlers
        remaining = dataclasses.replace(
            declared, **{kind: None for kind, replaced in overridden.items() if replaced}
        )
        base = super()._resolve_namespace_handlers(
            dataclasses.replace(namespace, handlers=remaining)
        )
        return LifecycleHandlers(
            connect=self._typed_connect(hooks) if overridden["connect"] else base.connect,
            disconnect=self._typed_disconnect(hooks)
            if overridden["disconnect"]
            else base.disconnect,
            error=getattr(self, hooks.error) if overridden["error"] else base.error,
        )

    def _typed_connect(self, hooks: Hooks) -> Callable[..., Any]:
        method: Callable[..., Any] = getattr(self, hooks.connect)
        namespace = self.spec.namespace(hooks.namespace)
        bindings = namespace.bindings if namespace is not None else None
        readers: list[tuple[str, Callable[[Mapping[str, Any]], Any]]] = []
        for name, model, schema, part in (
            ("query", hooks.query, bindings.query if bindings else None, "query"),
            ("headers", hooks.headers, bindings.headers if bindings else None, "headers"),
        ):
            if model is not None and schema is not None:
                readers.append((name, self._bindings_reader(hooks.namespace, model, schema, part)))

        def on_connect(auth: Any = None, token_info: SecurityInfo | None = None) -> Any:
            environ = flask.request.environ
            values = {name: read(environ) for name, read in readers}
            return method(auth=auth, token_info=token_info, **values)

        on_connect.__name__ = hooks.connect
        return on_connect

    def _bindings_reader(
        self, namespace: str, model: type[SpecModel], schema: JsonSchema, part: str
    ) -> Callable[[Mapping[str, Any]], Any]:
        # The query string and headers are read (and coerced) exactly as the server's bindings
        # validation reads them.
        from asynction.validation import BindingsReader

        reader = BindingsReader(
            schema, "query" if part == "query" else "headers", namespace=namespace
        )
        load = _loader(model, trusted=self.validation)

        def read(environ: Mapping[str, Any]) -> Any:
            instance = reader.read(environ)
            try:
                return load(instance)
            except ValidationError as error:
                raise BindingsValidationException(
                    f"{part}: {_first_message(error)}", namespace=namespace, rule="model"
                ) from error

        return read

    def _typed_disconnect(self, hooks: Hooks) -> Callable[..., Any]:
        method: Callable[..., Any] = getattr(self, hooks.disconnect)

        def on_disconnect(*reason: Any) -> Any:
            return method(str(reason[0]) if reason else "")

        on_disconnect.__name__ = hooks.disconnect
        return on_disconnect

    # -- typed emits -----------------------------------------------------------------------

    def _emit_typed(
        self,
        namespace: str,
        event: str,
        values: tuple[Any, ...],
        *,
        callback: Callable[..., object] | None,
        **kwargs: Any,
    ) -> None:
        """Emit an outgoing event from typed values: models are serialised as JSON, and the
        client's ack arguments become typed values before ``callback`` sees them."""
        typed = self._tables().outgoing.get((namespace, event))
        if typed is None:
            raise ValidationException(
                f"event {event!r} is not an outgoing event of namespace {namespace!r} in the "
                "generated class",
                namespace=namespace,
                event=event,
                rule="event",
            )
        data = typed.payload.dumper()(values)
        if callback is not None:
            kwargs["callback"] = self._typed_callback(typed, callback)
        if data is None:
            self.emit(event, namespace=namespace, **kwargs)
        else:
            self.emit(event, data, namespace=namespace, **kwargs)

    def _typed_callback(
        self, typed: Outgoing, callback: Callable[..., object]
    ) -> Callable[..., object]:
        load = typed.ack.loader(trusted=self.validation)
        fail = _Failure(typed.namespace, typed.event, MessageAckValidationException, "ack")
        report = self._report

        def typed_callback(*args: Any) -> object:
            try:
                values = load(args)
            except ValidationError as error:
                try:
                    fail(error)
                except MessageAckValidationException as failure:
                    report(failure, typed.namespace)
                    return None
            return callback(*values)

        return typed_callback


def _tables_of(server_class: type[TypedServer]) -> _Tables:
    for klass in server_class.__mro__:
        if "__asynction_incoming__" in klass.__dict__ and issubclass(klass, TypedServer):
            return _Tables(
                generated=klass,
                incoming={
                    (typed.namespace, typed.event): typed for typed in klass.__asynction_incoming__
                },
                outgoing={
                    (typed.namespace, typed.event): typed for typed in klass.__asynction_outgoing__
                },
                hooks={hooks.namespace: hooks for hooks in klass.__asynction_hooks__},
            )
    return _Tables(generated=TypedServer, incoming={}, outgoing={}, hooks={})


class _Failure:
    """Turns a pydantic error on Socket.IO arguments into the seed's exception type."""

    __slots__ = ("_event", "_exception_type", "_namespace", "_what")

    def __init__(
        self,
        namespace: str,
        event: str,
        exception_type: type[ValidationException],
        what: str,
    ) -> None:
        self._namespace = namespace
        self._event = event
        self._exception_type = exception_type
        self._what = what

    def __call__(self, error: ValidationError) -> NoReturn:
        errors = error.errors()
        first: Mapping[str, Any] = errors[0] if errors else {}
        context = first.get("ctx") or {}
        if first.get("type") == "json_schema" and not first.get("loc"):
            # A model's own JSON Schema check: its context says where and what.
            path = str(context.get("path", "$"))
            message = f"{context.get('message', first.get('msg'))} (rule: {context.get('rule')})"
            rule = str(context.get("rule", "model"))
        else:
            location = first.get("loc", ())
            path = "$" + "".join(
                f"[{token}]" if isinstance(token, int) else f".{token}" for token in location
            )
            message = str(first.get("msg", error))
            rule = str(first.get("type", "model"))
        raise self._exception_type(
            f"invalid {self._what}: {message}",
            namespace=self._namespace,
            event=self._event,
            path=path,
            rule=rule,
        ) from error


def _first_message(error: ValidationError) -> str:
    errors = error.errors()
    return str(errors[0].get("msg", error)) if errors else str(error)
