"""Public types for code that plugs into asynction: what security info functions return and take."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypedDict

__all__ = [
    "ApiKeyInfoFunc",
    "BasicInfoFunc",
    "BearerInfoFunc",
    "ScopeValidateFunc",
    "SecurityInfo",
    "TokenInfoFunc",
]


class SecurityInfo(TypedDict, total=False):
    """Security handler function response type.

    One of ``scopes``, ``scope`` and one of ``sub``, ``uid`` must be present.

    Subclass this type to add extra fields to a security handler response.
    """

    scope: str
    """The granted scopes as one space-separated string (OAuth 2.0 token introspection style)."""
    scopes: Sequence[str]
    """The granted scopes as a sequence; takes precedence over ``scope``."""
    sub: Any
    """The authenticated subject; the connect handler's ``user=`` argument."""
    uid: Any
    """The user id; the connect handler's ``user=`` argument when there is no ``sub``."""


BasicInfoFunc = Callable[[str, str, Sequence[str]], SecurityInfo | None]
"""``x-basicInfoFunc(username, password, required_scopes)``: ``None`` refuses the connection."""

BearerInfoFunc = Callable[[str, Sequence[str], str | None], SecurityInfo | None]
"""``x-bearerInfoFunc(token, required_scopes, bearer_format)``: ``None`` refuses the connection."""

ApiKeyInfoFunc = Callable[[str, Sequence[str]], SecurityInfo | None]
"""``x-apiKeyInfoFunc(api_key, required_scopes)``: ``None`` refuses the connection."""

TokenInfoFunc = Callable[[str], SecurityInfo | None]
"""``x-tokenInfoFunc(token)`` of ``oauth2`` and ``openIdConnect`` schemes: ``None`` refuses."""

ScopeValidateFunc = Callable[[Sequence[str], Sequence[str]], bool]
"""``x-scopeValidateFunc(required_scopes, token_scopes)``: whether the token's scopes suffice."""
