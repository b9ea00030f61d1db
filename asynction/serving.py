"""Serving with werkzeug and simple-websocket (Flask-SocketIO's ``threading`` async mode), and
with gevent's pywsgi and simple-websocket (the ``gevent`` mode without gevent-websocket).

* werkzeug keeps a connection open after a websocket ends and reads the client's websocket close
  frame as the next HTTP request, so the client waits seconds for a close reply that never comes:
  every disconnect hangs. :class:`WebSocketClosingHandler` closes the connection once a websocket
  ends; :meth:`asynction.AsynctionSocketIO.run` installs it by default. gevent's pywsgi does the
  same (about one websocket disconnect in two waits 3 s): :func:`pywsgi_closing_handler` is its
  handler.
* python-engineio checks the size of a message only once it has all of it, and of a long-polling
  POST by closing the session: :class:`BoundedWebSocket` and :class:`PollingBodyLimit` refuse
  oversize input as it arrives. The server installs both, in either mode.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any

from werkzeug.serving import WSGIRequestHandler

__all__ = [
    "BoundedWebSocket",
    "PollingBodyLimit",
    "WebSocketClosingHandler",
    "bound_websocket_messages",
    "pywsgi_closing_handler",
]


class WebSocketClosingHandler(WSGIRequestHandler):
    """werkzeug's request handler, closing the TCP connection once a websocket ends."""

    def run_wsgi(self) -> None:
        """Handle the request; after a websocket, close the connection instead of reading on."""
        try:
            super().run_wsgi()
        finally:
            if self.headers.get("Upgrade", "").lower() == "websocket":
                self.close_connection = True


@cache
def pywsgi_closing_handler() -> type[Any]:
    """gevent's pywsgi request handler, closing the TCP connection once a websocket ends: the
    ``handler_class`` of a ``gevent.pywsgi.WSGIServer`` (or of :meth:`AsynctionSocketIO.run
    <asynction.AsynctionSocketIO.run>`) in the ``gevent`` mode without gevent-websocket.

    simple-websocket works on a duplicate of the connection's socket; once the websocket ends,
    pywsgi reads on the original and takes the client's last frames for the next HTTP request,
    while the client waits for a reply to its close frame (3 s for python-socketio's client).
    Built on first call: gevent is imported only by those who serve with it.
    """
    from gevent.pywsgi import WSGIHandler  # type: ignore[import-untyped]  # deployment extra

    class PywsgiClosingHandler(WSGIHandler):  # type: ignore[misc]
        """pywsgi's request handler, closing the connection once a websocket ends."""

        def handle_one_response(self) -> None:
            """Handle the request; after a websocket, close the connection instead of reading on."""
            try:
                super().handle_one_response()
            finally:
                if self.headers.get("Upgrade", "").lower() == "websocket":
                    self.close_connection = True

    return PywsgiClosingHandler


def bound_websocket_messages(server: Any) -> None:
    """Make the websockets of the ``threading`` and ``gevent`` modes refuse a message past
    ``max_http_buffer_size`` as it arrives (see :class:`BoundedWebSocket`).

    Both modes' drivers are python-engineio's ``SimpleWebSocketWSGI``: the ``threading`` one is
    that class, the ``gevent`` one a subclass handing gevent's thread, event and selector classes
    to simple-websocket, which the bounded websocket hands on. Other drivers (eventlet,
    gevent-websocket, asyncio) are left alone.
    """
    eio = getattr(server, "eio", None)
    drivers = getattr(eio, "_async", None)
    if not isinstance(drivers, dict):
        return
    websocket = drivers.get("websocket")
    if getattr(websocket, "__name__", None) == "SimpleWebSocketWSGI":
        bounded: Callable[..., Any] = BoundedWebSocket
    else:
        options = _simple_websocket_options(websocket, eio)
        if options is None:
            return  # another async mode, or a python-engineio this was not written against
        bounded = partial(BoundedWebSocket, **options)
    # The drivers dict is python-engineio's module-level one: give this server a copy.
    eio._async = {**drivers, "websocket": bounded}  # type: ignore[union-attr]


def _simple_websocket_options(websocket: Any, eio: Any) -> dict[str, Any] | None:
    """The ``simple_websocket.Server`` options of a ``SimpleWebSocketWSGI`` subclass (gevent's:
    its thread, event and selector classes), or ``None`` for any other driver."""
    if not isinstance(websocket, type) or not any(
        base.__name__ == "SimpleWebSocketWSGI" for base in websocket.__mro__[1:]
    ):
        return None
    # The subclass hands its options to SimpleWebSocketWSGI.__init__, which only stores them in
    # server_args: building one, without a handler, is the way to read them that does not copy
    # gevent's class names here (they would drift with python-engineio).
    try:
        options = websocket(None, eio).server_args
    except Exception:  # a python-engineio this was not written against: leave its driver be
        return None
    return dict(options) if isinstance(options, dict) else None


def _simple_websocket() -> Any:
    import simple_websocket  # type: ignore[import-untyped]  # python-engineio's dependency

    return simple_websocket


class BoundedWebSocket:
    """python-engineio's websocket for the ``threading`` and ``gevent`` modes
    (``SimpleWebSocketWSGI``), with the message size bounded while the message arrives.

    python-engineio checks a message's size only once simple-websocket has buffered all of it: a
    client can make the server hold any amount of memory (a 50 MB message costs ~100 MB, a few GB
    take the process down). simple-websocket can close the connection (1009, message too big) at
    the limit instead; but it stops without waking a ``receive`` that already waits, so ``wait``
    looks again every second instead of waiting for good. ``kwargs`` are further
    ``simple_websocket.Server`` options (the ``gevent`` mode's thread, event and selector classes).
    """

    def __init__(self, handler: Callable[[Any], Any], server: Any, **kwargs: Any) -> None:
        self.app = handler
        self.options = {"max_message_size": server.max_http_buffer_size, **kwargs}
        self.ws: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.ws = _simple_websocket().Server(environ, **self.options)
        result = self.app(self)
        if self.ws.mode == "gunicorn":
            raise StopIteration()
        if self.ws.mode == "werkzeug":
            raise ConnectionError()
        return result

    def close(self) -> None:
        """Close the websocket."""
        if self.ws.connected:
            self.ws.close()

    def send(self, message: Any) -> None:
        """Send a message (``OSError`` once the connection is closed, as python-engineio expects)."""
        try:
            self.ws.send(message)
        except _simple_websocket().ConnectionClosed:
            raise OSError() from None

    def wait(self) -> Any:
        """The next message, or ``None`` once the connection is closed."""
        closed = _simple_websocket().ConnectionClosed
        while True:
            try:
                message = self.ws.receive(timeout=1.0)
            except closed:
                return None
            if message is not None:
                return message
            if not self.ws.connected:
                return None


class PollingBodyLimit:
    """WSGI middleware refusing (413) a long-polling POST larger than ``max_http_buffer_size``
    before python-engineio reads it.

    python-engineio refuses it too, but by closing the session and waiting for the client's next
    poll to carry the close: a client that never polls again holds the request's thread forever.
    """

    def __init__(self, app: Callable[..., Any], socketio_path: str, limit: int) -> None:
        self.app = app
        self.prefix = f"/{socketio_path.strip('/')}/"
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") == "POST" and (
            f"{environ.get('PATH_INFO', '')}/".startswith(self.prefix)
        ):
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > self.limit:
                start_response(
                    "413 Content Too Large",
                    [("Content-Type", "text/plain"), ("Connection", "close")],
                )
                return [b"Content is too long"]
        return self.app(environ, start_response)
