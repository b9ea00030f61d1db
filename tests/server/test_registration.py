"""from_spec and init_app: handler imports, server_name and path, docs routes, several servers on
one app."""

from __future__ import annotations

import copy
from typing import Any

import flask
import pytest
import yaml

from asynction.exceptions import HandlerImportError, SpecError, ValidationException
from asynction.server import AsynctionSocketIO
from tests.fixtures.server import handlers
from tests.server.conftest import CHAT_SPEC, FIXTURES, Clients, serve

CHAT = yaml.safe_load(CHAT_SPEC.read_text())
H = "tests.fixtures.server.handlers"


def chat_document(**channels: Any) -> dict[str, Any]:
    document = copy.deepcopy(CHAT)
    document["channels"].update(channels)
    return document


def spec_with_handler(path: str, *, where: str = "event") -> dict[str, Any]:
    channel: dict[str, Any] = {
        "publish": {"message": {"name": "go", "payload": {"type": "string"}}},
    }
    if where == "event":
        channel["publish"]["message"]["x-handler"] = path
    else:
        channel["x-handlers"] = {where: path}
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "t", "version": "1"},
        "channels": {"/broken": channel},
    }


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        pytest.param("tests.fixtures.server.no_such_module.go", "no module named", id="module"),
        pytest.param(f"{H}.no_such_function", "has no attribute 'no_such_function'", id="attr"),
        pytest.param(f"{H}:no_such_function", "has no attribute 'no_such_function'", id="colon"),
        pytest.param(
            "tests.fixtures.server.raising_module.go", "this module fails on import", id="raises"
        ),
        pytest.param(f"{H}.NOT_CALLABLE", "is not callable", id="not-callable"),
        pytest.param("nothing", "is not a dotted path", id="single-word"),
    ],
)
def test_handler_import_errors_name_path_reason_and_location(path: str, reason: str) -> None:
    with pytest.raises(HandlerImportError) as raised:
        AsynctionSocketIO.from_spec(spec_with_handler(path), app=flask.Flask(__name__))
    text = str(raised.value)
    assert path in text
    assert reason.lower() in text.lower()
    [(location, _)] = raised.value.problems
    assert str(location) == "<mapping>#/channels/~1broken/publish/message"


@pytest.mark.parametrize("kind", ["connect", "disconnect", "error"])
def test_namespace_handler_import_errors(kind: str) -> None:
    with pytest.raises(HandlerImportError) as raised:
        AsynctionSocketIO.from_spec(
            spec_with_handler(f"{H}.missing_{kind}", where=kind), app=flask.Flask(__name__)
        )
    assert f"{kind} handler of namespace '/broken'" in str(raised.value)
    assert f"#/channels/~1broken/x-handlers/{kind}" in str(raised.value)


def test_every_import_problem_is_reported_at_once() -> None:
    document = spec_with_handler(f"{H}.missing_one")
    document["channels"]["/broken"]["x-handlers"] = {"error": f"{H}.missing_two"}
    with pytest.raises(HandlerImportError) as raised:
        AsynctionSocketIO.from_spec(document, app=flask.Flask(__name__))
    assert len(raised.value.problems) == 2


def test_a_spec_file_location_names_the_file() -> None:
    with pytest.raises(HandlerImportError) as raised:
        AsynctionSocketIO.from_spec(FIXTURES / "broken.yaml", app=flask.Flask(__name__))
    assert "broken.yaml#/channels/~1/publish/message" in str(raised.value)


def test_nothing_is_imported_without_an_app_until_init_app() -> None:
    sio = AsynctionSocketIO.from_spec(spec_with_handler(f"{H}.missing"))
    app = flask.Flask(__name__)
    with pytest.raises(HandlerImportError):
        sio.init_app(app)
    assert "socketio" not in app.extensions  # the app was left untouched


