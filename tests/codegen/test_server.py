"""The generated server classes, in process (Flask-SocketIO's test client): overridden methods are
the handlers, with model instances in and models out; the rest falls back to x-handler."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

import chat_events
import flask
import pydantic
import pytest
import telemetry_events
from flask_socketio import join_room

from asynction.codegen.runtime import MissingHandlersError, TypedServer
from asynction.exceptions import (
    MessageAckValidationException,
    PayloadValidationException,
    ValidationException,
)
from tests.codegen.support import CHAT

NOW = "2024-05-01T12:00:00Z"
SAMPLE = {"device": "thermo-1", "sensor": "t", "value": 21.5, "unit": "celsius", "takenAt": NOW}


class RecordingChat(chat_events.ChatServer):
    """Overrides every chat method and records what it gets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.calls: list[tuple[str, Any]] = []
        super().__init__(*args, **kwargs)

    def on_chat_connect(
        self, *, auth: Any, query: chat_events.ChatQuery, token_info: Any
    ) -> bool | None:
        self.calls.append(("connect", (auth, query, token_info)))
        return False if query.username == "banned" else None

    def on_chat_disconnect(self, reason: str, /) -> None:
        self.calls.append(("disconnect", reason))

    def on_chat_error(self, error: Exception, /) -> object:
        self.calls.append(("error", error))
        return {"error": type(error).__name__}

    def on_chat_join_room(self, payload: chat_events.JoinRoom, /) -> chat_events.JoinRoomAck:
        self.calls.append(("join room", payload))
        join_room(payload.room)
        return chat_events.JoinRoomAck(room=payload.room, members=["ann"])

    def on_chat_send_message(
        self, payload: chat_events.SendMessage, /
    ) -> chat_events.SendMessageAck | None:
        self.calls.append(("send message", payload))
        if payload.text == "silent":
            return None
        self.emit_chat_new_message(
            chat_events.NewMessage(
                id=uuid.UUID(int=1), room=payload.room, author="ann", text=payload.text, sentAt=NOW
            ),
            to=payload.room,
        )
        return chat_events.SendMessageAck(id=uuid.UUID(int=2), sentAt=NOW)

    def on_chat_typing(self, payload: chat_events.Typing, /) -> None:
        self.calls.append(("typing", payload))


def _chat(server_class: type[TypedServer] = RecordingChat, **kwargs: Any) -> tuple[Any, Any]:
    app = flask.Flask(__name__)
    server = server_class.create(app, async_mode="threading", **kwargs)
    return app, server


def test_overridden_methods_get_models_and_return_acks() -> None:
    app, server = _chat()
    client = server.test_client(app, namespace="/chat", query_string="username=ann")
    ack = client.emit("join room", {"room": "lobby"}, namespace="/chat", callback=True)
    assert ack == {"room": "lobby", "members": ["ann"]}
    ack = client.emit(
        "send message", {"room": "lobby", "text": "hi"}, namespace="/chat", callback=True
    )
    assert ack == {"id": str(uuid.UUID(int=2)), "sentAt": NOW}
    kinds = {name: value for name, value in server.calls}
    assert isinstance(kinds["join room"], chat_events.JoinRoom)
    assert isinstance(kinds["send message"], chat_events.SendMessage)
    _auth, query, token_info = kinds["connect"]
    assert isinstance(query, chat_events.ChatQuery)
    assert query.username == "ann"
    assert token_info is None


def test_handler_returning_none_is_an_empty_ack_checked_against_the_ack_schema() -> None:
    app, server = _chat()
    client = server.test_client(app, namespace="/chat", query_string="username=ann")
    # The client waits for an ack; the handler returns None: no arguments, where the ack schema
    # wants an object. The namespace's error hook answers instead.
    ack = client.emit(
        "send message", {"room": "r", "text": "silent"}, namespace="/chat", callback=True
    )
    assert ack == {"error": "MessageAckValidationException"}
    errors = [value for kind, value in server.calls if kind == "error"]
    assert len(errors) == 1
    assert isinstance(errors[0], MessageAckValidationException)
    assert errors[0].event == "send message"
    # Not waiting for one: nothing is sent, nothing is wrong.
    client.emit("send message", {"room": "r", "text": "silent"}, namespace="/chat")
    assert len([kind for kind, _ in server.calls if kind == "error"]) == 1


def test_typed_emit_sends_json() -> None:
    app, server = _chat()
    client = server.test_client(app, namespace="/chat", query_string="username=ann")
    client.emit("join room", {"room": "lobby"}, namespace="/chat")
    client.emit("send message", {"room": "lobby", "text": "hi"}, namespace="/chat")
    received = client.get_received("/chat")
    assert received == [
        {
            "name": "new message",
            "args": [
                {
                    "id": str(uuid.UUID(int=1)),
                    "room": "lobby",
                    "author": "ann",
                    "text": "hi",
                    "sentAt": NOW,
                }
            ],
            "namespace": "/chat",
        }
    ]


