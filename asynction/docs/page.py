"""The HTML docs page of an AsyncAPI document: one self-contained, server-rendered document.

:func:`render_page` turns the spec model (:class:`~asynction.spec.model.Api`) into HTML with the
jinja2 templates of ``templates/docs/`` (autoescaping on). The page makes no request of its own: its
stylesheet and its small optional script are inline, allowed by a Content-Security-Policy of their
hashes, and everything else (fonts, images, scripts, connections) is forbidden by that policy. Spec
text is untrusted: it is escaped, and descriptions go through :mod:`asynction.docs.markdown`.

:func:`add_page_route` adds ``GET {base_path}/docs`` to the docs blueprint; the page is rendered on
the first request and kept.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal
from urllib.parse import urlsplit

import jinja2
from flask import Blueprint, Response, url_for
from markupsafe import Markup, escape

from asynction._templates import template_dir
from asynction.docs.examples import NoExample, generate_example
from asynction.docs.markdown import render_markdown
from asynction.docs.schema_view import SchemaTable, compact_json, schema_table
from asynction.spec.model import (
    Api,
    ConnectBindings,
    Direction,
    Event,
    JsonSchema,
    Namespace,
    SecurityRequirement,
    SecurityScheme,
    Server,
)
from asynction.validation import ArgumentShape, CompiledSchema, argument_shape

__all__ = [
    "PAGE_TEMPLATE",
    "PageView",
    "add_page_route",
    "build_page",
    "content_security_policy",
    "highlight_json",
    "render_page",
]

PAGE_TEMPLATE = "docs/page.html.j2"
STYLE_TEMPLATE = "docs/style.css"
SCRIPT_TEMPLATE = "docs/script.js"

MAX_JSON_CHARS = 40_000
"""Longer examples and schemas are cut (the page says so)."""


# -- view model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeUse:
    """One scheme of a security requirement, with the scopes it must grant."""

    name: str
    anchor: str | None
    """The id of the scheme's entry; ``None`` when the document does not declare the scheme."""
    scopes: tuple[str, ...] = ()


Requirement = tuple[SchemeUse, ...]
"""Schemes that must all pass; an empty requirement lets anybody in."""


@dataclass(frozen=True)
class NamespaceSecurity:
    """Who may connect to a namespace."""

    mode: Literal["explicit", "inherited", "public"]
    """``explicit``: the channel's ``x-security``; ``inherited``: the servers' security;
    ``public``: nobody is asked for credentials."""
    requirements: tuple[Requirement, ...] = ()
    servers: tuple[tuple[str, tuple[Requirement, ...]], ...] = ()
    """For ``inherited``: each server that declares security, with its requirements."""


@dataclass(frozen=True)
class ServerView:
    name: str
    url: str
    protocol: str
    socketio_path: str
    description: Markup
    security: tuple[Requirement, ...]


@dataclass(frozen=True)
class SchemeView:
    name: str
    anchor: str
    kind: str
    """A readable kind: ``HTTP bearer``, ``API key in header``…"""
    details: tuple[tuple[str, str], ...]
    credentials: tuple[tuple[str, str], ...]
    """Where a client puts the credential: (channel, what to send), first match wins."""
    scopes: tuple[str, ...]
    description: Markup


@dataclass(frozen=True)
class PayloadView:
    """A payload or ack schema, ready to show."""

    shape: str
    positional: bool
    """The schema is a tuple of positional Socket.IO arguments."""
    table: SchemaTable
    example: Markup | None
    example_source: Literal["spec", "generated", "none"]
    example_invalid: bool
    schema_json: str
    """The schema as indented JSON (escaped by the template)."""


@dataclass(frozen=True)
class EventView:
    name: str
    anchor: str
    direction: Direction
    title: str | None
    summary: str | None
    description: Markup
    content_type: str | None
    deprecated: bool
    message_key: str | None
    operation_id: str | None
    security: tuple[Requirement, ...] | None
    payload: PayloadView | None
    ack: PayloadView | None


