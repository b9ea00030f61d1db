"""Incoming events through Flask-SocketIO's test client: payloads validated before the handler runs,
return values validated against the ack schema, failures routed to the error handlers."""

from __future__ import annotations

from typing import Any

import flask
import pytest

from asynction.exceptions import MessageAckValidationException, PayloadValidationException
from asynction.server import AsynctionSocketIO
from tests.fixtures.server import handlers
from tests.server.conftest import CHAT_SPEC, chat_app


@pytest.fixture(scope="module")
def chat() -> tuple[flask.Flask, AsynctionSocketIO]:
    return chat_app()


@pytest.fixture
def client(chat: tuple[flask.Flask, AsynctionSocketIO]) -> Any:
    app, sio = chat
    test_client = sio.test_client(app)
    assert test_client.is_connected()
    yield test_client
    test_client.disconnect()


def test_valid_payload_reaches_the_handler_and_its_return_is_the_ack(client: Any) -> None:
    payload = {"text": "hello", "count": 2, "at": "2024-05-01T10:00:00Z"}
    assert client.emit("echo", payload, callback=True) == payload
    assert handlers.entries("echo") == [("echo", payload)]


@pytest.mark.parametrize(
    ("payload", "path", "rule"),
    [
        pytest.param({"text": 5}, "$.text", "type", id="wrong-type"),
        pytest.param({"count": 1}, "$", "required", id="missing-field"),
        pytest.param({"text": "a", "extra": 1}, "$", "additionalProperties", id="extra-field"),
        pytest.param({"text": ""}, "$.text", "minLength", id="constraint"),
        pytest.param({"text": "a", "at": "yesterday"}, "$.at", "format", id="format"),
        pytest.param({"text": "a", "count": "5"}, "$.count", "type", id="no-lax-coercion"),
        pytest.param("text", "$", "type", id="not-an-object"),
    ],
)
def test_invalid_payload_never_reaches_the_handler(
    client: Any, payload: Any, path: str, rule: str
) -> None:
    ack = client.emit("echo", payload, callback=True)
    assert ack == {"error": "PayloadValidationException", "path": path, "rule": rule}
    assert handlers.entries("echo") == []
    [(_, namespace, error)] = handlers.entries("error")
    assert namespace == "/"
    assert isinstance(error, PayloadValidationException)
    assert (error.namespace, error.event, error.path, error.rule) == ("/", "echo", path, rule)
    assert f"event 'echo' at {path}" in str(error)
    assert f"rule: {rule}" in str(error)


def test_no_argument_validates_as_null(client: Any) -> None:
    ack = client.emit("echo", callback=True)
    assert ack == {"error": "PayloadValidationException", "path": "$", "rule": "type"}
    [(_, _, error)] = handlers.entries("error")
    assert "no argument" in str(error)


def test_one_argument_schema_refuses_two(client: Any) -> None:
    ack = client.emit("echo", {"text": "a"}, {"text": "b"}, callback=True)
    assert ack == {"error": "PayloadValidationException", "path": "$", "rule": "arguments"}
    assert handlers.entries("echo") == []


def test_tuple_payload_is_positional_arguments(client: Any) -> None:
    assert client.emit("pair", "a", 1, callback=True) == [1, "a"]
    assert handlers.entries("pair") == [("pair", "a", 1)]


@pytest.mark.parametrize(
    ("args", "path", "rule"),
    [
        pytest.param((["a", 1],), "$", "minItems", id="one-list-for-a-tuple"),
        pytest.param(("a", "b"), "$[1]", "type", id="wrong-position-type"),
        pytest.param(("a",), "$", "minItems", id="too-few"),
        pytest.param(("a", 1, 2), "$", "items", id="too-many"),
    ],
)
def test_tuple_payload_rejects(client: Any, args: tuple[Any, ...], path: str, rule: str) -> None:
    ack = client.emit("pair", *args, callback=True)
    assert ack == {"error": "PayloadValidationException", "path": path, "rule": rule}
    assert handlers.entries("pair") == []


def test_array_payload_accepts_one_list_or_several_arguments(client: Any) -> None:
    assert client.emit("numbers", [1, 2, 3], callback=True) == 6
    assert client.emit("numbers", 4, 5, callback=True) == 9
    assert handlers.entries("numbers") == [("numbers", [1, 2, 3]), ("numbers", 4, 5)]
    ack = client.emit("numbers", [1, "2"], callback=True)
    assert ack == {"error": "PayloadValidationException", "path": "$[1]", "rule": "type"}


def test_event_without_payload_is_not_validated(client: Any) -> None:
    assert client.emit("ping", {"anything": [1]}, 2, callback=True) == "pong"
    assert client.emit("ping", callback=True) == "pong"


