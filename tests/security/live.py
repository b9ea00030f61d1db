"""A live server for the end-to-end security tests: werkzeug in a daemon thread on 127.0.0.1 (a
free port), python-socketio clients over real websockets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask
import socketio
import websocket

from tests import live

CONNECT_TIMEOUT = 5.0
CALL_TIMEOUT = 5.0


@contextmanager
def quick_websocket_close(timeout: float = 0.1) -> Iterator[None]:
    """Make websocket-client wait ``timeout`` seconds, not 3, for the server's close frame.

    Werkzeug's development server, once the Socket.IO session ends, never answers the client's
    close frame, so every disconnect (and every refused connection, which disconnects) would wait
    websocket-client's full 3 s close timeout. Only the closing handshake is shortened.
    """
    original = websocket.WebSocket.close

    def close(self: websocket.WebSocket, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", timeout)
        original(self, *args, **kwargs)

    websocket.WebSocket.close = close  # type: ignore[method-assign]
    try:
        yield
    finally:
        websocket.WebSocket.close = original  # type: ignore[method-assign]


@contextmanager
def serve(app: flask.Flask) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL."""
    with live.serve(app) as server:
        yield server.url


class Clients:
    """Connects python-socketio clients (websocket transport only) and disconnects them all."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._made: list[socketio.Client] = []

    def connect(
        self,
        namespace: str = "/",
        *,
        headers: dict[str, str] | None = None,
        auth: Any = None,
        query: str = "",
        client: socketio.Client | None = None,
    ) -> socketio.Client:
        """A client connected to ``namespace`` (raises ``socketio.exceptions.ConnectionError``)."""
        if client is None:
            client = socketio.Client(reconnection=False)
            self._made.append(client)
        client.connect(
            self.url + (f"?{query}" if query else ""),
            headers=headers or {},
            auth=auth,
            transports=["websocket"],
            namespaces=[namespace],
            wait_timeout=CONNECT_TIMEOUT,
        )
        return client

    def refused(self, namespace: str = "/", **kwargs: Any) -> Any:
        """Connect expecting a CONNECT_ERROR; returns the error's data (``{"message": …}``)."""
        client = socketio.Client(reconnection=False)
        self._made.append(client)
        errors: list[Any] = []
        client.on("connect_error", errors.append, namespace=namespace)
        try:
            self.connect(namespace, client=client, **kwargs)
        except socketio.exceptions.ConnectionError:
            pass
        else:
            raise AssertionError(f"connection to {namespace!r} was accepted")
        assert errors, "the client received no CONNECT_ERROR"
        return errors[0]

    def close(self) -> None:
        for client in self._made:
            try:
                client.disconnect()
            except Exception:  # a refused client may be half-connected
                logging.getLogger(__name__).debug("disconnect failed", exc_info=True)
