"""Security probes: every bad credential is refused whatever error handlers say, credentials never
reach the logs or the client, and the docs routes serve the spec and nothing else."""

from __future__ import annotations

import base64
import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import flask
import pytest
import socketio
import yaml

from asynction.server import AsynctionSocketIO
from tests.fixtures.security import infofuncs
from tests.live import serve

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "security" / "secured.yaml"
SECRET = "s3cr3t-Probe-9f2c"
"""Part of every wrong credential, so that a leak is found wherever it lands."""


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# (namespace, description, connection keyword arguments): none of these may get in.
BAD: list[tuple[str, str, dict[str, Any]]] = [
    ("/", "nothing", {}),
    ("/", "empty bearer", {"headers": {"Authorization": "Bearer "}}),
    ("/", "wrong bearer", {"headers": {"Authorization": f"Bearer {SECRET}"}}),
    ("/", "bearer keyword only", {"headers": {"Authorization": "Bearer"}}),
    ("/", "token with another keyword", {"headers": {"Authorization": "Token good-token"}}),
    ("/", "token as basic", {"headers": {"Authorization": "Basic Z29vZC10b2tlbg=="}}),
    ("/", "wrong header key", {"headers": {"X-API-Key": SECRET}}),
    ("/", "empty header key", {"headers": {"X-API-Key": ""}}),
    ("/", "key in the query", {"query_string": "X-API-Key=key-123"}),
    ("/", "bearer in the query", {"query_string": "access_token=good-token"}),
    ("/", "wrong auth token", {"auth": {"token": SECRET}}),
    ("/", "auth token not a string", {"auth": {"token": ["good-token"]}}),
    ("/", "auth token a number", {"auth": {"token": 12345}}),
    ("/", "auth a string", {"auth": "good-token"}),
    ("/", "auth a list", {"auth": ["good-token"]}),
    ("/", "expired", {"headers": {"Authorization": "Bearer expired"}}),
    ("/", "revoked", {"headers": {"Authorization": "Bearer revoked"}}),
    ("/", "errno", {"headers": {"Authorization": "Bearer errno"}}),
    ("/", "crashing info function", {"headers": {"Authorization": "Bearer crash"}}),
    ("/", "info function returning a string", {"auth": {"token": "not-a-mapping"}}),
    ("/chat", "nothing", {}),
    ("/chat", "token without the scope", {"headers": {"Authorization": "Bearer admin"}}),
    ("/chat", "wrong password", {"headers": basic("alice", SECRET)}),
    ("/chat", "unknown user", {"headers": basic(SECRET, "wonderland")}),
    ("/chat", "basic not base64", {"headers": {"Authorization": f"Basic !!{SECRET}!!"}}),
    (
        "/chat",
        "basic without colon",
        {"headers": {"Authorization": "Basic " + base64.b64encode(b"alice").decode()}},
    ),
    ("/chat", "basic empty", {"headers": {"Authorization": "Basic "}}),
    ("/chat", "auth user only", {"auth": {"username": "alice"}}),
    ("/chat", "auth wrong password", {"auth": {"username": "alice", "password": SECRET}}),
    ("/chat", "auth password not a string", {"auth": {"username": "alice", "password": None}}),
    ("/chat", "bearer for the basic scheme", {"headers": {"Authorization": "Bearer wonderland"}}),
    ("/lobby", "wrong token", {"auth": {"token": SECRET}}),
    ("/lobby", "wrong user password", {"headers": basic("bob", SECRET)}),
    ("/keys", "query key only", {"query_string": "api_key=key-123"}),
    ("/keys", "cookie key only", {"headers": {"Cookie": "session=key-123"}}),
    (
        "/keys",
        "wrong keys",
        {"query_string": f"api_key={SECRET}", "headers": {"Cookie": f"session={SECRET}"}},
    ),
    (
        "/keys",
        "ambiguous repeated query key",
        {
            "query_string": "api_key=key-123&api_key=key-123",
            "headers": {"Cookie": "session=key-123"},
        },
    ),
    (
        "/keys",
        "ambiguous repeated cookie",
        {
            "query_string": "api_key=key-123",
            "headers": {"Cookie": "session=key-123; session=key-123"},
        },
    ),
    ("/keys", "wrong user key", {"headers": basic(SECRET, "")}),
    ("/nowhere", "an undeclared namespace", {"headers": {"Authorization": "Bearer good-token"}}),
]
GOOD: list[tuple[str, dict[str, Any]]] = [
    ("/", {"headers": {"Authorization": "Bearer good-token"}}),
    ("/", {"auth": {"X-API-Key": "key-123"}}),
    ("/chat", {"headers": basic("alice", "wonderland")}),
    ("/chat", {"auth": {"token": "reader"}}),
    ("/lobby", {"headers": basic("bob", "builder")}),
    ("/keys", {"query_string": "api_key=key-123", "headers": {"Cookie": "session=key-123"}}),
    ("/public", {}),
]