def test_invalid_return_value_is_an_ack_failure(client: Any) -> None:
    ack = client.emit("bad_ack", "x", callback=True)
    assert ack == {"error": "MessageAckValidationException", "path": "$.ok", "rule": "type"}
    assert handlers.entries("bad_ack") == [("bad_ack", "x")]
    [(_, _, error)] = handlers.entries("error")
    assert isinstance(error, MessageAckValidationException)
    assert (error.namespace, error.event) == ("/", "bad_ack")


def test_no_return_value_is_an_empty_ack_validated_when_the_client_asks_for_one(
    client: Any,
) -> None:
    # Asked for an ack, the handler returns None: the client would get an ack with no arguments,
    # which the ack schema (an object) refuses.
    ack = client.emit("no_ack", "x", callback=True)
    assert ack == {"error": "MessageAckValidationException", "path": "$", "rule": "type"}
    [(_, _, error)] = handlers.entries("error")
    assert isinstance(error, MessageAckValidationException)
    assert (error.namespace, error.event) == ("/", "no_ack")
    # Not asked for an ack: nothing is sent, so nothing is wrong.
    client.emit("no_ack", "y")
    assert len(handlers.entries("error")) == 1
    assert handlers.entries("no_ack") == [("no_ack", "x"), ("no_ack", "y")]


def test_ack_schema_without_payload_schema(client: Any) -> None:
    assert client.emit("status", callback=True) == "up"
    assert client.emit("status", "up", callback=True) == "up"
    ack = client.emit("status", {"any": "payload"}, callback=True)
    assert ack == {"error": "MessageAckValidationException", "path": "$", "rule": "type"}
    assert client.emit("status", "down", callback=True)["rule"] == "enum"
    assert handlers.entries("status") == [
        ("status",),
        ("status", "up"),
        ("status", {"any": "payload"}),
        ("status", "down"),
    ]


def test_tuple_return_value_is_several_ack_arguments(client: Any) -> None:
    # pair's ack schema is a tuple (integer, string): the handler returns (number, name).
    assert client.emit("pair", "z", 7, callback=True) == [7, "z"]


def test_without_error_handler_the_test_client_re_raises(
    chat: tuple[flask.Flask, AsynctionSocketIO], caplog: pytest.LogCaptureFixture
) -> None:
    app, sio = chat
    strict = sio.test_client(app, namespace="/strict")
    with pytest.raises(PayloadValidationException) as raised:
        strict.emit("echo", {"text": 1}, namespace="/strict", callback=True)
    assert (raised.value.namespace, raised.value.path) == ("/strict", "$.text")
    assert "namespace '/strict', event 'echo' at $.text" in caplog.text
    # the client is still served
    assert strict.emit("echo", {"text": "ok"}, namespace="/strict", callback=True) == {"text": "ok"}
    strict.disconnect(namespace="/strict")


def test_default_error_handler_serves_namespaces_without_their_own() -> None:
    seen: list[Exception] = []

    def default(error: Exception) -> str:
        seen.append(error)
        return "handled by default"

    app, sio = chat_app(default_error_handler=default)
    strict = sio.test_client(app, namespace="/strict")
    assert strict.emit("echo", {}, namespace="/strict", callback=True) == "handled by default"
    assert isinstance(seen[0], PayloadValidationException)
    # a namespace with its own error handler keeps it
    main = sio.test_client(app)
    assert main.emit("echo", {}, callback=True)["rule"] == "required"
    assert len(seen) == 1


def test_validation_off_passes_anything_through() -> None:
    app, sio = chat_app(validation=False)
    client = sio.test_client(app)
    assert client.emit("echo", {"text": 5, "extra": True}, callback=True) == {
        "text": 5,
        "extra": True,
    }
    assert client.emit("bad_ack", 1, callback=True) == {"ok": "not a boolean"}
    client.emit("emit_back", {"kind": "undeclared", "data": 1})
    assert client.get_received() == [{"name": "undeclared_event", "args": [1], "namespace": "/"}]
    admin = sio.test_client(app, namespace="/admin")
    assert admin.is_connected("/admin")


def test_events_the_spec_does_not_declare_are_ignored(client: Any) -> None:
    assert client.emit("not_in_the_spec", 1, callback=True) is None
    assert handlers.entries("error") == []


def test_from_spec_accepts_a_mapping_and_a_str_path() -> None:
    import yaml

    document = yaml.safe_load(CHAT_SPEC.read_text())
    for source in (document, str(CHAT_SPEC)):
        app = flask.Flask(__name__)
        sio = AsynctionSocketIO.from_spec(source, app=app, async_mode="threading")
        assert sio.test_client(app).emit("echo", {"text": "m"}, callback=True) == {"text": "m"}
