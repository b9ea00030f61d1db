"""Outgoing events: emit, send and call are validated before anything is sent, from everywhere."""

from __future__ import annotations

import threading
from typing import Any

import flask
import pytest

from asynction.exceptions import PayloadValidationException, ValidationException
from asynction.server import AsynctionSocketIO
from tests.fixtures.server import handlers
from tests.server.conftest import CHAT_SPEC, chat_app


@pytest.fixture
def chat() -> tuple[flask.Flask, AsynctionSocketIO]:
    return chat_app()


@pytest.fixture
def client(chat: tuple[flask.Flask, AsynctionSocketIO]) -> Any:
    app, sio = chat
    return sio.test_client(app)


def test_server_emit_of_a_valid_payload_is_sent(
    chat: tuple[flask.Flask, AsynctionSocketIO], client: Any
) -> None:
    _, sio = chat
    sio.emit("notice", "hello")
    sio.emit("echoed", {"text": "t", "count": 1})
    assert client.get_received() == [
        {"name": "notice", "args": ["hello"], "namespace": "/"},
        {"name": "echoed", "args": [{"text": "t", "count": 1}], "namespace": "/"},
    ]


@pytest.mark.parametrize(
    ("event", "data", "path", "rule"),
    [
        pytest.param("notice", 5, "$", "type", id="wrong-type"),
        pytest.param("notice", "x" * 21, "$", "maxLength", id="constraint"),
        pytest.param("echoed", {"count": 1}, "$", "required", id="missing-field"),
        pytest.param("echoed", {"text": "a", "b": 1}, "$", "additionalProperties", id="extra"),
        pytest.param("scores", ["a", 1], "$[0]", "type", id="list-for-a-tuple"),
        pytest.param("scores", ("a", "b"), "$[1]", "type", id="tuple-wrong-type"),
    ],
)
def test_server_emit_of_an_invalid_payload_raises_and_sends_nothing(
    chat: tuple[flask.Flask, AsynctionSocketIO],
    client: Any,
    event: str,
    data: Any,
    path: str,
    rule: str,
) -> None:
    _, sio = chat
    with pytest.raises(PayloadValidationException) as raised:
        sio.emit(event, data)
    assert (raised.value.namespace, raised.value.event) == ("/", event)
    assert (raised.value.path, raised.value.rule) == (path, rule)
    assert client.get_received() == []


def test_tuple_data_is_several_arguments(
    chat: tuple[flask.Flask, AsynctionSocketIO], client: Any
) -> None:
    _, sio = chat
    sio.emit("scores", ("alice", 3))
    assert client.get_received() == [{"name": "scores", "args": ["alice", 3], "namespace": "/"}]


def test_undeclared_event_raises(chat: tuple[flask.Flask, AsynctionSocketIO], client: Any) -> None:
    _, sio = chat
    with pytest.raises(ValidationException) as raised:
        sio.emit("echo", {"text": "incoming, not outgoing"})
    assert "event 'echo' is not declared as an outgoing event of namespace '/'" in str(raised.value)
    assert "'notice'" in str(raised.value)  # the declared ones are listed
    assert raised.value.rule == "event"
    assert client.get_received() == []


def test_undeclared_namespace_raises(chat: tuple[flask.Flask, AsynctionSocketIO]) -> None:
    _, sio = chat
    with pytest.raises(ValidationException) as raised:
        sio.emit("notice", "hi", namespace="/nowhere")
    assert "namespace '/nowhere' is not declared" in str(raised.value)
    assert raised.value.rule == "namespace"


def test_emit_to_another_declared_namespace(chat: tuple[flask.Flask, AsynctionSocketIO]) -> None:
    app, sio = chat
    admin = sio.test_client(
        app, namespace="/admin", query_string="token=abcd", headers={"X-Api-Version": "1"}
    )
    sio.emit("notice", "to admins", namespace="/admin")
    assert admin.get_received("/admin") == [
        {"name": "notice", "args": ["to admins"], "namespace": "/admin"}
    ]
    with pytest.raises(ValidationException, match="not declared as an outgoing event"):
        sio.emit("echoed", {"text": "a"}, namespace="/admin")


def test_module_level_emit_inside_a_handler_is_validated(client: Any) -> None:
    assert client.emit("emit_back", {"kind": "echoed", "data": {"text": "a"}}, callback=True) == (
        "sent"
    )
    assert client.get_received() == [{"name": "echoed", "args": [{"text": "a"}], "namespace": "/"}]
    ack = client.emit("emit_back", {"kind": "echoed", "data": {"text": 1}}, callback=True)
    assert ack == {"error": "PayloadValidationException", "path": "$.text", "rule": "type"}
    assert client.get_received() == []
    assert handlers.entries("emit_back") == [("emit_back", "echoed")]