def _accepting(error: Exception) -> Any:
    """An error handler that would let everybody in, if its answer counted."""
    return True


def _raising(error: Exception) -> Any:
    raise RuntimeError(f"the error handler failed on {error!r}")


ERROR_HANDLERS = {"as-declared": None, "accepting-default": _accepting, "raising-default": _raising}


def _server(error_handler: Any) -> tuple[flask.Flask, AsynctionSocketIO]:
    app = flask.Flask(__name__)
    sio = AsynctionSocketIO.from_spec(
        SPEC,
        app=app,
        async_mode="threading",
        server_name="production",
        default_error_handler=error_handler,
    )
    if error_handler is not None:
        sio.on_error("/chat")(error_handler)  # replaces the spec's own, which acks an error
    return app, sio


def _connected(
    app: flask.Flask, sio: AsynctionSocketIO, namespace: str, options: dict[str, Any]
) -> bool:
    client = sio.test_client(app, namespace=namespace, **options)
    try:
        return bool(client.is_connected(namespace))
    finally:
        if client.is_connected(namespace):
            client.disconnect(namespace=namespace)


@pytest.mark.parametrize("handler", sorted(ERROR_HANDLERS))
def test_no_bad_credential_gets_in(handler: str, caplog: pytest.LogCaptureFixture) -> None:
    app, sio = _server(ERROR_HANDLERS[handler])
    caplog.set_level(logging.DEBUG)
    accepted = [
        (namespace, what)
        for namespace, what, options in BAD
        if _connected(app, sio, namespace, options)
    ]
    assert accepted == []
    for namespace, options in GOOD:  # the probes are not refused for some other reason
        assert _connected(app, sio, namespace, options), (namespace, options)
    assert not _leaks(caplog)


def _leaks(caplog: pytest.LogCaptureFixture) -> list[str]:
    secrets = {SECRET, base64.b64encode(f"alice:{SECRET}".encode()).decode()}
    secrets |= {"wonderland", "builder", "good-token", "key-123", "reader"}
    found = []
    for record in caplog.records:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += repr(record.exc_info[1])
        found += [f"{secret!r} in {text!r}" for secret in secrets if secret in text]
    return found


@pytest.fixture(scope="module")
def live_secured() -> Iterator[tuple[str, AsynctionSocketIO]]:
    app, sio = _server(_accepting)
    with serve(app) as live:
        yield live.url, sio


