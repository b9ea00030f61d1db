"""Security info functions and plain handlers named by the telemetry spec.

The info functions (``x-apiKeyInfoFunc``, ``x-bearerInfoFunc``) are used by every server built
from the spec, typed or not. The event handlers (``x-handler``) are used only by a server built
dynamically, ``AsynctionSocketIO.from_spec("asyncapi.yaml", app=app)``, or for the events a typed
subclass leaves alone: ``telemetry_app.py`` overrides them all.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from asynction.types import SecurityInfo

DEVICE_KEYS = {"key-thermo-1": "thermo-1", "key-hygro-2": "hygro-2"}
"""API key → device id. A real service would look keys up in a store."""
OPERATOR_TOKENS = {"token-alice": "alice"}
"""Bearer token → operator."""


def _owner(secrets: Mapping[str, str], presented: str) -> str | None:
    """Whom a presented secret belongs to, compared in constant time so that response times do
    not reveal how much of a secret an attacker has guessed."""
    owner = None
    for secret, name in secrets.items():
        if hmac.compare_digest(secret.encode(), presented.encode()):
            owner = name
    return owner


def device_key_info(api_key: str, required_scopes: Sequence[str]) -> SecurityInfo | None:
    """The device an API key belongs to, or ``None`` to refuse the connection."""
    device = _owner(DEVICE_KEYS, api_key)
    return None if device is None else {"sub": device, "scopes": []}


def operator_token_info(
    token: str, required_scopes: Sequence[str], bearer_format: str | None
) -> SecurityInfo | None:
    """The operator a bearer token belongs to, or ``None`` to refuse the connection."""
    operator = _owner(OPERATOR_TOKENS, token)
    return None if operator is None else {"sub": operator, "scopes": []}


def reading(sensor: str, value: float, unit: str, taken_at: str) -> tuple[bool, int]:
    """Accept the reading; nothing is stored."""
    return True, 0


def batch(*args: Any) -> dict[str, int]:
    """Accept the samples (one list argument, or one argument per sample); nothing is stored."""
    samples = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
    return {"stored": len(samples), "rejected": 0}


def heartbeat(*args: Any) -> None:
    """Nothing to do (a client may send ``null`` explicitly, or nothing)."""


def watch(payload: dict[str, Any]) -> dict[str, int]:
    """Ack with the number of devices watched."""
    return {"watching": len(payload["devices"])}
