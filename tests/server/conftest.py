"""Fixtures for the dynamic-server tests: free ports, live threaded servers, python-socketio
clients over real websockets on 127.0.0.1, and Redis availability."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask
import pytest
import socketio

from asynction.server import AsynctionSocketIO
from tests.fixtures.server import handlers
from tests.live import LiveServer, serve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "server"
CHAT_SPEC = FIXTURES / "chat.yaml"
REDIS_URL = os.environ.get("ASYNCTION_TEST_REDIS_URL", "redis://127.0.0.1:6379")
CONNECT_TIMEOUT = 5.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


def chat_app(**kwargs: Any) -> tuple[flask.Flask, AsynctionSocketIO]:
    """A Flask app serving chat.yaml in threading mode."""
    app = flask.Flask(__name__)
    kwargs.setdefault("async_mode", "threading")
    sio = AsynctionSocketIO.from_spec(CHAT_SPEC, app=app, **kwargs)
    return app, sio


@pytest.fixture(scope="module")
def live_chat() -> Iterator[tuple[LiveServer, AsynctionSocketIO]]:
    """chat.yaml served over real websockets, shared by a test module."""
    app, sio = chat_app()
    with serve(app) as live:
        yield live, sio


@pytest.fixture(autouse=True)
def _clear_record() -> None:
    handlers.clear()


class Clients:
    """Makes python-socketio clients (websocket transport only) and disconnects them all at the
    end of the test."""

    def __init__(self) -> None:
        self._clients: list[socketio.Client] = []

    def new(self) -> socketio.Client:
        client = socketio.Client(reconnection=False)
        self._clients.append(client)
        return client

    def connect(
        self,
        url: str,
        namespace: str = "/",
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        auth: Any = None,
        socketio_path: str = "socket.io",
        client: socketio.Client | None = None,
    ) -> socketio.Client:
        """A connected client (raises ``socketio.exceptions.ConnectionError`` when refused)."""
        client = client or self.new()
        client.connect(
            url + (f"?{query}" if query else ""),
            headers=headers or {},
            auth=auth,
            transports=["websocket"],
            namespaces=[namespace],
            socketio_path=socketio_path,
            wait_timeout=CONNECT_TIMEOUT,
        )
        return client

    def refused(
        self, url: str, namespace: str = "/", **kwargs: Any
    ) -> tuple[Any, socketio.exceptions.ConnectionError]:
        """Connect expecting a CONNECT_ERROR: (its data, the client's exception)."""
        client = self.new()
        errors: list[Any] = []
        client.on("connect_error", errors.append, namespace=namespace)
        with pytest.raises(socketio.exceptions.ConnectionError) as raised:
            self.connect(url, namespace, client=client, **kwargs)
        assert errors, f"no CONNECT_ERROR received: {raised.value}"
        return errors[0], raised.value

    def close(self) -> None:
        for client in self._clients:
            try:
                client.disconnect()
            except Exception:  # a refused client may be half-connected
                logging.getLogger(__name__).debug("disconnect failed", exc_info=True)


@pytest.fixture
def clients() -> Iterator[Clients]:
    made = Clients()
    yield made
    made.close()


@pytest.fixture
def receiver() -> Callable[[socketio.Client, str, str], list[Any]]:
    """Collect what a client receives for one event: returns the (live) list of argument tuples."""

    def attach(client: socketio.Client, event: str, namespace: str = "/") -> list[Any]:
        received: list[Any] = []
        client.on(event, lambda *args: received.append(args), namespace=namespace)
        return received

    return attach


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` (every 10 ms, at most ``timeout`` seconds)."""
    event = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return True
        event.wait(0.01)
    return predicate()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of a Redis reachable on 127.0.0.1; skips (fails with ASYNCTION_REQUIRE_REDIS=1)
    when there is none."""
    try:
        import redis
    except ImportError:
        reason = "redis-py is not installed"
    else:
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
            return REDIS_URL
        except redis.exceptions.RedisError as error:
            reason = f"Redis is not reachable at {REDIS_URL}: {error}"
    if os.environ.get("ASYNCTION_REQUIRE_REDIS") == "1":
        pytest.fail(f"ASYNCTION_REQUIRE_REDIS=1 but {reason}")
    pytest.skip(reason)
