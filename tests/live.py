"""A live Flask app on 127.0.0.1 for end-to-end tests: werkzeug, threaded, a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import flask
from werkzeug.serving import BaseWSGIServer, make_server

from asynction.serving import WebSocketClosingHandler


class QuietHandler(WebSocketClosingHandler):
    """asynction's werkzeug handler, without request logs."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class LiveServer:
    """A Flask app served by werkzeug in a daemon thread."""

    app: flask.Flask
    port: int
    wsgi: BaseWSGIServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serve(app: flask.Flask) -> Iterator[LiveServer]:
    """Serve ``app`` (websockets through simple-websocket) until the block ends."""
    wsgi = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    wsgi.daemon_threads = True
    thread = threading.Thread(target=wsgi.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield LiveServer(app, wsgi.server_port, wsgi)
    finally:
        wsgi.shutdown()
        wsgi.server_close()
        thread.join(timeout=5)