@pytest.mark.parametrize(
    ("kind", "rule"), [("undeclared", "event"), ("other_namespace", "namespace")]
)
def test_module_level_emit_of_undeclared_things_fails_the_event(
    client: Any, kind: str, rule: str
) -> None:
    ack = client.emit("emit_back", {"kind": kind, "data": "x"}, callback=True)
    assert ack == {"error": "ValidationException", "path": "$", "rule": rule}
    assert client.get_received() == []


def test_module_level_broadcast_and_tuple(
    chat: tuple[flask.Flask, AsynctionSocketIO], client: Any
) -> None:
    app, sio = chat
    other = sio.test_client(app)
    client.emit("emit_back", {"kind": "broadcast", "data": "all of you"})
    expected = [{"name": "notice", "args": ["all of you"], "namespace": "/"}]
    assert client.get_received() == expected
    assert other.get_received() == expected
    ack = client.emit("emit_back", {"kind": "broadcast", "data": 42}, callback=True)
    assert ack["error"] == "PayloadValidationException"
    assert other.get_received() == []
    client.emit("emit_back", {"kind": "scores", "data": ["bob", 2]})
    assert client.get_received() == [{"name": "scores", "args": ["bob", 2], "namespace": "/"}]


def test_room_emit_is_validated_and_reaches_the_room(
    chat: tuple[flask.Flask, AsynctionSocketIO], client: Any
) -> None:
    app, sio = chat
    outsider = sio.test_client(app)
    client.emit("join", "lobby")
    client.emit("emit_back", {"kind": "room", "data": {"room": "lobby", "text": "in lobby"}})
    assert client.get_received() == [{"name": "notice", "args": ["in lobby"], "namespace": "/"}]
    assert outsider.get_received() == []
    sio.emit("notice", "from outside", to="lobby")
    assert client.get_received() == [{"name": "notice", "args": ["from outside"], "namespace": "/"}]
    with pytest.raises(PayloadValidationException):
        sio.emit("notice", ["not a string"], to="lobby")


def test_send_is_the_message_event(
    chat: tuple[flask.Flask, AsynctionSocketIO], client: Any
) -> None:
    _, sio = chat
    client.emit("emit_back", {"kind": "send", "data": "plain text"})
    assert client.get_received() == [{"name": "message", "args": "plain text", "namespace": "/"}]
    ack = client.emit("emit_back", {"kind": "send", "data": {"not": "text"}}, callback=True)
    assert ack["error"] == "PayloadValidationException"
    sio.send("from the server")
    assert client.get_received() == [
        {"name": "message", "args": "from the server", "namespace": "/"}
    ]
    with pytest.raises(PayloadValidationException):
        sio.send(1)
    with pytest.raises(ValidationException, match="event 'message' is not declared"):
        sio.send("hi", namespace="/admin")
    with pytest.raises(ValidationException, match="event 'json' is not declared"):
        sio.send({"a": 1}, json=True)


def test_background_task_emits_are_validated(
    chat: tuple[flask.Flask, AsynctionSocketIO], client: Any
) -> None:
    _, sio = chat
    outcome: list[BaseException | None] = []

    def task(data: Any) -> None:
        try:
            sio.emit("notice", data)
            outcome.append(None)
        except Exception as error:
            outcome.append(error)

    for data in ("fine", 3):
        thread = threading.Thread(target=task, args=(data,))
        thread.start()
        thread.join(timeout=5)
    assert outcome[0] is None
    assert isinstance(outcome[1], PayloadValidationException)
    assert client.get_received() == [{"name": "notice", "args": ["fine"], "namespace": "/"}]


def test_validation_off_emits_anything() -> None:
    app, sio = chat_app(validation=False)
    client = sio.test_client(app)
    sio.emit("nothing_declared", 1, namespace="/")
    assert client.get_received() == [{"name": "nothing_declared", "args": [1], "namespace": "/"}]


def test_without_an_app_nothing_is_imported_and_emits_are_still_validated() -> None:
    document: dict[str, Any] = {
        "asyncapi": "2.6.0",
        "info": {"title": "t", "version": "1"},
        "channels": {
            "/": {
                "x-handlers": {"connect": "tests.fixtures.server.no_such_module.connect"},
                "publish": {"message": {"name": "in", "x-handler": "no.such.handler"}},
                "subscribe": {"message": {"name": "out", "payload": {"type": "integer"}}},
            }
        },
    }
    sio = AsynctionSocketIO.from_spec(document)  # no app: the broken handlers are not imported
    with pytest.raises(PayloadValidationException):
        sio.emit("out", "not an integer")
    with pytest.raises(ValidationException, match="not declared"):
        sio.emit("in", 1)


def test_spec_attribute_and_from_spec_with_a_path() -> None:
    sio = AsynctionSocketIO.from_spec(CHAT_SPEC)
    assert sio.spec.title == "Server test chat"
    assert {namespace.name for namespace in sio.spec.namespaces} == {"/", "/admin", "/strict"}
