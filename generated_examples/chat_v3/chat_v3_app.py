"""The chat server again, on the module generated from the AsyncAPI 3.0 twin of the chat spec
(``chat_v3_events.py``, the same code as ``../chat/chat_events.py`` but for its header).

A smaller app than ``../chat/chat_app.py``: it echoes messages to their room and keeps no names.
Run it from this directory: ``python chat_v3_app.py`` (namespace ``/chat``, ``?username=...``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import flask
from chat_v3_events import (
    ChatQuery,
    ChatServer,
    JoinRoom,
    JoinRoomAck,
    NewMessage,
    SendMessage,
    SendMessageAck,
    Typing,
)
from flask_socketio import join_room

from asynction.types import SecurityInfo


class EchoChat(ChatServer):
    """Every message goes back to its room, signed with the sender's query-string name."""

    def on_chat_connect(
        self, *, auth: Any, query: ChatQuery, token_info: SecurityInfo | None
    ) -> bool | None:
        flask.session["username"] = query.username
        return None

    def on_chat_disconnect(self, reason: str, /) -> None:
        return None

    def on_chat_join_room(self, payload: JoinRoom, /) -> JoinRoomAck:
        join_room(payload.room)
        return JoinRoomAck(room=payload.room, members=[flask.session["username"]])

    def on_chat_send_message(self, payload: SendMessage, /) -> SendMessageAck:
        sent_at = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        message = NewMessage(
            id=uuid.uuid4(),
            room=payload.room,
            author=flask.session["username"],
            text=payload.text,
            sentAt=sent_at,
        )
        self.emit_chat_new_message(message, to=payload.room)
        return SendMessageAck(id=message.id, sentAt=sent_at)

    def on_chat_typing(self, payload: Typing, /) -> None:
        return None


def create_app(**kwargs: Any) -> tuple[flask.Flask, EchoChat]:
    """The Flask app and its chat server (``kwargs`` go to Flask-SocketIO)."""
    app = flask.Flask(__name__)
    app.secret_key = uuid.uuid4().hex  # Flask-SocketIO keeps a session per connection
    return app, EchoChat.create(app, **kwargs)


if __name__ == "__main__":
    app, socketio = create_app()
    socketio.run(app, host="127.0.0.1", port=5000)