@dataclass(frozen=True)
class BindingsView:
    method: str | None
    query: PayloadView | None
    headers: PayloadView | None


@dataclass(frozen=True)
class NamespaceView:
    name: str
    anchor: str
    description: Markup
    security: NamespaceSecurity
    bindings: BindingsView | None
    connect_snippet: str
    incoming: tuple[EventView, ...]
    outgoing: tuple[EventView, ...]


@dataclass(frozen=True)
class PageView:
    """Everything the page template shows, worked out from the model."""

    title: str
    version: str
    asyncapi_version: str
    description: Markup
    default_content_type: str | None
    json_url: str | None
    servers: tuple[ServerView, ...]
    schemes: tuple[SchemeView, ...]
    namespaces: tuple[NamespaceView, ...]
    event_count: int = 0
    warnings: tuple[str, ...] = field(default=())


# -- rendering --------------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["markdown"] = render_markdown
    return environment


@dataclass(frozen=True)
class _Assets:
    style: Markup
    script: Markup
    policy: str


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@cache
def _assets() -> _Assets:
    environment = _environment()
    style = environment.get_template(STYLE_TEMPLATE).render()
    script = environment.get_template(SCRIPT_TEMPLATE).render()
    for text, tag in ((style, "</style"), (script, "</script")):
        if tag in text.lower():
            raise ValueError(f"the docs page's inline {tag[2:]} must not contain {tag!r}")
    return _Assets(
        style=Markup(style),  # our own stylesheet, not spec text
        script=Markup(script),  # our own script, not spec text
        policy=content_security_policy(style, script),
    )


def content_security_policy(style: str, script: str) -> str:
    """The page's Content-Security-Policy: only its own inline style and script (by hash); no
    fetch, font, image, frame or connection of any kind."""
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src {_hash(style)}",
            f"script-src {_hash(script)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def render_page(api: Api, *, json_url: str | None = None) -> str:
    """The docs page of ``api`` as one self-contained HTML document.

    :param json_url: where the page links to the AsyncAPI document (``…/docs/asyncapi.json``);
        ``None`` for a stand-alone file without the link.
    """
    view = build_page(api, json_url=json_url)
    assets = _assets()
    template = _environment().get_template(PAGE_TEMPLATE)
    return template.render(
        page=view,
        style=assets.style,
        script=assets.script,
        policy=assets.policy,
        Direction=Direction,
    )