def test_typed_emit_is_validated_before_anything_is_sent() -> None:
    _app, server = _chat()
    message = chat_events.NewMessage(
        id=uuid.UUID(int=1), room="r", author="a", text="t", sentAt=NOW
    )
    message.sentAt = "not a date"  # models do not validate assignment: the emit does
    with pytest.raises(PayloadValidationException, match=r"\$\.sentAt"):
        server.emit_chat_new_message(message)


def test_invalid_payload_goes_to_the_error_hook_and_the_handler_never_runs() -> None:
    app, server = _chat()
    client = server.test_client(app, namespace="/chat", query_string="username=ann")
    ack = client.emit("join room", {"room": 5}, namespace="/chat", callback=True)
    assert ack == {"error": "PayloadValidationException"}
    assert [name for name, _ in server.calls] == ["connect", "error"]
    error = server.calls[-1][1]
    assert error.path == "$.room"
    assert error.rule == "type"


def test_connect_hook_refuses_and_disconnect_hook_gets_the_reason() -> None:
    app, server = _chat()
    refused = server.test_client(app, namespace="/chat", query_string="username=banned")
    assert not refused.is_connected("/chat")
    client = server.test_client(app, namespace="/chat", query_string="username=ann")
    client.disconnect(namespace="/chat")
    reasons = [value for name, value in server.calls if name == "disconnect"]
    assert len(reasons) == 1
    assert isinstance(reasons[0], str)


def test_bindings_still_refuse_before_the_connect_hook() -> None:
    app, server = _chat()
    client = server.test_client(app, namespace="/chat", query_string="username=")
    assert not client.is_connected("/chat")
    assert [name for name, _ in server.calls] == ["error"]


class OnlyJoin(chat_events.ChatServer):
    def on_chat_join_room(self, payload: chat_events.JoinRoom, /) -> chat_events.JoinRoomAck:
        return chat_events.JoinRoomAck(room=payload.room, members=["typed"])


def test_events_not_overridden_fall_back_to_x_handler() -> None:
    app, server = _chat(OnlyJoin)
    client = server.test_client(app, namespace="/chat", query_string="username=ann")
    assert client.is_connected("/chat")  # chat_handlers.connect
    assert client.emit("join room", {"room": "a"}, namespace="/chat", callback=True) == {
        "room": "a",
        "members": ["typed"],
    }
    ack = client.emit("send message", {"room": "a", "text": "hi"}, namespace="/chat", callback=True)
    assert set(ack) == {"id", "sentAt"}  # chat_handlers.send_message


def test_every_missing_handler_is_listed_at_construction(edge_module: ModuleType) -> None:
    class Partial(edge_module.EdgeCasesServer):  # type: ignore[name-defined,misc]
        def on_positional(self, *args: Any) -> None:
            return None

    with pytest.raises(MissingHandlersError) as raised:
        Partial.create(flask.Flask(__name__), async_mode="threading")
    message = str(raised.value)
    for method in (
        "on_error_event",
        "on_untyped",
        "on_maybe",
        "on_keywords",
        "on_tree",
        "on_admin_error_event",
        "on_admin_update",
        "on_shop_update",
    ):
        assert f"Partial.{method}()" in message
    assert "on_positional" not in message
    # Without an app (an emitter on a message queue) nothing needs a handler.
    assert Partial.create(async_mode="threading") is not None


class Edge:
    """An edge-case server overriding everything, recording calls."""

    @staticmethod
    def make(module: ModuleType, **kwargs: Any) -> tuple[Any, Any, list[Any]]:
        calls: list[Any] = []

        class Server(module.EdgeCasesServer):  # type: ignore[name-defined,misc]
            def on_connect(self, *, auth: Any, query: Any, token_info: Any) -> None:
                calls.append(("connect", auth, query))

            def on_error_hook(self, error: Exception, /) -> object:
                calls.append(("error", error))
                return {"error": getattr(error, "path", None)}

            def on_error_event(self, payload: Any, /) -> None:
                calls.append(("error event", payload))

            def on_positional(
                self, label: Any, arg1: Any = None, arg2: Any = None, /, *rest: Any
            ) -> Any:
                calls.append(("positional", label, arg1, arg2, rest))
                return module.PositionalAck([label.root, "ok"])

            def on_untyped(self, *args: Any) -> None:
                calls.append(("untyped", args))

            def on_maybe(self, payload: Any = None, /) -> None:
                calls.append(("maybe", payload))

            def on_keywords(self, payload: Any, /) -> None:
                calls.append(("keywords", payload))

            def on_tree(self, payload: Any, /) -> None:
                calls.append(("tree", payload))

            def on_admin_error_event(self, payload: Any, /) -> None:
                calls.append(("admin error event", payload))

            def on_admin_update(self, payload: Any, /) -> None:
                calls.append(("admin update", payload))

            def on_shop_update(self, payload: Any, /) -> None:
                calls.append(("shop update", payload))

            def on_outline(self, payload: Any, /) -> None:
                calls.append(("outline", payload))

            def on_formula(self, payload: Any, /) -> None:
                calls.append(("formula", payload))

            def on_shape(self, payload: Any, /) -> Any:
                calls.append(("shape", payload))
                return module.ShapeAck("someone@example.com")

        app = flask.Flask(__name__)
        server = Server.create(app, async_mode="threading", **kwargs)
        return app, server, calls


