"""A browser Socket.IO client end to end: socket.io-client (from npm, served from 127.0.0.1) in
headless Chromium against asynction servers built from specs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import pytest

from asynction.server import AsynctionSocketIO
from tests.docs.conftest import CHAT_SPEC, SPECS, Session, serve

pytestmark = pytest.mark.timeout(90)

CLIENT_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>socket.io-client test page</title>
<script src="/test/socket.io.min.js"></script>
<script>
  // Promise helpers for the test: sockets are kept by name in window.sockets, what they receive in
  // window.received[name][event].
  window.sockets = {};
  window.received = {};
  window.open_socket = (name, namespace, options, events) => new Promise((resolve) => {
    const socket = io(namespace, Object.assign({reconnection: false, timeout: 5000}, options));
    window.sockets[name] = socket;
    window.received[name] = {};
    for (const event of events || []) {
      window.received[name][event] = [];
      socket.on(event, (...args) => window.received[name][event].push(args));
    }
    socket.on("connect", () => resolve({connected: true, transport: socket.io.engine.transport.name}));
    socket.on("connect_error", (error) => resolve({connected: false, message: error.message}));
  });
  window.call = (name, event, ...args) =>
    window.sockets[name].timeout(5000).emitWithAck(event, ...args);
</script>
</head><body><p>socket.io-client test page</p></body></html>
"""


def client_app(spec: Path, js: bytes, **kwargs: Any) -> flask.Flask:
    """An asynction server for ``spec``, plus the test page and the socket.io-client bundle."""
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(spec, app=app, async_mode="threading", **kwargs)

    @app.get("/test/client.html")
    def client_page() -> flask.Response:
        return flask.Response(CLIENT_PAGE, mimetype="text/html")

    @app.get("/test/socket.io.min.js")
    def client_js() -> flask.Response:
        return flask.Response(js, mimetype="text/javascript")

    return app


@pytest.fixture
def chat_url(chat_handlers_path: None, socketio_client_js: bytes) -> Iterator[str]:
    import chat_handlers

    app = client_app(CHAT_SPEC, socketio_client_js, default_error_handler=chat_handlers.on_error)
    with serve(app) as url:
        yield url


@pytest.fixture
def vault_url(chat_handlers_path: None, socketio_client_js: bytes) -> Iterator[str]:
    app = client_app(SPECS / "vault.yaml", socketio_client_js)
    with serve(app) as url:
        yield url


def test_chat_from_a_browser(session: Session, chat_url: str) -> None:
    page = session.page()
    page.goto(f"{chat_url}/test/client.html")
    assert page.evaluate("typeof io") == "function"
    listen = ["user joined", "new message"]

    # connect bindings: the query must carry a username
    alice = page.evaluate(
        f"open_socket('alice', '/chat', {{query: {{username: 'alice'}}}}, {listen})"
    )
    assert alice["connected"], alice
    refused = page.evaluate("open_socket('nobody', '/chat', {})")
    assert refused["connected"] is False
    assert "username" in refused["message"]

    # a valid event, and its ack
    ack = page.evaluate("call('alice', 'join room', {room: 'lobby'})")
    assert ack == {"room": "lobby", "members": ["alice"]}
    bob = page.evaluate(f"open_socket('bob', '/chat', {{query: {{username: 'bob'}}}}, {listen})")
    assert bob["connected"], bob
    ack = page.evaluate("call('bob', 'join room', {room: 'lobby'})")
    assert ack == {"room": "lobby", "members": ["alice", "bob"]}

    # a server emit that reaches the other client
    receipt = page.evaluate("call('bob', 'send message', {room: 'lobby', text: 'Hello!'})")
    assert set(receipt) == {"id", "sentAt"}
    page.wait_for_function("window.received.alice['new message'].length === 1")
    [[message]] = page.evaluate("window.received.alice['new message']")
    assert message["author"] == "bob"
    assert message["text"] == "Hello!"
    assert message["id"] == receipt["id"]
    joined = page.evaluate("window.received.alice['user joined']")
    assert [args[0]["username"] for args in joined] == ["alice", "bob"]

    # an invalid event: the error handler's return value is the ack
    ack = page.evaluate("call('alice', 'send message', {room: 'Lobby!', text: 'x'})")
    assert ack == {"error": "PayloadValidationException", "path": "$.room", "rule": "pattern"}
    ack = page.evaluate("call('alice', 'send message', {room: 'lobby'})")
    assert ack == {"error": "PayloadValidationException", "path": "$", "rule": "required"}
    # nobody was sent the invalid messages
    assert page.evaluate("window.received.bob['new message'].length") == 1

    assert page.evaluate("window.sockets.alice.connected") is True
    assert session.traffic.foreign() == []
    assert session.traffic.page_errors == []


def test_authenticating_through_the_auth_payload(session: Session, vault_url: str) -> None:
    page = session.page()
    page.goto(f"{vault_url}/test/client.html")
    refused = page.evaluate("open_socket('stranger', '/vault', {auth: {token: 'guess'}})")
    assert refused == {"connected": False, "message": "unauthorized"}
    missing = page.evaluate("open_socket('anonymous', '/vault', {})")
    assert missing["connected"] is False
    accepted = page.evaluate("open_socket('ali', '/vault', {auth: {token: 'open-sesame'}})")
    assert accepted["connected"], accepted
    assert page.evaluate("call('ali', 'whoami')") == "ali-baba"
    assert session.traffic.foreign() == []


def test_the_websocket_transport_is_used(session: Session, chat_url: str) -> None:
    page = session.page()
    page.goto(f"{chat_url}/test/client.html")
    opened = page.evaluate(
        "open_socket('ws', '/chat', {query: {username: 'w'}, transports: ['websocket']})"
    )
    assert opened == {"connected": True, "transport": "websocket"}
    assert page.evaluate("call('ws', 'join room', {room: 'r1'})") == {
        "room": "r1",
        "members": ["w"],
    }
    sockets = [url for url in session.traffic.urls if url.startswith("ws://")]
    assert sockets
    assert all(url.startswith("ws://127.0.0.1:") for url in sockets)
