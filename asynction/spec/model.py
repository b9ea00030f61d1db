"""The version-neutral model of an AsyncAPI document, as the rest of asynction sees it.

AsyncAPI 2.0–2.6 and 3.0 documents are both normalised into these frozen objects. Everything outside
:mod:`asynction.spec` reads only this model, never the raw document.

Schemas (payloads, acks, bindings) are stand-alone JSON Schema (draft 2020-12) mappings: every
``$ref`` of the document has been bundled into the schema's own ``$defs`` (recursive schemas stay
recursive through ``#/$defs/...``), and draft-07 tuple forms (``items: [...]``) are rewritten as
``prefixItems``. Treat them as read-only.

Equality ignores where things came from (file locations, the AsyncAPI version, the raw document),
so a 2.x document and a 3.0 document describing the same API compare equal.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asynction.exceptions import SpecLocation

JsonSchema = Mapping[str, Any]
"""A stand-alone JSON Schema (draft 2020-12) mapping."""

MAIN_NAMESPACE = "/"


class Direction(str, enum.Enum):
    """Which way an event travels, seen from the server."""

    INCOMING = "incoming"
    """Client → server (2.x ``publish``, 3.0 ``action: receive``)."""
    OUTGOING = "outgoing"
    """Server → client (2.x ``subscribe``, 3.0 ``action: send``)."""


@dataclass(frozen=True)
class Event:
    """One Socket.IO event of a namespace: a message that travels in one direction.

    The event name is the message's ``name``; else its ``messageId`` (2.4+); else the key it has
    under ``components.messages`` (or, in 3.0, under the channel's ``messages``); else the
    operation's ``operationId`` (3.0: its key). An anonymous message inside a 2.x ``oneOf`` is
    named after its operation and position: ``<operationId>#<index>`` (``<channel> <publish|subscribe>#<index>``
    without an operationId).
    """

    name: str
    direction: Direction
    payload: JsonSchema | None
    """Schema of the event's arguments (see design §2 for how arguments map onto it); ``None`` when
    the message declares no payload, in which case nothing is validated."""
    ack: JsonSchema | None = None
    """Schema of the acknowledgement's arguments (2.x ``x-ack.args``, 3.0 operation ``reply``)."""
    handler: str | None = None
    """Dotted path of the handler (``x-handler``), for incoming events."""
    message_key: str | None = None
    """The component key of the message, used to name generated models."""
    title: str | None = None
    summary: str | None = None
    description: str | None = None
    content_type: str | None = None
    operation_id: str | None = field(default=None, compare=False)
    """The operation's ``operationId`` (3.0: its key). Not compared: 2.x groups every message of a
    direction under one operation where 3.0 may use several."""
    examples: tuple[Any, ...] = ()
    """Example payloads (each the value of one argument list, or of the single argument)."""
    security: tuple[Mapping[str, tuple[str, ...]], ...] | None = None
    """Operation-level security requirements (OR of ANDs); ``None`` when the operation has none."""
    deprecated: bool = False
    location: SpecLocation = field(default=SpecLocation("<mapping>"), compare=False)
    """Where the message is defined."""


@dataclass(frozen=True)
class ConnectBindings:
    """The ``bindings.ws`` object of a channel: what the HTTP request that connects must look like."""

    method: str | None = None
    query: JsonSchema | None = None
    headers: JsonSchema | None = None
    location: SpecLocation = field(default=SpecLocation("<mapping>"), compare=False)


@dataclass(frozen=True)
class NamespaceHandlers:
    """Dotted paths of a namespace's ``x-handlers``."""

    connect: str | None = None
    disconnect: str | None = None
    error: str | None = None


SecurityRequirement = Mapping[str, tuple[str, ...]]
"""Scheme name → required scopes; every scheme of one requirement must pass."""


