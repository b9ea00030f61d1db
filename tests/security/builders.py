"""Hand-built specification models and WSGI environs for the security tests."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from asynction.exceptions import SpecLocation
from asynction.security import ConnectSecurity
from asynction.spec.model import Api, Direction, Event, Namespace, SecurityScheme, Server

FUNCS = "tests.fixtures.security.infofuncs."
FILE = "spec.yaml"


def scheme(name: str, type_: str, **fields: Any) -> SecurityScheme:
    """A security scheme defined under components.securitySchemes of spec.yaml."""
    return SecurityScheme(
        name=name,
        type=type_,
        location=SpecLocation(FILE, f"/components/securitySchemes/{name}"),
        **fields,
    )


SCHEMES: Mapping[str, SecurityScheme] = {
    scheme_.name: scheme_
    for scheme_ in (
        scheme(
            "basic", "http", scheme="basic", extensions={"x-basicInfoFunc": FUNCS + "basic_info"}
        ),
        scheme(
            "bearer",
            "http",
            scheme="bearer",
            bearer_format="JWT",
            extensions={"x-bearerInfoFunc": FUNCS + "bearer_info"},
        ),
        scheme(
            "header_key",
            "httpApiKey",
            location_in="header",
            parameter_name="X-API-Key",
            extensions={"x-apiKeyInfoFunc": FUNCS + "api_key_info"},
        ),
        scheme(
            "query_key",
            "httpApiKey",
            location_in="query",
            parameter_name="api_key",
            extensions={"x-apiKeyInfoFunc": FUNCS + "api_key_info"},
        ),
        scheme(
            "cookie_key",
            "httpApiKey",
            location_in="cookie",
            parameter_name="session",
            extensions={"x-apiKeyInfoFunc": FUNCS + "api_key_info"},
        ),
        scheme(
            "user_key",
            "apiKey",
            location_in="user",
            extensions={"x-apiKeyInfoFunc": FUNCS + "api_key_info"},
        ),
        scheme(
            "password_key",
            "apiKey",
            location_in="password",
            extensions={"x-apiKeyInfoFunc": FUNCS + "api_key_info"},
        ),
        scheme(
            "user_password", "userPassword", extensions={"x-basicInfoFunc": FUNCS + "basic_info"}
        ),
        scheme(
            "oauth",
            "oauth2",
            scopes=("chat:read", "chat:write", "admin"),
            extensions={"x-tokenInfoFunc": FUNCS + "token_info"},
        ),
        scheme(
            "oauth_custom",
            "oauth2",
            scopes=("chat:read", "chat:write", "admin"),
            extensions={
                "x-tokenInfoFunc": FUNCS + "token_info",
                "x-scopeValidateFunc": FUNCS + "admin_or_all",
            },
        ),
        scheme("oidc", "openIdConnect", extensions={"x-tokenInfoFunc": FUNCS + "token_info"}),
    )
}


def incoming(name: str, security: Sequence[Mapping[str, Sequence[str]]] | None = None) -> Event:
    """An incoming event, with operation security when given."""
    return Event(
        name=name,
        direction=Direction.INCOMING,
        payload=None,
        security=None
        if security is None
        else tuple({key: tuple(value) for key, value in item.items()} for item in security),
        location=SpecLocation(FILE, f"/components/messages/{name}"),
    )


def requirements(
    items: Sequence[Mapping[str, Sequence[str]]] | None,
) -> tuple[Mapping[str, tuple[str, ...]], ...] | None:
    """Requirements as the model holds them (scopes as tuples)."""
    if items is None:
        return None
    return tuple({key: tuple(value) for key, value in item.items()} for item in items)


def server(name: str, security: Sequence[Mapping[str, Sequence[str]]] = ()) -> Server:
    """A server of spec.yaml."""
    return Server(
        name=name,
        url=f"ws://{name}.example.com/socket.io",
        protocol="ws",
        security=requirements(security) or (),
        location=SpecLocation(FILE, f"/servers/{name}"),
    )


def build_api(
    namespace_security: Sequence[Mapping[str, Sequence[str]]] | None = None,
    *,
    servers: Sequence[Server] = (),
    events: Sequence[Event] = (),
    schemes: Mapping[str, SecurityScheme] = SCHEMES,
    name: str = "/chat",
) -> tuple[Api, Namespace]:
    """An API of one namespace (``/chat``), its ``x-security`` as given."""
    namespace = Namespace(
        name=name,
        incoming=tuple(events),
        security=requirements(namespace_security),
        location=SpecLocation(FILE, "/channels/~1chat"),
    )
    api = Api(
        title="T",
        version="1",
        servers=tuple(servers),
        namespaces=(namespace,),
        security_schemes=dict(schemes),
        asyncapi_version="2.6.0",
        source=FILE,
    )
    return api, namespace


def secured(
    namespace_security: Sequence[Mapping[str, Sequence[str]]],
    *,
    events: Sequence[Event] = (),
    schemes: Mapping[str, SecurityScheme] = SCHEMES,
) -> ConnectSecurity:
    """The ConnectSecurity of a namespace whose x-security is given (never public)."""
    api, namespace = build_api(namespace_security, events=events, schemes=schemes)
    security = ConnectSecurity.build(api, namespace, None)
    assert security is not None
    return security


def environ(
    authorization: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    query: str = "",
    cookie: str | None = None,
) -> dict[str, Any]:
    """A WSGI environ of a Socket.IO connect request."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/socket.io/",
        "QUERY_STRING": "EIO=4&transport=websocket" + (f"&{query}" if query else ""),
    }
    if authorization is not None:
        env["HTTP_AUTHORIZATION"] = authorization
    if cookie is not None:
        env["HTTP_COOKIE"] = cookie
    for header, value in (headers or {}).items():
        env["HTTP_" + header.upper().replace("-", "_")] = value
    return env


def basic(username: str, password: str) -> str:
    """An ``Authorization: Basic`` header value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
