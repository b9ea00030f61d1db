"""Connect time: bindings.ws and security always refuse a failing connection with a CONNECT_ERROR
whose message says what failed, whatever error handlers exist; connect handlers get what their
signature accepts and run once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask
import pytest

from asynction.exceptions import BindingsValidationException, SecurityException
from asynction.server import AsynctionSocketIO
from tests.fixtures.server import handlers
from tests.server.conftest import FIXTURES, Clients, LiveServer, chat_app, serve

GUARDED_SPEC = FIXTURES / "guarded.yaml"
ADMIN_HEADERS = {"X-Api-Version": "2"}


def guarded_app(**kwargs: Any) -> tuple[flask.Flask, AsynctionSocketIO]:
    app = flask.Flask(__name__)
    sio = AsynctionSocketIO.from_spec(GUARDED_SPEC, app=app, async_mode="threading", **kwargs)
    return app, sio


@pytest.fixture(scope="module")
def live_guarded() -> Iterator[LiveServer]:
    app, _ = guarded_app()
    with serve(app) as live:
        yield live


@pytest.fixture(scope="module")
def live_chat_server(live_chat: tuple[LiveServer, AsynctionSocketIO]) -> LiveServer:
    return live_chat[0]


# -- bindings over real websockets ------------------------------------------------------------


def test_valid_bindings_connect(live_chat_server: LiveServer, clients: Clients) -> None:
    client = clients.connect(
        live_chat_server.url,
        "/admin",
        query="token=abcd&level=3&tags=a&tags=b&debug=true",
        headers=ADMIN_HEADERS,
    )
    # Engine.IO's own EIO/transport/t parameters are not part of the validated query
    # (the query schema has additionalProperties: false).
    assert client.call("echo", {"text": "in"}, namespace="/admin", timeout=5) == {"text": "in"}


@pytest.mark.parametrize(
    ("query", "headers", "message"),
    [
        pytest.param(
            "level=3",
            ADMIN_HEADERS,
            "at $.query.token: query parameter 'token' is required",
            id="missing-query",
        ),
        pytest.param(
            "token=abcd&level=high",
            ADMIN_HEADERS,
            "at $.query.level: query parameter 'level' must be integer",
            id="query-type",
        ),
        pytest.param(
            "token=abcd&level=0",
            ADMIN_HEADERS,
            "at $.query.level: query parameter 'level'",
            id="query-minimum",
        ),
        pytest.param(
            "token=abcd&debug=maybe",
            ADMIN_HEADERS,
            "query parameter 'debug' must be boolean",
            id="query-boolean",
        ),
        pytest.param(
            "token=abcd&token=efgh",
            ADMIN_HEADERS,
            "query parameter 'token' must be given once",
            id="repeated-scalar",
        ),
        pytest.param(
            "token=abcd&other=1",
            ADMIN_HEADERS,
            "unexpected query parameter 'other'",
            id="extra-query",
        ),
        pytest.param(
            "token=abcd",
            {},
            "header 'X-Api-Version' is required",
            id="missing-header",
        ),
        pytest.param(
            "token=abcd",
            {"X-Api-Version": "3"},
            "at $.headers['X-Api-Version']",
            id="header-enum",
        ),
    ],
)
def test_bad_bindings_refuse_with_a_clear_connect_error(
    live_chat_server: LiveServer,
    clients: Clients,
    query: str,
    headers: dict[str, str],
    message: str,
) -> None:
    data, raised = clients.refused(live_chat_server.url, "/admin", query=query, headers=headers)
    assert data["message"].startswith("namespace '/admin'")
    assert message in data["message"]
    assert "/admin" in str(raised)


def test_header_names_are_case_insensitive(live_chat_server: LiveServer, clients: Clients) -> None:
    for name in ("x-api-version", "X-API-VERSION"):
        client = clients.connect(
            live_chat_server.url, "/admin", query="token=abcd", headers={name: "1"}
        )
        client.disconnect()


def test_bad_bindings_refuse_even_when_the_error_handler_returns_something(
    live_guarded: LiveServer, clients: Clients
) -> None:
    data, _ = clients.refused(live_guarded.url, "/guarded", query="room=UPPER")
    assert "at $.query.room" in data["message"]
    assert "rule: pattern" in data["message"]
    [(_, namespace, error)] = handlers.entries("error")
    assert namespace == "/guarded"
    assert isinstance(error, BindingsValidationException)
    assert handlers.entries("connect") == []  # the user's connect handler never ran
    client = clients.connect(live_guarded.url, "/guarded", query="room=lower")
    assert client.call("hello", "you", namespace="/guarded", timeout=5) == "hello you"


def test_bindings_are_not_checked_with_validation_off() -> None:
    app, sio = chat_app(validation=False)
    assert sio.test_client(app, namespace="/admin").is_connected("/admin")


def test_bindings_through_the_test_client() -> None:
    app, sio = chat_app()
    refused = sio.test_client(
        app, namespace="/admin", query_string="token=ab", headers=ADMIN_HEADERS
    )
    assert not refused.is_connected("/admin")
    accepted = sio.test_client(
        app, namespace="/admin", query_string="token=abc", headers=ADMIN_HEADERS
    )
    assert accepted.is_connected("/admin")


# -- connect handlers ------------------------------------------------------------------------


def test_namespaces_without_a_connect_handler_accept_connections(
    live_chat_server: LiveServer, clients: Clients
) -> None:
    # /admin has no x-handlers at all
    client = clients.connect(
        live_chat_server.url, "/admin", query="token=abcd", headers=ADMIN_HEADERS
    )
    assert client.connected


def test_connect_handler_gets_auth_and_the_disconnect_handler_the_reason(
    live_chat_server: LiveServer, clients: Clients
) -> None:
    client = clients.connect(live_chat_server.url, auth={"user": "ann"})
    assert handlers.entries("connect") == [("connect", "/", {"user": "ann"})]
    client.disconnect()
    [(_, namespace, reason)] = handlers.wait_for("disconnect")
    assert namespace == "/"
    assert reason in ("client disconnect", "transport close")


def test_connect_handler_returning_false_refuses(
    live_chat_server: LiveServer, clients: Clients
) -> None:
    data, _ = clients.refused(live_chat_server.url, auth={"refuse": True})
    assert data["message"] == "Connection rejected by server"
    assert len(handlers.entries("connect")) == 1


def test_connect_handler_that_raises_refuses_and_runs_once(
    live_chat_server: LiveServer, clients: Clients
) -> None:
    # The handler raises TypeError: Flask-SocketIO would call a connect handler again without
    # auth on TypeError; ours must run exactly once and the connection must be refused.
    data, _ = clients.refused(live_chat_server.url, auth={"crash": True})
    assert data["message"] == "Connection refused by server"
    assert len(handlers.entries("connect")) == 1
    [(_, _, error)] = handlers.entries("error")
    assert isinstance(error, TypeError)


@pytest.mark.parametrize(
    ("deny", "message"),
    [("socketio", "denied by the handler"), ("builtin", "Connection refused by server")],
)
def test_connect_handler_refusals_become_connect_errors(
    live_chat_server: LiveServer, clients: Clients, deny: str, message: str
) -> None:
    data, _ = clients.refused(live_chat_server.url, "/strict", auth={"deny": deny})
    assert data["message"] == message
    assert len(handlers.entries("connect")) == 1


def test_undeclared_namespaces_are_refused(live_chat_server: LiveServer, clients: Clients) -> None:
    data, _ = clients.refused(live_chat_server.url, "/nowhere")
    assert data == "Unable to connect"  # python-socketio's refusal of unknown namespaces


# -- security ---------------------------------------------------------------------------------


def test_security_refuses_with_its_client_safe_message(
    live_guarded: LiveServer, clients: Clients
) -> None:
    data, _ = clients.refused(live_guarded.url, "/secure", auth={"token": "stolen"})
    assert data["message"] == "unauthorized"
    [(_, namespace, error)] = handlers.entries("error")  # told, and yet refused
    assert namespace == "/secure"
    assert isinstance(error, SecurityException)
    assert handlers.entries("secure_connect") == []
    assert handlers.entries("token_info") == [("token_info", "stolen")]


def test_connect_handler_gets_token_info_and_user(
    live_guarded: LiveServer, clients: Clients
) -> None:
    client = clients.connect(
        live_guarded.url, "/secure", headers={"Authorization": "Bearer alice-read"}
    )
    [(_, namespace, auth, token_info, user)] = handlers.entries("secure_connect")
    assert (namespace, auth, user) == ("/secure", None, "alice")
    assert token_info["scopes"] == ["read"]
    assert handlers.entries("token_info") == [("token_info", "alice-read")]  # once per attempt
    assert client.call("whoami", "me", namespace="/secure", timeout=5) == "me"


def test_user_falls_back_to_uid(live_guarded: LiveServer, clients: Clients) -> None:
    clients.connect(live_guarded.url, "/secure", auth={"token": "root-admin"})
    [(_, _, auth, _, user)] = handlers.entries("secure_connect")
    assert auth == {"token": "root-admin"}
    assert user == "root"


def test_connect_handler_without_parameters_on_a_secured_namespace(
    live_guarded: LiveServer, clients: Clients
) -> None:
    client = clients.connect(live_guarded.url, "/legacy", auth={"token": "alice-read"})
    assert handlers.entries("plain_connect") == [("plain_connect", "/legacy")]
    assert handlers.entries("token_info") == [("token_info", "alice-read")]
    assert client.call("whoami", "x", namespace="/legacy", timeout=5) == "x"


def test_event_security_is_checked_per_event(live_guarded: LiveServer, clients: Clients) -> None:
    reader = clients.connect(live_guarded.url, "/secure-admin", auth={"token": "alice-read"})
    ack = reader.call("admin_only", "drop", namespace="/secure-admin", timeout=5)
    assert ack["error"] == "SecurityException"
    assert "missing scope 'admin'" in ack["message"]
    assert handlers.entries("admin_only") == []
    admin = clients.connect(live_guarded.url, "/secure-admin", auth={"token": "root-admin"})
    assert admin.call("admin_only", "drop", namespace="/secure-admin", timeout=5) == "done drop"


def test_security_stays_on_with_validation_off() -> None:
    app, sio = guarded_app(validation=False)
    assert not sio.test_client(app, namespace="/secure").is_connected("/secure")
    reader = sio.test_client(app, namespace="/secure-admin", auth={"token": "alice-read"})
    ack = reader.emit("admin_only", 1, namespace="/secure-admin", callback=True)
    assert ack["error"] == "SecurityException"
    # bindings are off: /guarded accepts a connection without its query parameter
    assert sio.test_client(app, namespace="/guarded").is_connected("/guarded")


def test_token_info_is_dropped_at_disconnect() -> None:
    app, sio = guarded_app()
    client = sio.test_client(app, namespace="/secure", auth={"token": "alice-read"})
    assert len(sio._token_infos) == 1
    client.disconnect(namespace="/secure")
    assert sio._token_infos == {}
