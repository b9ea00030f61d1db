"""The typed path and the dynamic path accept and reject exactly the same (design §2).

* every generated model, built from a value, succeeds exactly when the value is valid under the
  model's JSON Schema (and what it dumps is valid again);
* a typed server (overridden methods) and ``AsynctionSocketIO.from_spec`` (x-handlers) refuse
  exactly the same incoming arguments, with the same path and rule;
* typed emits (models built from the value, then the emit method) and the dynamic ``emit`` refuse
  exactly the same payloads.

Values are hypothesis-generated from each schema, valid ones and mutations of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import chat_events
import chat_v3_events
import flask
import pytest
import telemetry_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from asynction.codegen.runtime import SpecModel, SpecRootModel, TypedServer, _schema_at
from asynction.exceptions import ValidationException
from asynction.server import AsynctionSocketIO
from asynction.spec.model import Event
from asynction.validation import CompiledSchema
from asynction.validation.arguments import ArgumentShape, argument_shape
from tests.codegen.strategies import from_schema, mutated, valid_or_mutated
from tests.codegen.support import CHAT, CHAT_V3, TELEMETRY, Example

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)


def _bound_models(module: ModuleType) -> list[tuple[type[Any], CompiledSchema, Any]]:
    """Every model of the module bound to its schema: object models and root models."""
    found = []
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, (SpecModel, SpecRootModel)):
            bound = value.__dict__.get("__asynction_schema__")
            if bound is not None:
                schema = _schema_at(bound._root, bound._pointer)
                found.append((value, CompiledSchema(schema), schema))
    return sorted(found, key=lambda entry: entry[0].__name__)


def _check_model(entry: tuple[type[Any], CompiledSchema, Any], value: Any) -> None:
    model, compiled, _ = entry
    valid = compiled.is_valid(value)
    if valid and not isinstance(value, dict) and not issubclass(model, SpecRootModel):
        # A model stands for the object values of its schema; null (where a schema admits it)
        # is None beside the model, in the method's signature.
        return
    try:
        built = model.model_validate(value)
    except ValidationError as error:
        refusal: ValidationError | None = error
    else:
        refusal = None
    if refusal is not None:
        assert not valid, f"{model.__name__} refused a valid value {value!r}: {refusal}"
        return
    assert valid, f"{model.__name__} accepted an invalid value {value!r}"
    dumped = built.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert compiled.is_valid(dumped), f"{model.__name__} dumped {dumped!r} from {value!r}"


def _model_values(models: list[Any]) -> Any:
    return st.sampled_from(models).flatmap(
        lambda entry: st.tuples(st.just(entry), valid_or_mutated(entry[2]))
    )


@pytest.mark.parametrize(
    "module", [chat_events, chat_v3_events, telemetry_events], ids=lambda m: m.__name__
)
def test_models_agree_with_their_schemas(module: ModuleType) -> None:
    models = _bound_models(module)
    assert models
    if module is telemetry_events:
        assert any(issubclass(entry[0], SpecRootModel) for entry in models)

    @SETTINGS
    @given(_model_values(models))
    def check(pair: tuple[Any, Any]) -> None:
        _check_model(*pair)

    check()


def test_edge_case_models_agree_with_their_schemas(edge_module: ModuleType) -> None:
    models = _bound_models(edge_module)
    assert len(models) >= 8
    assert sum(issubclass(entry[0], SpecRootModel) for entry in models) >= 10

    @settings(SETTINGS, max_examples=400)
    @given(_model_values(models))
    def check(pair: tuple[Any, Any]) -> None:
        _check_model(*pair)

    check()


# -- servers ---------------------------------------------------------------------------------

CONNECT = {
    "/chat": {"query_string": "username=ann"},
    "/devices": {"headers": {"X-Device-Key": "key-thermo-1", "X-Firmware-Version": "1.0.0"}},
    "/dashboard": {"headers": {"Authorization": "Bearer token-alice"}},
}


class Pair:
    """A typed server and a dynamic one for the same spec, each with a test client per namespace
    and a list of the failures its default error handler saw."""

    def __init__(self, example: Example, server_class: type[TypedServer]) -> None:
        self.errors: dict[str, list[tuple[str, Any, Any]]] = {"typed": [], "dynamic": []}
        typed_app = flask.Flask(__name__)
        dynamic_app = flask.Flask(__name__)
        self.typed = _accept_everything(server_class).create(
            typed_app, async_mode="threading", default_error_handler=self._record("typed")
        )
        self.dynamic = AsynctionSocketIO.from_spec(
            example.spec,
            app=dynamic_app,
            async_mode="threading",
            default_error_handler=self._record("dynamic"),
        )
        self.clients: dict[str, dict[str, Any]] = {"typed": {}, "dynamic": {}}
        for kind, server, app in (
            ("typed", self.typed, typed_app),
            ("dynamic", self.dynamic, dynamic_app),
        ):
            for namespace in server.spec.namespaces:
                client = server.test_client(
                    app, namespace=namespace.name, **CONNECT.get(namespace.name, {})
                )
                assert client.is_connected(namespace.name), (kind, namespace.name)
                self.clients[kind][namespace.name] = client

    def _record(self, kind: str) -> Any:
        def record(error: Exception) -> None:
            self.errors[kind].append(
                (type(error).__name__, getattr(error, "path", None), getattr(error, "rule", None))
            )

        return record

    def send(self, namespace: str, event: str, args: tuple[Any, ...]) -> None:
        """Send the event to both servers; both must fail the same way, or neither."""
        self.errors["typed"].clear()
        self.errors["dynamic"].clear()
        for kind in ("typed", "dynamic"):
            self.clients[kind][namespace].emit(event, *args, namespace=namespace)
        assert self.errors["typed"] == self.errors["dynamic"], (namespace, event, args)


def _accept_everything(server_class: type[TypedServer]) -> type[TypedServer]:
    """A subclass overriding every incoming event with a method that takes anything."""

    def handler(self: Any, *args: Any) -> None:
        return None

    methods = {typed.method: handler for typed in server_class.__asynction_incoming__}
    return type(f"Accepting{server_class.__name__}", (server_class,), methods)


def _arguments(event: Event, draw: Any) -> tuple[Any, ...]:
    """Socket.IO arguments for the event: values of its payload schema (and mutations), spread
    as design §2 reads them, sometimes spread the wrong way."""
    schema = event.payload
    assert schema is not None
    value = draw(valid_or_mutated(schema))
    shape = argument_shape(schema)
    if shape is ArgumentShape.TUPLE and isinstance(value, list) and draw(st.booleans()):
        return tuple(value)
    if shape is ArgumentShape.LIST and isinstance(value, list) and value and draw(st.booleans()):
        return tuple(value)
    if value is None and draw(st.booleans()):
        return ()
    return (value,)


@pytest.fixture(scope="module")
def pairs() -> Iterator[dict[str, Pair]]:
    return {
        "chat": Pair(CHAT, chat_events.ChatServer),
        "chat_v3": Pair(CHAT_V3, chat_v3_events.ChatServer),
        "telemetry": Pair(TELEMETRY, telemetry_events.TelemetryServer),
    }


def _incoming(pair: Pair) -> list[tuple[str, Event]]:
    return [
        (namespace.name, event)
        for namespace in pair.dynamic.spec.namespaces
        for event in namespace.incoming
        if event.payload is not None
    ]


@pytest.mark.parametrize("name", ["chat", "chat_v3", "telemetry"])
def test_typed_and_dynamic_servers_refuse_the_same_arguments(
    pairs: dict[str, Pair], name: str
) -> None:
    pair = pairs[name]
    events = _incoming(pair)

    @SETTINGS
    @given(st.data())
    def check(data: Any) -> None:
        namespace, event = data.draw(st.sampled_from(events))
        pair.send(namespace, event.name, _arguments(event, data.draw))

    check()


@pytest.mark.parametrize("name", ["chat", "chat_v3", "telemetry"])
def test_typed_and_dynamic_emits_refuse_the_same_payloads(
    pairs: dict[str, Pair], name: str
) -> None:
    pair = pairs[name]
    outgoing = {
        (typed.namespace, typed.event): typed for typed in type(pair.typed).__asynction_outgoing__
    }
    events = [
        (namespace.name, event)
        for namespace in pair.dynamic.spec.namespaces
        for event in namespace.outgoing
        if event.payload is not None
    ]

    @SETTINGS
    @given(st.data())
    def check(data: Any) -> None:
        namespace, event = data.draw(st.sampled_from(events))
        args = _arguments(event, data.draw)
        typed = outgoing[(namespace, event.name)]
        data_argument = args if len(args) != 1 else args[0]
        try:
            pair.dynamic.emit(event.name, data_argument, namespace=namespace)
            dynamic_ok = True
        except ValidationException:
            dynamic_ok = False
        try:
            values = typed.payload.loader(trusted=False)(args)
            getattr(pair.typed, typed.method)(*values)
            typed_ok = True
        except (ValidationError, ValidationException):
            typed_ok = False
        assert typed_ok == dynamic_ok, (namespace, event.name, args)

    check()


def test_the_strategies_mostly_generate_valid_values() -> None:
    """A sanity check of the generator of the differential tests."""
    schema = telemetry_events.SPEC.namespace("/devices").incoming_event("batch").payload
    compiled = CompiledSchema(schema)
    valid: list[bool] = []

    @settings(SETTINGS, max_examples=50)
    @given(from_schema(schema))
    def check(value: Any) -> None:
        valid.append(compiled.is_valid(value))

    check()
    assert sum(valid) >= 0.9 * len(valid)
    mutations: list[bool] = []

    @settings(SETTINGS, max_examples=50)
    @given(mutated(from_schema(schema)))
    def check_mutations(value: Any) -> None:
        mutations.append(compiled.is_valid(value))

    check_mutations()
    assert not all(mutations)