def add_page_route(
    blueprint: Blueprint, api: Api, *, json_endpoint: str | None = "asyncapi_json"
) -> None:
    """Add ``GET …/docs`` (the HTML page) to the docs ``blueprint``.

    The page is rendered on first request and kept (one copy per URL of the JSON document, which
    depends only on the app's script root). ``json_endpoint``: the blueprint's endpoint serving
    the document, ``None`` when there is none to link to.
    """
    pages: dict[str, bytes] = {}
    lock = threading.Lock()

    def docs_page() -> Response:
        json_url = None if json_endpoint is None else url_for(f"{blueprint.name}.{json_endpoint}")
        key = json_url or ""
        body = pages.get(key)
        if body is None:
            with lock:
                body = pages.get(key)
                if body is None:
                    body = render_page(api, json_url=json_url).encode("utf-8")
                    pages[key] = body
        headers = {
            "Content-Security-Policy": _assets().policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        return Response(body, mimetype="text/html", headers=headers)

    blueprint.add_url_rule("", "docs_page", docs_page, methods=["GET"], strict_slashes=False)


# -- building the view ----------------------------------------------------------------------


class _Anchors:
    """Element ids, unique within the page and readable."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, *parts: str) -> str:
        base = "-".join(_slug(part) for part in parts if part is not None) or "x"
        anchor, counter = base, 2
        while anchor in self.taken:
            anchor, counter = f"{base}-{counter}", counter + 1
        self.taken.add(anchor)
        return anchor


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40].rstrip("-") or "root"


def build_page(api: Api, *, json_url: str | None = None) -> PageView:
    """The view of ``api`` that the page template shows."""
    anchors = _Anchors()
    for reserved in ("overview", "servers", "security", "namespaces"):
        anchors.taken.add(reserved)
    schemes = tuple(
        _scheme_view(scheme, anchors.make("scheme", name))
        for name, scheme in api.security_schemes.items()
    )
    scheme_anchors = {view.name: view.anchor for view in schemes}
    namespaces = tuple(
        _namespace_view(api, namespace, anchors, scheme_anchors) for namespace in api.namespaces
    )
    return PageView(
        title=api.title,
        version=api.version,
        asyncapi_version=api.asyncapi_version,
        description=render_markdown(api.description),
        default_content_type=api.default_content_type,
        json_url=json_url,
        servers=tuple(_server_view(server, scheme_anchors) for server in api.servers),
        schemes=schemes,
        namespaces=namespaces,
        event_count=sum(len(view.incoming) + len(view.outgoing) for view in namespaces),
    )


def _requirements(
    requirements: Iterable[SecurityRequirement], scheme_anchors: Mapping[str, str]
) -> tuple[Requirement, ...]:
    return tuple(
        tuple(
            SchemeUse(name, scheme_anchors.get(name), tuple(scopes))
            for name, scopes in requirement.items()
        )
        for requirement in requirements
    )


def _server_view(server: Server, scheme_anchors: Mapping[str, str]) -> ServerView:
    return ServerView(
        name=server.name,
        url=server.url,
        protocol=server.protocol,
        socketio_path="/" + (server.path or "socket.io"),
        description=render_markdown(server.description),
        security=_requirements(server.security, scheme_anchors),
    )


_SCHEME_KINDS = {
    "userPassword": "User and password",
    "apiKey": "API key",
    "X509": "X.509 certificate",
    "symmetricEncryption": "Symmetric encryption",
    "asymmetricEncryption": "Asymmetric encryption",
    "oauth2": "OAuth 2",
    "openIdConnect": "OpenID Connect",
    "plain": "SASL plain",
    "scramSha256": "SASL SCRAM-SHA-256",
    "scramSha512": "SASL SCRAM-SHA-512",
    "gssapi": "SASL GSSAPI",
}


def _scheme_view(scheme: SecurityScheme, anchor: str) -> SchemeView:
    details: list[tuple[str, str]] = []
    credentials: list[tuple[str, str]] = []
    kind = _SCHEME_KINDS.get(scheme.type, scheme.type)
    if scheme.type == "http":
        kind = f"HTTP {scheme.scheme or ''}".strip()
        if scheme.bearer_format:
            details.append(("bearer format", scheme.bearer_format))
        if scheme.scheme == "basic":
            credentials.append(("header", "Authorization: Basic <base64 user:password>"))
            credentials.append(("auth payload", '{"username": "…", "password": "…"}'))
        elif scheme.scheme == "bearer":
            credentials.append(("header", "Authorization: Bearer <token>"))
            credentials.append(("auth payload", '{"token": "…"}'))
    elif scheme.type == "userPassword":
        credentials.append(("header", "Authorization: Basic <base64 user:password>"))
        credentials.append(("auth payload", '{"username": "…", "password": "…"}'))
    elif scheme.type == "httpApiKey":
        where = scheme.location_in or "header"
        kind = f"API key in {where}"
        name = scheme.parameter_name or "?"
        details.append((where, name))
        channel = {"header": "header", "query": "query parameter", "cookie": "cookie"}
        credentials.append((channel.get(where, where), f"{name}: <key>"))
        credentials.append(("auth payload", json.dumps({name: "…"}, ensure_ascii=False)))
    elif scheme.type == "apiKey":
        where = scheme.location_in or "user"
        kind = f"API key as the {where}"
        key = "username" if where == "user" else "password"
        credentials.append(("header", f"Authorization: Basic (the key as the {where})"))
        credentials.append(("auth payload", json.dumps({key: "…"})))
    elif scheme.type in ("oauth2", "openIdConnect"):
        credentials.append(("header", "Authorization: Bearer <token>"))
        credentials.append(("auth payload", '{"token": "…"}'))
    return SchemeView(
        name=scheme.name,
        anchor=anchor,
        kind=kind,
        details=tuple(details),
        credentials=tuple(credentials),
        scopes=scheme.scopes,
        description=render_markdown(scheme.description),
    )


def _namespace_security(
    api: Api, namespace: Namespace, scheme_anchors: Mapping[str, str]
) -> NamespaceSecurity:
    if namespace.security is not None:
        requirements = _requirements(namespace.security, scheme_anchors)
        if not requirements or any(not requirement for requirement in requirements):
            return NamespaceSecurity("public", requirements)
        return NamespaceSecurity("explicit", requirements)
    servers = tuple(
        (server.name, _requirements(server.security, scheme_anchors))
        for server in api.servers
        if server.security
    )
    if not servers:
        return NamespaceSecurity("public")
    return NamespaceSecurity("inherited", servers=servers)


def _namespace_view(
    api: Api, namespace: Namespace, anchors: _Anchors, scheme_anchors: Mapping[str, str]
) -> NamespaceView:
    anchor = anchors.make("ns", namespace.name)
    security = _namespace_security(api, namespace, scheme_anchors)
    bindings = _bindings_view(namespace.bindings, anchor) if namespace.bindings else None
    return NamespaceView(
        name=namespace.name,
        anchor=anchor,
        description=render_markdown(namespace.description),
        security=security,
        bindings=bindings,
        connect_snippet=_connect_snippet(api, namespace, security),
        incoming=tuple(
            _event_view(event, anchors.make(anchor, "in", event.name), scheme_anchors)
            for event in namespace.incoming
        ),
        outgoing=tuple(
            _event_view(event, anchors.make(anchor, "out", event.name), scheme_anchors)
            for event in namespace.outgoing
        ),
    )


def _bindings_view(bindings: ConnectBindings, anchor: str) -> BindingsView:
    return BindingsView(
        method=bindings.method,
        query=_schema_view(bindings.query, f"{anchor}-query", arguments=False)
        if bindings.query is not None
        else None,
        headers=_schema_view(bindings.headers, f"{anchor}-headers", arguments=False)
        if bindings.headers is not None
        else None,
    )


def _event_view(event: Event, anchor: str, scheme_anchors: Mapping[str, str]) -> EventView:
    return EventView(
        name=event.name,
        anchor=anchor,
        direction=event.direction,
        title=event.title,
        summary=event.summary,
        description=render_markdown(event.description),
        content_type=event.content_type,
        deprecated=event.deprecated,
        message_key=event.message_key,
        operation_id=event.operation_id,
        security=_requirements(event.security, scheme_anchors)
        if event.security is not None
        else None,
        payload=_schema_view(event.payload, f"{anchor}-payload", examples=event.examples)
        if event.payload is not None
        else None,
        ack=_schema_view(event.ack, f"{anchor}-ack") if event.ack is not None else None,
    )


_SHAPES = {
    ArgumentShape.SINGLE: "One argument.",
    ArgumentShape.TUPLE: "Positional arguments, in this order.",
    ArgumentShape.LIST: "A list: sent as one list argument, or as its items, one per argument.",
}


def _schema_view(
    schema: JsonSchema,
    anchor: str,
    *,
    examples: Sequence[Any] = (),
    arguments: bool = True,
) -> PayloadView:
    shape = argument_shape(schema)
    positional = arguments and shape is ArgumentShape.TUPLE
    table = schema_table(schema, anchor_prefix=anchor, positional=positional)
    source: Literal["spec", "generated", "none"] = "none"
    invalid = False
    example: Any = None
    if examples:
        source, example = "spec", examples[0]
        invalid = not _valid(schema, example)
    else:
        with contextlib.suppress(NoExample):
            example, source = generate_example(schema), "generated"
    return PayloadView(
        shape=_SHAPES.get(shape, "") if arguments else "",
        positional=positional,
        table=table,
        example=highlight_json(example) if source != "none" else None,
        example_source=source,
        example_invalid=invalid,
        schema_json=plain_json(schema),
    )


def _valid(schema: JsonSchema, value: Any) -> bool:
    try:
        return CompiledSchema(schema).is_valid(value)
    except Exception:  # a schema jsonschema_rs cannot compile: the example is not judged
        return True


def _connect_snippet(api: Api, namespace: Namespace, security: NamespaceSecurity) -> str:
    """A socket.io-client call that connects to the namespace, with its query and credentials."""
    origin = ""
    path = "/socket.io"
    if api.servers:
        server = api.servers[0]
        parts = urlsplit(server.url if "://" in server.url else f"//{server.url}")
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        if parts.netloc:
            origin = f"{scheme or 'http'}://{parts.netloc}"
        path = "/" + (server.path or "socket.io")
    target = origin + (namespace.name if namespace.name != "/" else ("" if origin else "/"))
    options: list[str] = []
    if path != "/socket.io":
        options.append(f"path: {json.dumps(path)}")
    if namespace.bindings is not None and namespace.bindings.query is not None:
        try:
            query = generate_example(namespace.bindings.query)
        except NoExample:
            query = {}
        if isinstance(query, Mapping) and query:
            options.append(f"query: {compact_json(query, 400)}")
    requirement: Requirement = ()
    if security.mode == "explicit":
        requirement = security.requirements[0]
    elif security.mode == "inherited":
        requirement = security.servers[0][1][0] if security.servers[0][1] else ()
    auth = _auth_example(api, requirement)
    if auth:
        options.append(f"auth: {compact_json(auth, 400)}")
    arguments = json.dumps(target, ensure_ascii=False)
    if options:
        arguments += ", {\n  " + ",\n  ".join(options) + ",\n}"
    return f"const socket = io({arguments});"


def _auth_example(api: Api, requirement: Requirement) -> dict[str, str]:
    auth: dict[str, str] = {}
    for use in requirement:
        scheme = api.security_schemes.get(use.name)
        if scheme is None:
            continue
        if scheme.type == "httpApiKey" and scheme.parameter_name:
            auth[scheme.parameter_name] = "…"
        elif scheme.type == "apiKey":
            auth["username" if scheme.location_in != "password" else "password"] = "…"
        elif scheme.type in ("userPassword",) or scheme.scheme == "basic":
            auth.update({"username": "…", "password": "…"})
        elif scheme.type in ("oauth2", "openIdConnect") or scheme.scheme == "bearer":
            auth["token"] = "…"
    return auth


# -- JSON ---------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(
    r'(?P<key>"(?:\\.|[^"\\])*")(?=\s*:)'
    r'|(?P<string>"(?:\\.|[^"\\])*")'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>true|false|null)"
    r"|(?P<other>[^\"\-\dtfn]+|.)",
    re.DOTALL,
)


def plain_json(value: Any, limit: int = MAX_JSON_CHARS) -> str:
    """``value`` as indented JSON, cut at ``limit`` characters."""
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = json.dumps(repr(value))
    return text if len(text) <= limit else text[:limit] + "\n… (cut)"


def highlight_json(value: Any, limit: int = MAX_JSON_CHARS) -> Markup:
    """``value`` as indented JSON, escaped, its keys, strings, numbers and literals in classed
    ``<span>``s for colouring; cut at ``limit`` characters."""
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = json.dumps(repr(value))
    cut = len(text) > limit
    if cut:
        text = text[:limit]
    out: list[str] = []
    for match in _JSON_TOKEN.finditer(text):
        kind = match.lastgroup
        piece = str(escape(match.group()))
        if kind in ("key", "string", "number", "literal"):
            out.append(f'<span class="j-{kind}">{piece}</span>')
        else:
            out.append(piece)
    if cut:
        out.append('\n<span class="j-cut">… (cut)</span>')
    return Markup("".join(out))  # every piece was escaped above