def test_names_stay_unique_across_namespaces_and_hooks(edge_module: ModuleType) -> None:
    app, server, calls = Edge.make(edge_module)
    client = server.test_client(app, query_string="page=2")
    admin = server.test_client(app, namespace="/admin")
    shop = server.test_client(app, namespace="/shop")
    client.emit("error", {"code": 1})
    admin.emit("error", {"code": 2}, namespace="/admin")
    admin.emit("update", {"level": 3}, namespace="/admin")
    shop.emit("update", {"price": 4.5}, namespace="/shop")
    by_kind = {call[0]: call[1] for call in calls if call[0] != "connect"}
    assert by_kind["error event"].code == 1
    assert by_kind["admin error event"].code == 2
    assert isinstance(by_kind["admin update"], edge_module.AdminUpdate)
    assert isinstance(by_kind["shop update"], edge_module.Update)


def test_query_bindings_are_typed_and_coerced(edge_module: ModuleType) -> None:
    app, server, calls = Edge.make(edge_module)
    server.test_client(app, query_string="page=2&verbose=true&tags=a&tags=b", auth={"t": 1})
    (_, auth, query), *_ = calls
    assert auth == {"t": 1}
    assert isinstance(query, edge_module.MainQuery)
    assert (query.page, query.verbose, query.tags) == (2, True, ["a", "b"])


def test_positional_arguments(edge_module: ModuleType) -> None:
    app, server, calls = Edge.make(edge_module)
    client = server.test_client(app)
    assert client.emit("positional", "x", 1, 0.25, True, False, callback=True) == ["x", "ok"]
    assert client.emit("positional", "y", callback=True) == ["y", "ok"]
    # Every position is a root model of its own; optional positions left out are None.
    label, count, ratio, rest = calls[1][1:]
    assert isinstance(label, edge_module.PositionalLabel)
    assert isinstance(count, edge_module.PositionalArg1)
    assert isinstance(ratio, edge_module.PositionalArg2)
    assert all(isinstance(value, edge_module.PositionalRest) for value in rest)
    assert (label.root, count.root, ratio.root, [value.root for value in rest]) == (
        "x",
        1,
        0.25,
        [True, False],
    )
    assert calls[2][1].root == "y"
    assert calls[2][2:] == (None, None, ())
    # One list in place of the positional arguments is refused (design §2).
    assert client.emit("positional", ["x", 1], callback=True) == {"error": "$[0]"}
    assert client.emit("positional", "x", 1, 0.25, "not a bool", callback=True) == {"error": "$[3]"}


def test_no_payload_schema_and_nullable_payloads(edge_module: ModuleType) -> None:
    app, server, calls = Edge.make(edge_module)
    client = server.test_client(app)
    client.emit("untyped", 1, {"a": [2]})
    client.emit("maybe")
    client.emit("maybe", None)
    client.emit("maybe", {"n": 3})
    assert calls[1] == ("untyped", (1, {"a": [2]}))
    assert calls[2] == ("maybe", None)
    assert calls[3] == ("maybe", None)
    assert calls[4][1].n == 3


def test_list_payload_as_one_list_or_several_arguments() -> None:
    received: list[Any] = []

    class Devices(telemetry_events.TelemetryServer):
        def on_devices_batch(self, payload: telemetry_events.Batch, /) -> telemetry_events.BatchAck:
            received.append(payload)
            return telemetry_events.BatchAck(stored=len(payload.root), rejected=0)

        def on_devices_heartbeat(self) -> None:
            received.append("heartbeat")

    app = flask.Flask(__name__)
    server = Devices.create(app, async_mode="threading")
    handler = server._resolve_handler(
        server.spec.namespace("/devices"), server.spec.namespace("/devices").incoming_event("batch")
    )
    assert handler([SAMPLE, SAMPLE]) == {"stored": 2, "rejected": 0}
    assert handler(SAMPLE, SAMPLE, SAMPLE) == {"stored": 3, "rejected": 0}
    assert isinstance(received[0], telemetry_events.Batch)
    assert all(isinstance(sample, telemetry_events.Sample) for sample in received[0].root)
    heartbeat = server._resolve_handler(
        server.spec.namespace("/devices"),
        server.spec.namespace("/devices").incoming_event("heartbeat"),
    )
    assert heartbeat() is None
    assert received[-1] == "heartbeat"


