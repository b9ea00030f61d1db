"""A chat server on the generated, typed ``ChatServer`` (``chat_events.py``).

Run it from this directory: ``python chat_app.py``, then connect a Socket.IO client to namespace
``/chat`` of ``http://127.0.0.1:5000`` with ``?username=...`` in the query string.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import flask
from chat_events import (
    ChatQuery,
    ChatServer,
    JoinRoom,
    JoinRoomAck,
    NewMessage,
    SendMessage,
    SendMessageAck,
    Typing,
    UserJoined,
    UserTyping,
)
from flask_socketio import join_room

from asynction.types import SecurityInfo


class Chat(ChatServer):
    """Rooms of named users: join, talk, see who is typing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.usernames: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        super().__init__(*args, **kwargs)

    def on_chat_connect(
        self, *, auth: Any, query: ChatQuery, token_info: SecurityInfo | None
    ) -> bool | None:
        self.usernames[_sid()] = query.username
        return None

    def on_chat_disconnect(self, reason: str, /) -> None:
        username = self.usernames.pop(_sid(), None)
        for members in self.members.values():
            members.discard(username or "")

    def on_chat_join_room(self, payload: JoinRoom, /) -> JoinRoomAck:
        username = self.usernames[_sid()]
        join_room(payload.room)
        members = self.members.setdefault(payload.room, set())
        members.add(username)
        self.emit_chat_user_joined(
            UserJoined(room=payload.room, username=username), to=payload.room
        )
        return JoinRoomAck(room=payload.room, members=sorted(members))

    def on_chat_send_message(self, payload: SendMessage, /) -> SendMessageAck:
        message = NewMessage(
            id=uuid.uuid4(),
            room=payload.room,
            author=self.usernames[_sid()],
            text=payload.text,
            sentAt=_now(),
        )
        if payload.replyTo is not None:
            message.replyTo = payload.replyTo
        self.emit_chat_new_message(message, to=payload.room)
        return SendMessageAck(id=message.id, sentAt=message.sentAt)

    def on_chat_typing(self, payload: Typing, /) -> None:
        typing = UserTyping(room=payload.room, username=self.usernames[_sid()])
        self.emit_chat_user_typing(typing, to=payload.room, skip_sid=_sid())


def _sid() -> str:
    sid: str = flask.request.sid  # type: ignore[attr-defined]
    return sid


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def create_app(**kwargs: Any) -> tuple[flask.Flask, Chat]:
    """The Flask app and its chat server (``kwargs`` go to Flask-SocketIO)."""
    app = flask.Flask(__name__)
    return app, Chat.create(app, **kwargs)


if __name__ == "__main__":
    app, socketio = create_app()
    socketio.run(app, host="127.0.0.1", port=5000)
