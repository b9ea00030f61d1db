"""Serving with werkzeug (Flask-SocketIO's ``threading`` async mode).

werkzeug keeps a connection open after a websocket ends and reads the client's websocket close
frame as the next HTTP request, so the client waits seconds for a close reply that never comes:
every disconnect hangs. :class:`WebSocketClosingHandler` closes the connection once a websocket
ends. :meth:`asynction.AsynctionSocketIO.run` installs it by default.
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler

__all__ = ["WebSocketClosingHandler"]


class WebSocketClosingHandler(WSGIRequestHandler):
    """werkzeug's request handler, closing the TCP connection once a websocket ends."""

    def run_wsgi(self) -> None:
        """Handle the request; after a websocket, close the connection instead of reading on."""
        try:
            super().run_wsgi()
        finally:
            if self.headers.get("Upgrade", "").lower() == "websocket":
                self.close_connection = True
