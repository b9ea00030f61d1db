"""Fuzzing incoming events against every example spec: the server accepts exactly the payloads (and
acks) that :class:`~asynction.validation.ArgumentsValidator` accepts, no more, no fewer.

Each spec is served with security, bindings and handlers stripped from its model (the handlers
record what they get), so that every incoming event with a payload schema can be reached through
Flask-SocketIO's test client. Values come from a generator guided by each schema, and from
mutations of what it generates (a key dropped, added or retyped, a value swapped for any JSON).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from datetime import timezone
from pathlib import Path
from typing import Any

import flask
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from asynction.exceptions import (
    AsynctionException,
    MessageAckValidationException,
    PayloadValidationException,
    ValidationException,
)
from asynction.server import AsynctionSocketIO
from asynction.spec import Api, Event, Namespace, NamespaceHandlers, load_spec
from asynction.validation import ArgumentsValidator
from tests.hardening.fixtures import fuzz_handlers

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = "tests.hardening.fixtures.fuzz_handlers"
SPEC_FILES = sorted(
    {
        *ROOT.glob("generated_examples/*/asyncapi.yaml"),
        *(ROOT / "tests" / "fixtures").rglob("*.yaml"),
        *(ROOT / "tests" / "docs" / "specs").glob("*.yaml"),
        *(ROOT / "tests" / "codegen" / "fixtures").glob("*.yaml"),
        ROOT / "tests" / "hardening" / "fixtures" / "hardened.yaml",
    }
)


def _loadable(path: Path) -> Api | None:
    try:
        return load_spec(path)
    except AsynctionException:
        return None  # a spec that is meant not to load (tests/fixtures/server/broken.yaml)


SPECS = {path.relative_to(ROOT).as_posix(): api for path in SPEC_FILES if (api := _loadable(path))}

JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


# -- a generator guided by JSON Schema ------------------------------------------------------------


def from_schema(schema: Any, root: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values meant to be valid under ``schema`` (often, not always: the server is compared with
    the validator either way)."""
    if not isinstance(schema, dict) or depth > 6:
        return JSON
    if "$ref" in schema:
        target = _resolve(root, schema["$ref"])
        return JSON if target is None else from_schema(target, root, depth + 1)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) if schema["enum"] else JSON
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return st.one_of([from_schema(sub, root, depth + 1) for sub in schema[key]])
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for sub in schema["allOf"]:
            if isinstance(sub, dict):
                merged.update(_resolve(root, sub["$ref"]) if "$ref" in sub else sub)
        rest = {key: value for key, value in schema.items() if key != "allOf"}
        return from_schema({**merged, **rest}, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        return (
            st.one_of([from_schema({**schema, "type": one}, root, depth) for one in kind])
            if kind
            else JSON
        )
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        required = [name for name in schema.get("required", []) if isinstance(name, str)]
        strategies = {name: from_schema(sub, root, depth + 1) for name, sub in properties.items()}
        for name in required:
            strategies.setdefault(name, JSON)
        return st.fixed_dictionaries(
            {name: strategies[name] for name in required},
            optional={name: value for name, value in strategies.items() if name not in required},
        )
    if kind == "array" or (kind is None and ("items" in schema or "prefixItems" in schema)):
        if "prefixItems" in schema:
            return st.tuples(
                *(from_schema(sub, root, depth + 1) for sub in schema["prefixItems"])
            ).map(list)
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", low + 3)
        items = schema.get("items", {})
        return st.lists(
            from_schema(items, root, depth + 1), min_size=low, max_size=max(low, min(high, low + 3))
        )
    if kind == "string":
        return _strings(schema)
    if kind == "integer":
        low, high = _bounds(schema)
        return st.integers(
            min_value=None if low is None else math.ceil(low),
            max_value=None if high is None else math.floor(high),
        )
    if kind == "number":
        low, high = _bounds(schema)
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return JSON


def _bounds(schema: dict[str, Any]) -> tuple[float | None, float | None]:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    low = low if isinstance(low, (int, float)) and not isinstance(low, bool) else None
    high = high if isinstance(high, (int, float)) and not isinstance(high, bool) else None
    if low is not None and high is not None and low > high:
        return None, None
    return low, high


def _strings(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    shape = schema.get("format")
    if shape == "date-time":
        return st.datetimes(timezones=st.just(timezone.utc)).map(lambda moment: moment.isoformat())
    if shape == "date":
        return st.dates().map(str)
    if shape == "email":
        return st.emails()
    if shape == "uuid":
        return st.uuids().map(str)
    if shape in ("uri", "url"):
        return st.sampled_from(
            ["https://example.com/a", "http://127.0.0.1:8080/x?y=1", "not a uri"]
        )
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
            return st.from_regex(pattern, fullmatch=True)
        except re.error:
            pass
    low = schema.get("minLength", 0)
    high = schema.get("maxLength", low + 10)
    return st.text(min_size=low, max_size=max(low, min(high, low + 10)))


def _resolve(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        return None
    node = root
    for token in ref[2:].split("/") if ref != "#" else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or token not in node:
            return None
        node = node[token]
    return node


@st.composite
def mutated(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> Any:
    """A value of ``values``, sometimes changed a little or replaced."""
    value = draw(values)
    change = draw(st.sampled_from(["none", "none", "drop", "add", "retype", "replace"]))
    if change == "replace":
        return draw(JSON)
    if isinstance(value, dict) and value:
        key = draw(st.sampled_from(sorted(value)))
        if change == "drop":
            return {name: item for name, item in value.items() if name != key}
        if change == "add":
            return {**value, draw(st.text(max_size=6)): draw(JSON)}
        if change == "retype":
            return {**value, key: draw(JSON)}
    if isinstance(value, list) and value and change in ("drop", "retype"):
        index = draw(st.integers(0, len(value) - 1))
        if change == "drop":
            return value[:index] + value[index + 1 :]
        return [*value[:index], draw(JSON), *value[index + 1 :]]
    if change == "retype":
        return draw(JSON)
    return value


@st.composite
def arguments(draw: st.DrawFn, schema: Any) -> tuple[Any, ...]:
    """Socket.IO arguments for a payload or ack schema: one value mostly, sometimes none, several,
    or the positions of a tuple."""
    value = draw(mutated(from_schema(schema, schema)))
    layout = draw(st.sampled_from(["one", "one", "one", "spread", "none", "extra"]))
    if layout == "spread" and isinstance(value, list):
        return tuple(value)
    if layout == "none":
        return ()
    if layout == "extra":
        return (value, draw(JSON))
    return (value,)


# -- the servers ----------------------------------------------------------------------------------


def _open(api: Api) -> Api:
    """The model with security, bindings and handlers replaced: every namespace public, every
    incoming event handled by ``accept``, every error by ``reject``."""
    namespaces: list[Namespace] = []
    for namespace in api.namespaces:
        incoming = tuple(
            dataclasses.replace(event, handler=f"{HANDLERS}.accept", security=None)
            for event in namespace.incoming
            if event.name not in ("connect", "disconnect")
        )
        namespaces.append(
            dataclasses.replace(
                namespace,
                incoming=incoming,
                bindings=None,
                security=(),
                handlers=NamespaceHandlers(error=f"{HANDLERS}.reject"),
            )
        )
    servers = tuple(dataclasses.replace(server, security=()) for server in api.servers)
    return dataclasses.replace(api, namespaces=tuple(namespaces), servers=servers)


_served: dict[str, Any] = {}


def _client(name: str) -> Any:
    """A test client connected to every namespace of the opened spec (one server per spec)."""
    if name not in _served:
        app = flask.Flask(__name__)
        sio = AsynctionSocketIO.from_spec(_open(SPECS[name]), app=app, docs=False)
        namespaces = [namespace.name for namespace in SPECS[name].namespaces]
        client = sio.test_client(app, namespace=namespaces[0])
        for namespace in namespaces[1:]:
            client.connect(namespace=namespace)
        _served[name] = client
    return _served[name]


def _cases(api: Api) -> list[tuple[str, Event]]:
    return [
        (namespace.name, event)
        for namespace in api.namespaces
        for event in namespace.incoming
        if event.payload is not None and event.name not in ("connect", "disconnect")
    ]


FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize("name", sorted(name for name, api in SPECS.items() if _cases(api)))
@FUZZ
@given(data=st.data())
def test_server_accepts_exactly_what_the_validator_accepts(name: str, data: st.DataObject) -> None:
    client = _client(name)
    namespace, incoming = data.draw(st.sampled_from(_cases(SPECS[name])), label="event")
    args = data.draw(arguments(incoming.payload), label="args")
    ack = data.draw(arguments(incoming.ack), label="ack") if incoming.ack is not None else ()
    returned = None if not ack else (ack[0] if len(ack) == 1 else ack)
    fuzz_handlers.ACK[0] = returned
    fuzz_handlers.CALLS.clear()
    sent = json.loads(json.dumps(list(args)))  # what the server receives from the test client

    payload_ok = _accepted(
        ArgumentsValidator(incoming.payload, namespace=namespace, event=incoming.name), tuple(sent)
    )
    client.emit(incoming.name, *args, namespace=namespace, callback=True)
    calls = list(fuzz_handlers.CALLS)
    event(f"payload {'accepted' if payload_ok else 'rejected'}")

    if not payload_ok:
        assert [kind for kind, _ in calls] == ["reject"], calls
        assert isinstance(calls[0][1], PayloadValidationException), calls
        return
    assert calls[0] == ("accept", tuple(sent)), calls
    # The client asked for an ack: a handler returning None sends one with no arguments.
    if returned is None:
        ack_args: tuple[Any, ...] = ()
    else:
        ack_args = returned if isinstance(returned, tuple) else (returned,)
    ack_ok = incoming.ack is None or _accepted(
        ArgumentsValidator(
            incoming.ack,
            namespace=namespace,
            event=incoming.name,
            exception_type=MessageAckValidationException,
        ),
        ack_args,
    )
    event(f"ack {'accepted' if ack_ok else 'rejected'}")
    if ack_ok:
        assert len(calls) == 1, calls
    else:
        assert [kind for kind, _ in calls] == ["accept", "reject"], calls
        assert isinstance(calls[1][1], MessageAckValidationException), calls


def _accepted(validator: ArgumentsValidator, args: tuple[Any, ...]) -> bool:
    try:
        validator.validate(args)
    except ValidationException:
        return False
    return True


def test_every_example_spec_is_fuzzed() -> None:
    assert len(SPECS) >= 8
    assert "generated_examples/chat/asyncapi.yaml" in SPECS
    assert "tests/fixtures/server/chat.yaml" in SPECS