@pytest.mark.parametrize(
    ("namespace", "what", "options"),
    [
        case
        for case in BAD
        if case[1]
        in (
            "wrong bearer",
            "wrong password",
            "wrong keys",
            "auth a string",
            "crashing info function",
        )
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_credentials_over_websockets_get_a_clean_connect_error(
    live_secured: tuple[str, AsynctionSocketIO],
    caplog: pytest.LogCaptureFixture,
    namespace: str,
    what: str,
    options: dict[str, Any],
) -> None:
    url, _ = live_secured
    caplog.set_level(logging.DEBUG)
    client = socketio.Client(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append, namespace=namespace)
    query = options.get("query_string")
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            url + (f"?{query}" if query else ""),
            headers=options.get("headers", {}),
            auth=options.get("auth"),
            transports=["websocket"],
            namespaces=[namespace],
            wait_timeout=5,
        )
    client.disconnect()
    assert errors
    assert isinstance(errors[0], dict)
    assert errors[0]["message"] in ("unauthorized", "token expired", "token revoked")
    assert SECRET not in json.dumps(errors)
    assert not _leaks(caplog)


# -- the docs routes serve the spec and nothing else ---------------------------------------------

PROBES = [
    "/docs/../../etc/passwd",
    "/docs/..%2f..%2f..%2fetc%2fpasswd",
    "/docs/%2e%2e/%2e%2e/pyproject.toml",
    "/docs/asyncapi.json/../../pyproject.toml",
    "/docs/asyncapi.json/..%2f..%2fpyproject.toml",
    "/docs//etc/passwd",
    "/docs/static/..%252f..%252fpyproject.toml",
    "/docs/asyncapi.json%00.html",
    "/docs/asyncapi.yaml",
    "/docs/secured.yaml",
    "/docs/infofuncs.py",
    "/docs/tests/fixtures/security/infofuncs.py",
    "/docs/..\\..\\pyproject.toml",
    "/docs/templates/page.html.j2",
    "/docs/script.js",
    "/docs/%2e%2e%5c%2e%2e%5cpyproject.toml",
    "/socket.io/../pyproject.toml",
    "/pyproject.toml",
    "/tests/fixtures/security/infofuncs.py",
]
FORBIDDEN_CONTENT = [
    "root:x:0:0",
    "[build-system]",
    "def bearer_info",
    "hmac.compare_digest",
    "wonderland",
]


@pytest.fixture(scope="module")
def docs_app() -> flask.Flask:
    app, _ = _server(None)
    return app


@pytest.mark.parametrize("path", PROBES)
def test_docs_paths_serve_nothing_but_the_docs(docs_app: flask.Flask, path: str) -> None:
    reply = docs_app.test_client().get(path)
    body = reply.get_data(as_text=True)
    assert reply.status_code in (200, 301, 308, 400, 404), (path, reply.status_code)
    for marker in FORBIDDEN_CONTENT:
        assert marker not in body, (path, marker)
    if reply.status_code == 200:
        assert reply.mimetype in ("text/html", "application/json"), path


@pytest.mark.parametrize("path", PROBES[:6])
def test_docs_paths_over_http(live_secured: tuple[str, AsynctionSocketIO], path: str) -> None:
    url, _ = live_secured
    status = 200
    try:
        with urllib.request.urlopen(url + path, timeout=10) as reply:
            body = reply.read().decode("utf-8", "replace")
    except HTTPError as error:
        status = error.code
        body = error.read().decode("utf-8", "replace")
    assert status in (200, 400, 404)
    for marker in FORBIDDEN_CONTENT:
        assert marker not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE"])
@pytest.mark.parametrize("path", ["/docs", "/docs/", "/docs/asyncapi.json"])
def test_docs_routes_refuse_other_methods(docs_app: flask.Flask, method: str, path: str) -> None:
    reply = docs_app.test_client().open(path, method=method, data=b"{}")
    assert reply.status_code in (405, 308), (method, path, reply.status_code)
    assert "[build-system]" not in reply.get_data(as_text=True)


def test_docs_json_is_the_spec_and_only_the_spec(docs_app: flask.Flask) -> None:
    reply = docs_app.test_client().get("/docs/asyncapi.json")
    assert reply.status_code == 200
    assert reply.get_json() == yaml.safe_load(SPEC.read_text())
    head = docs_app.test_client().head("/docs/asyncapi.json")
    assert head.status_code == 200
    assert head.get_data() == b""
    options = docs_app.test_client().options("/docs/asyncapi.json")
    assert options.get_data() == b""
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_each_info_function_runs_at_most_once_per_attempt() -> None:
    app, sio = _server(_accepting)
    for namespace, what, options in BAD:
        infofuncs.reset()
        _connected(app, sio, namespace, options)
        names = [name for name, _ in infofuncs.CALLS]
        assert len(names) == len(set(names)), (namespace, what, names)