def test_init_app_pattern() -> None:
    sio = AsynctionSocketIO.from_spec(CHAT_SPEC, async_mode="threading")
    app = flask.Flask(__name__)
    sio.init_app(app)
    client = sio.test_client(app)
    assert client.emit("echo", {"text": "late"}, callback=True) == {"text": "late"}
    assert app.test_client().get("/docs/asyncapi.json").status_code == 200


def test_handler_dotted_path_with_colon() -> None:
    document = chat_document()
    document["components"]["messages"]["Echo"]["x-handler"] = f"{H}:echo"
    app = flask.Flask(__name__)
    sio = AsynctionSocketIO.from_spec(document, app=app, async_mode="threading")
    assert sio.test_client(app).emit("echo", {"text": "c"}, callback=True) == {"text": "c"}


# -- server_name and path ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server_name", "kwargs", "path"),
    [
        pytest.param("production", {}, "events/socket.io", id="url-with-scheme"),
        pytest.param("templated", {}, "ws/socket.io", id="server-variables"),
        pytest.param("bare", {}, "socket.io", id="no-path"),
        pytest.param(None, {}, "socket.io", id="no-server"),
        pytest.param("production", {"path": "/custom/io"}, "custom/io", id="path-wins"),
        pytest.param("production", {"resource": "res/io"}, "res/io", id="resource-wins"),
    ],
)
def test_server_name_sets_the_socketio_path(
    server_name: str | None, kwargs: dict[str, Any], path: str
) -> None:
    app = flask.Flask(__name__)
    sio = AsynctionSocketIO.from_spec(
        CHAT_SPEC, server_name=server_name, app=app, async_mode="threading", **kwargs
    )
    assert sio.sockio_mw.engineio_path == f"/{path}/"
    base = path.rpartition("/")[0]
    docs = f"/{base}/docs/asyncapi.json" if base else "/docs/asyncapi.json"
    response = app.test_client().get(docs)
    assert response.status_code == 200
    assert response.json == CHAT


def test_unknown_server_name_lists_the_known_ones() -> None:
    with pytest.raises(SpecError) as raised:
        AsynctionSocketIO.from_spec(CHAT_SPEC, server_name="staging")
    text = str(raised.value)
    assert "unknown server 'staging'" in text
    assert "'production', 'templated', 'bare'" in text
    assert "chat.yaml#/servers" in text


def test_server_path_over_real_websockets(clients: Clients) -> None:
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(
        CHAT_SPEC, server_name="production", app=app, async_mode="threading"
    )
    with serve(app) as live:
        client = clients.connect(live.url, socketio_path="events/socket.io")
        assert client.call("echo", {"text": "path"}, timeout=5) == {"text": "path"}


# -- docs ---------------------------------------------------------------------------------------


