"""Plain handlers named by the chat spec's ``x-handler`` and ``x-handlers``.

``chat_app.py`` overrides every event in its typed subclass, so these are used only when a server is
built dynamically, ``AsynctionSocketIO.from_spec("asyncapi.yaml", app=app)``, or for the events a
typed subclass leaves alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any


def connect(auth: Any = None) -> None:
    """Accept every client whose query string passed the bindings."""


def disconnect(reason: str = "") -> None:
    """Nothing to clean up."""


def join_room(payload: dict[str, Any]) -> dict[str, Any]:
    """Ack with the room and its (unknown) members."""
    return {"room": payload["room"], "members": []}


def send_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Ack with a fresh message id."""
    return {"id": str(uuid.uuid4()), "sentAt": _now()}


def typing(payload: dict[str, Any]) -> None:
    """Nothing to ack."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
