"""Handlers of generated_examples/chat/asyncapi.yaml (and of tests/docs/specs/vault.yaml), for the
browser end-to-end tests. The spec names this module ``chat_handlers``: the tests put this folder on
``sys.path``.

State is per process and small: who is in which room, and who authenticated on which connection.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone
from typing import Any

import flask
from flask_socketio import emit
from flask_socketio import join_room as enter_room

_lock = threading.Lock()
_usernames: dict[str, str] = {}
"""Socket.IO session id → the username of its connection (from the ``username`` query)."""
_rooms: dict[str, list[str]] = {}
"""Room → the usernames in it, in the order they joined."""
_users: dict[str, Any] = {}
"""Session id → the user the vault's connect handler was given."""


def reset() -> None:
    """Forget everybody."""
    with _lock:
        _usernames.clear()
        _rooms.clear()
        _users.clear()


def _sid() -> str:
    return str(flask.request.sid)  # type: ignore[attr-defined]


def connect(auth: Any = None) -> None:
    """``bindings.ws.query`` has already required a ``username`` of 1–32 characters."""
    with _lock:
        _usernames[_sid()] = flask.request.args["username"]


def disconnect(*reason: Any) -> None:
    with _lock:
        name = _usernames.pop(_sid(), None)
        for members in _rooms.values():
            if name in members:
                members.remove(name)


def _username() -> str:
    with _lock:
        return _usernames.get(_sid(), "?")


def join_room(payload: dict[str, Any]) -> dict[str, Any]:
    """Join the room; the others in it are told (``user joined``); the ack lists the members."""
    room = payload["room"]
    username = _username()
    enter_room(room)
    with _lock:
        members = _rooms.setdefault(room, [])
        if username not in members:
            members.append(username)
        listed = list(members)
    emit("user joined", {"room": room, "username": username}, to=room)
    return {"room": room, "members": listed}


def send_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Broadcast the message to its room (``new message``); the ack is its receipt."""
    message = {
        "id": str(uuid.uuid4()),
        "room": payload["room"],
        "author": _username(),
        "text": payload["text"],
        "sentAt": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
    }
    if "replyTo" in payload:
        message["replyTo"] = payload["replyTo"]
    emit("new message", message, to=payload["room"])
    return {"id": message["id"], "sentAt": message["sentAt"]}


def typing(payload: dict[str, Any]) -> None:
    emit(
        "user typing",
        {"room": payload["room"], "username": _username()},
        to=payload["room"],
        include_self=False,
    )


def on_error(error: Exception) -> dict[str, Any]:
    """The default error handler: its return value is the ack the client gets."""
    return {
        "error": type(error).__name__,
        "path": getattr(error, "path", None),
        "rule": getattr(error, "rule", None),
    }


# -- vault.yaml: bearer tokens, presented through the Socket.IO ``auth`` payload ---------------

TOKENS: dict[str, dict[str, Any]] = {"open-sesame": {"sub": "ali-baba", "scopes": []}}


def bearer_info(token: str, required_scopes: Any, bearer_format: Any) -> dict[str, Any] | None:
    """x-bearerInfoFunc: known tokens pass."""
    return TOKENS.get(token)


def vault_connect(user: Any = None) -> None:
    with _lock:
        _users[_sid()] = user


def whoami(*args: Any) -> str:
    """The user this connection authenticated as."""
    with _lock:
        return str(_users.get(_sid()))