@dataclass(frozen=True)
class Namespace:
    """A Socket.IO namespace: a 2.x channel key, or a 3.0 channel's ``address`` (else its key)."""

    name: str
    incoming: tuple[Event, ...] = ()
    outgoing: tuple[Event, ...] = ()
    bindings: ConnectBindings | None = None
    security: tuple[SecurityRequirement, ...] | None = None
    """The channel's ``x-security``: ``None`` inherits the server's security, ``()`` is public."""
    handlers: NamespaceHandlers = field(default_factory=NamespaceHandlers)
    description: str | None = None
    location: SpecLocation = field(default=SpecLocation("<mapping>"), compare=False)

    def incoming_event(self, name: str) -> Event | None:
        """The incoming event called ``name``, if declared."""
        return _find(self.incoming, name)

    def outgoing_event(self, name: str) -> Event | None:
        """The outgoing event called ``name``, if declared."""
        return _find(self.outgoing, name)


def _find(events: tuple[Event, ...], name: str) -> Event | None:
    for event in events:
        if event.name == name:
            return event
    return None


@dataclass(frozen=True)
class SecurityScheme:
    """A security scheme of ``components.securitySchemes``, with its ``x-*`` extensions."""

    name: str
    type: str
    """As written: ``http``, ``httpApiKey``, ``apiKey``, ``oauth2``, ``openIdConnect``, ``userPassword``…"""
    scheme: str | None = None
    """For ``http``: ``basic`` or ``bearer`` (lower-cased)."""
    bearer_format: str | None = None
    location_in: str | None = None
    """For API keys: ``header``, ``query``, ``cookie`` (or ``user``/``password`` for 2.x ``apiKey``)."""
    parameter_name: str | None = None
    """For ``httpApiKey``: the header, query parameter or cookie name."""
    scopes: tuple[str, ...] = ()
    """Every scope any flow of an ``oauth2`` scheme declares (3.0 ``availableScopes``)."""
    description: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)
    """The scheme's ``x-`` fields (``x-bearerInfoFunc``, ``x-tokenInfoFunc`` …)."""
    location: SpecLocation = field(default=SpecLocation("<mapping>"), compare=False)


@dataclass(frozen=True)
class Server:
    """A server of the ``servers`` object."""

    name: str
    url: str
    """The URL with server variables substituted by their defaults, scheme included where given
    (2.x ``url``; 3.0 ``protocol://host/pathname``)."""
    protocol: str
    description: str | None = None
    security: tuple[SecurityRequirement, ...] = ()
    location: SpecLocation = field(default=SpecLocation("<mapping>"), compare=False)

    @property
    def path(self) -> str:
        """The URL's path without leading or trailing slashes (``events/socket.io``), or ``""``."""
        url = self.url
        if "://" in url:
            url = url.split("://", 1)[1]
        elif url.startswith("//"):
            url = url[2:]
        _, slash, rest = url.partition("/")
        path = rest if slash else ""
        return path.split("?", 1)[0].split("#", 1)[0].strip("/")


@dataclass(frozen=True)
class Api:
    """A whole AsyncAPI document, normalised."""

    title: str
    version: str
    description: str | None = None
    servers: tuple[Server, ...] = ()
    namespaces: tuple[Namespace, ...] = ()
    security_schemes: Mapping[str, SecurityScheme] = field(default_factory=dict)
    default_content_type: str | None = None
    asyncapi_version: str = field(default="", compare=False)
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The root document as written."""
    bundler: Callable[[], Mapping[str, Any]] | None = field(default=None, compare=False, repr=False)
    """Makes :meth:`standalone_document` (set by the loader; ``None`` for a hand-built model)."""
    source: str = field(default="<mapping>", compare=False)
    """The file the document was read from, or ``<mapping>``."""

    def standalone_document(self) -> Mapping[str, Any]:
        """The document as written, with ``$ref``s into other files bundled in so that it stands
        alone (what ``{base_path}/docs/asyncapi.json`` serves). Computed on first call."""
        if self.bundler is None:
            return self.document
        return self.bundler()

    def namespace(self, name: str) -> Namespace | None:
        """The namespace called ``name``, if declared."""
        for namespace in self.namespaces:
            if namespace.name == name:
                return namespace
        return None

    def server(self, name: str) -> Server | None:
        """The server called ``name``, if declared."""
        for server in self.servers:
            if server.name == name:
                return server
        return None