def test_tuple_emits_drop_unset_optional_positions(edge_module: ModuleType) -> None:
    app, server, _ = Edge.make(edge_module)
    client = server.test_client(app)
    server.emit_pair(edge_module.PairArg0("a"))
    server.emit_pair(edge_module.PairArg0("a"), edge_module.PairArg1("b"))
    server.emit_notice(edge_module.Notice("hello"))
    server.emit_ping()
    assert [(m["name"], m["args"]) for m in client.get_received()] == [
        ("pair", ["a"]),
        ("pair", ["a", "b"]),
        ("notice", ["hello"]),
        ("ping", []),
    ]
    # The model refuses what the schema refuses (minLength: 1)...
    with pytest.raises(pydantic.ValidationError, match="shorter than 1 character"):
        edge_module.Notice("")
    # ...and so does the emit, given a value that is no model.
    with pytest.raises(PayloadValidationException):
        server.emit_notice("")


def test_without_validation_models_are_still_built(edge_module: ModuleType) -> None:
    app, server, calls = Edge.make(edge_module, validation=False)
    client = server.test_client(app)
    client.emit("keywords", {"class": "c", "x-y": 1})
    assert calls[-1][1].x_y == 1
    ack = client.emit("keywords", {"nested": "not an object"}, callback=True)
    assert ack == {"error": "$.nested"}


def test_from_spec_builds_the_typed_class_too() -> None:
    app = flask.Flask(__name__)
    server = RecordingChat.from_spec(CHAT.spec, app=app, async_mode="threading")
    assert isinstance(server, RecordingChat)
    client = server.test_client(app, namespace="/chat", query_string="username=ann")
    assert client.emit("join room", {"room": "x"}, namespace="/chat", callback=True)["room"] == "x"


def test_create_uses_the_embedded_spec() -> None:
    assert chat_events.ChatServer.__asynction_spec__ == chat_events.SPEC
    from asynction.spec import load_spec

    assert load_spec(CHAT.spec) == chat_events.SPEC
    app = flask.Flask(__name__)
    server = RecordingChat.create(app, async_mode="threading", server_name="local")
    assert server.spec is chat_events.SPEC
    # The docs page is served from the embedded spec, as from_spec serves it from the file; there
    # is no document as written to serve or link to.
    http = app.test_client()
    page = http.get("/docs")
    assert page.status_code == 200
    assert "join room" in page.get_data(as_text=True)
    assert "asyncapi.json" not in page.get_data(as_text=True)
    assert http.get("/docs/asyncapi.json").status_code == 404
    assert not any(rule.rule.endswith("asyncapi.json") for rule in app.url_map.iter_rules())
    # docs=False: no docs routes at all.
    other = flask.Flask(__name__)
    RecordingChat.create(other, async_mode="threading", docs=False)
    assert other.test_client().get("/docs").status_code == 404


def test_emitting_an_event_the_class_does_not_declare_is_refused() -> None:
    _app, server = _chat()
    with pytest.raises(ValidationException, match="not an outgoing event"):
        server._emit_typed("/chat", "nope", (), callback=None)


def test_non_object_payloads_reach_handlers_as_root_models(edge_module: ModuleType) -> None:
    app, server, calls = Edge.make(edge_module)
    client = server.test_client(app)
    client.emit("outline", ["a", ["b"]])
    client.emit("formula", "x")
    assert client.emit("shape", {"radius": 1.5}, callback=True) == "someone@example.com"
    by_kind = {call[0]: call[1] for call in calls if call[0] != "connect"}
    assert isinstance(by_kind["outline"], edge_module.Outline)
    assert by_kind["outline"].root == ["a", ["b"]]
    assert isinstance(by_kind["formula"], edge_module.Formula)
    assert by_kind["formula"].root == "x"
    assert isinstance(by_kind["shape"], edge_module.Shape)
    assert isinstance(by_kind["shape"].root, edge_module.Circle)
    assert by_kind["shape"].root.radius == 1.5
    # Refused before the handler runs; the error hook says where.
    assert client.emit("shape", {"radius": 0}, callback=True) == {"error": "$"}
    assert sum(1 for call in calls if call[0] == "shape") == 1