def test_docs_json_is_the_document_as_written() -> None:
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(CHAT_SPEC, app=app, async_mode="threading")
    response = app.test_client().get("/docs/asyncapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == CHAT
    assert app.test_client().get("/docs/asyncapi.json").data == response.data


def test_docs_off_removes_the_route() -> None:
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(CHAT_SPEC, app=app, docs=False, async_mode="threading")
    assert app.test_client().get("/docs/asyncapi.json").status_code == 404


# -- two servers on one app ---------------------------------------------------------------------


def test_two_servers_on_one_app() -> None:
    app = flask.Flask(__name__)
    first = AsynctionSocketIO.from_spec(
        CHAT_SPEC, app=app, path="one/socket.io", async_mode="threading"
    )
    second = AsynctionSocketIO.from_spec(
        FIXTURES / "guarded.yaml", app=app, path="two/socket.io", async_mode="threading"
    )
    assert app.extensions["socketio"] is second
    web = app.test_client()
    assert web.get("/one/docs/asyncapi.json").json["info"]["title"] == "Server test chat"
    assert web.get("/two/docs/asyncapi.json").json["info"]["title"] == "Server test guarded"

    client = first.test_client(app)
    # The handler's module-level emit goes through app.extensions["socketio"] (the second
    # server, whose spec has no namespace "/"): it must be validated and sent by the first.
    ack = client.emit("emit_back", {"kind": "echoed", "data": {"text": "one"}}, callback=True)
    assert ack == "sent"
    assert client.get_received() == [
        {"name": "echoed", "args": [{"text": "one"}], "namespace": "/"}
    ]
    ack = client.emit("emit_back", {"kind": "echoed", "data": {"text": 1}}, callback=True)
    assert ack["error"] == "PayloadValidationException"
    ack = client.emit("emit_back", {"kind": "send", "data": "one"}, callback=True)
    assert client.get_received() == [{"name": "message", "args": "one", "namespace": "/"}]
    # An explicit emit on the second server is still the second server's.
    with pytest.raises(ValidationException, match="namespace '/' is not declared"):
        second.emit("notice", "x")
    assert handlers.entries("emit_back") == [("emit_back", "echoed"), ("emit_back", "send")]


@pytest.mark.parametrize("name", ["connect", "disconnect"])
def test_incoming_events_with_reserved_names_are_refused(name: str) -> None:
    document = spec_with_handler(f"{H}.echo")
    document["channels"]["/broken"]["publish"]["message"]["name"] = name
    with pytest.raises(SpecError) as raised:
        AsynctionSocketIO.from_spec(document, app=flask.Flask(__name__))
    assert f"incoming event {name!r} of namespace '/broken' is reserved" in str(raised.value)
    assert f"x-handlers.{name}" in str(raised.value)
    assert not isinstance(raised.value, HandlerImportError)


def test_handlers_survive_a_second_init_app() -> None:
    # Flask-SocketIO makes a new Socket.IO server on every init_app (an external emitter's server
    # for a message queue is replaced the same way): the handlers must be registered on it too.
    sio = AsynctionSocketIO.from_spec(CHAT_SPEC, async_mode="threading")
    first, second = flask.Flask("first"), flask.Flask("second")
    sio.init_app(first)
    sio.init_app(second)
    client = sio.test_client(second)
    assert client.emit("echo", {"text": "again"}, callback=True) == {"text": "again"}
    assert client.emit("echo", {"text": 1}, callback=True)["error"] == "PayloadValidationException"
    assert sio.test_client(second, namespace="/admin").is_connected("/admin") is False


def test_json_packet_finds_binary_data_as_python_socketio_does() -> None:
    from socketio.packet import Packet

    from asynction.server import JsonPacket

    samples: list[Any] = [
        None,
        "text",
        1,
        b"raw",
        bytearray(b"raw"),
        [1, "a", None],
        [1, [2, [b"deep"]]],
        {"a": {"b": [{"c": b"x"}]}},
        {"a": {"b": [{"c": "x"}]}},
        (b"tuples are not entered",),
        [(b"nor inside lists",)],
        {b"keys": "are not values"},
        [True, 1.5, {"k": [None, False]}],
    ]
    for sample in samples:
        assert JsonPacket.data_is_binary(sample) == Packet.data_is_binary(sample), sample
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    assert JsonPacket.data_is_binary(deep) is False


def test_two_servers_on_one_app_with_a_subclass_overriding_emit() -> None:
    class Recording(AsynctionSocketIO):
        def emit(self, event: str, *args: Any, **kwargs: Any) -> None:
            handlers.record("recording_emit", event)
            return super().emit(event, *args, **kwargs)

    app = flask.Flask(__name__)
    first = AsynctionSocketIO.from_spec(
        CHAT_SPEC, app=app, path="one/socket.io", async_mode="threading"
    )
    Recording.from_spec(
        FIXTURES / "guarded.yaml", app=app, path="two/socket.io", async_mode="threading"
    )
    client = first.test_client(app)
    ack = client.emit("emit_back", {"kind": "echoed", "data": {"text": "one"}}, callback=True)
    assert ack == "sent"
    assert client.get_received() == [
        {"name": "echoed", "args": [{"text": "one"}], "namespace": "/"}
    ]
    assert handlers.entries("recording_emit") == [("recording_emit", "echoed")]
