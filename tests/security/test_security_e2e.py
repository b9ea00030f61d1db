"""End to end: AsynctionSocketIO.from_spec with real python-socketio clients over websockets."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask
import pytest

from asynction.exceptions import SecurityException
from asynction.server import AsynctionSocketIO
from tests.fixtures.security import handlers, infofuncs
from tests.security.live import CALL_TIMEOUT, Clients, quick_websocket_close, serve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "security"
SPEC_2 = FIXTURES / "secured.yaml"
SPEC_3 = FIXTURES / "secured-3.0.yaml"


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def recorded(name: str) -> list[Any]:
    return [value for called, value in handlers.RECORD if called == name]


@contextmanager
def running(spec: Path, **kwargs: Any) -> Iterator[Clients]:
    """``spec`` served by AsynctionSocketIO.from_spec (threading mode) until the block ends."""
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(spec, app=app, async_mode="threading", **kwargs)
    with quick_websocket_close(), serve(app) as url:
        clients = Clients(url)
        try:
            yield clients
        finally:
            clients.close()


@pytest.fixture(scope="module")
def server2() -> Iterator[str]:
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(SPEC_2, app=app, async_mode="threading", server_name="production")
    with quick_websocket_close(), serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def server3() -> Iterator[str]:
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(
        SPEC_3, app=app, async_mode="threading", default_error_handler=handlers.on_error
    )
    with quick_websocket_close(), serve(app) as url:
        yield url


@pytest.fixture
def live2(server2: str) -> Iterator[Clients]:
    clients = Clients(server2)
    yield clients
    clients.close()


@pytest.fixture
def live3(server3: str) -> Iterator[Clients]:
    clients = Clients(server3)
    yield clients
    clients.close()


@pytest.fixture(autouse=True)
def _fresh_records() -> Iterator[None]:
    infofuncs.reset()
    handlers.clear()
    yield
    infofuncs.reset()
    handlers.clear()


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["/", "/chat", "/lobby", "/keys"])
def test_no_credentials_is_refused_on_every_secured_namespace(
    live2: Clients, namespace: str
) -> None:
    assert live2.refused(namespace) == {"message": "unauthorized"}
    assert infofuncs.CALLS == []
    assert recorded("connect_plain") == recorded("connect_with_token_info") == []


@pytest.mark.parametrize(
    ("namespace", "kwargs"),
    [
        ("/", {"headers": bearer("wrong")}),
        ("/", {"auth": {"token": "wrong"}}),
        ("/", {"headers": {"X-API-Key": "wrong"}}),
        ("/chat", {"headers": basic("alice", "wrong")}),
        ("/chat", {"auth": {"username": "alice", "password": "wrong"}}),
        ("/chat", {"auth": {"token": "unknown"}}),
        ("/chat", {"headers": bearer("good-token")}),  # the server's bearer scheme is overridden
        ("/lobby", {"auth": {"username": "bob", "password": "wrong"}}),
        ("/keys", {"query": "api_key=key-123"}),  # the cookie half of the AND is missing
        ("/keys", {"headers": {"Cookie": "session=key-123"}}),
        ("/keys", {"query": "api_key=nope", "headers": {"Cookie": "session=key-123"}}),
    ],
)
def test_wrong_credentials_are_refused(live2: Clients, namespace: str, kwargs: Any) -> None:
    assert live2.refused(namespace, **kwargs) == {"message": "unauthorized"}


def test_info_function_refusal_message_reaches_the_client(live2: Clients) -> None:
    assert live2.refused("/", headers=bearer("expired")) == {"message": "token expired"}
    assert live2.refused("/", auth={"token": "revoked"}) == {"message": "token revoked"}


def test_internal_errors_never_reach_the_client(live2: Clients) -> None:
    refusal = live2.refused("/", headers=bearer("crash"))
    assert refusal == {"message": "unauthorized"}
    assert live2.refused("/", auth={"token": "not-a-mapping"}) == {"message": "unauthorized"}


def test_refused_even_with_an_error_handler(live2: Clients) -> None:
    assert live2.refused("/chat", auth={"token": "expired"}) == {"message": "token expired"}
    [error] = recorded("on_error")
    assert isinstance(error, SecurityException)
    assert recorded("connect_with_token_info") == []


def test_refused_even_with_a_default_error_handler() -> None:
    seen: list[Exception] = []

    def on_any_error(error: Exception) -> str:
        seen.append(error)
        return "handled"

    with running(SPEC_2, server_name="production", default_error_handler=on_any_error) as live:
        assert live.refused("/", headers=bearer("wrong")) == {"message": "unauthorized"}
        assert live.refused("/lobby") == {"message": "unauthorized"}
    assert len(seen) == 2
    assert all(isinstance(error, SecurityException) for error in seen)


def test_security_stays_on_without_validation() -> None:
    with running(SPEC_2, server_name="production", validation=False) as live:
        assert live.refused("/") == {"message": "unauthorized"}
        live.connect("/", headers=bearer("good-token"))


# -- accepted connections --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": bearer("good-token")},
        {"auth": {"token": "good-token"}},
        {"headers": {"X-API-Key": "key-123"}},
        {"headers": {"x-api-key": "key-123"}},
        {"auth": {"X-API-Key": "key-123"}},
    ],
)
def test_server_security_with_a_plain_connect_handler(live2: Clients, kwargs: Any) -> None:
    client = live2.connect("/", **kwargs)
    assert recorded("connect_plain") == [None]
    assert client.call("ping", "hello", namespace="/", timeout=CALL_TIMEOUT) == "hello"


@pytest.mark.parametrize(
    ("kwargs", "user"),
    [
        ({"headers": basic("alice", "wonderland")}, "alice"),
        ({"auth": {"username": "bob", "password": "builder"}}, "bob"),
        ({"auth": {"token": "reader"}}, "reader"),
        ({"headers": bearer("writer")}, "writer"),
    ],
)
def test_connect_handler_receives_token_info_and_user(
    live2: Clients, kwargs: Any, user: str
) -> None:
    live2.connect("/chat", **kwargs)
    [(token_info, given_user)] = recorded("connect_with_token_info")
    assert given_user == user
    assert token_info["sub"] == user


def test_connect_handler_with_kwargs_gets_token_info_and_user(live2: Clients) -> None:
    live2.connect("/lobby", auth={"username": "alice", "password": "wonderland"})
    [kwargs] = recorded("connect_with_kwargs")
    assert kwargs["user"] == "alice"
    assert kwargs["token_info"] == {"sub": "alice", "scopes": ["chat:read"]}


def test_public_namespace_needs_nothing(live2: Clients) -> None:
    client = live2.connect("/public")
    assert client.call("ping", "hi", namespace="/public", timeout=CALL_TIMEOUT) == "hi"
    assert infofuncs.CALLS == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"query": "api_key=key-123", "headers": {"Cookie": "theme=dark; session=key-123"}},
        {"query": "api_key=key-123", "auth": {"session": "key-123"}},
        {"auth": {"api_key": "key-123", "session": "key-123"}},
        {"headers": basic("key-123", "")},
        {"auth": {"username": "key-123"}},
    ],
)
def test_api_keys_and_or(live2: Clients, kwargs: Any) -> None:
    client = live2.connect("/keys", **kwargs)
    assert client.call("ping", "k", namespace="/keys", timeout=CALL_TIMEOUT) == "k"


# -- once per attempt ------------------------------------------------------------------------------


def test_info_function_runs_once_per_connection_attempt(live2: Clients) -> None:
    live2.connect("/chat", auth={"token": "writer"})
    assert infofuncs.calls("token_info") == [("writer",)]
    live2.refused("/chat", auth={"token": "nobody"})
    assert infofuncs.calls("token_info") == [("writer",), ("nobody",)]
    live2.connect("/", headers=bearer("good-token"))
    assert len(infofuncs.calls("bearer_info")) == 1


# -- per-event authorisation -----------------------------------------------------------------------


def test_event_with_the_required_scope_runs(live2: Clients) -> None:
    client = live2.connect("/chat", auth={"token": "writer"})
    assert client.call("say", "hi", namespace="/chat", timeout=CALL_TIMEOUT) == "said hi"
    assert recorded("say") == ["hi"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"auth": {"token": "reader"}}, "forbidden: missing scope 'chat:write' for event 'say'"),
        (
            {"headers": basic("alice", "wonderland")},
            "forbidden: event 'say' requires authentication with 'oauth'",
        ),
    ],
)
def test_event_without_the_required_scope_goes_to_the_error_handler(
    live2: Clients, kwargs: Any, message: str
) -> None:
    client = live2.connect("/chat", **kwargs)
    answer = client.call("say", "hi", namespace="/chat", timeout=CALL_TIMEOUT)
    assert answer == f"error: {message}"
    assert recorded("say") == []
    [error] = recorded("on_error")
    assert isinstance(error, SecurityException)
    assert str(error) == message


def test_3x_operation_security(live3: Clients) -> None:
    writer = live3.connect("/chat", headers=bearer("writer"))
    assert writer.call("say", "w", namespace="/chat", timeout=CALL_TIMEOUT) == "said w"
    assert recorded("say") == ["w"]
    reader = live3.connect("/chat", auth={"token": "reader"})
    answer = reader.call("say", "r", namespace="/chat", timeout=CALL_TIMEOUT)
    assert answer == "error: forbidden: missing scope 'chat:write' for event 'say'"
    assert reader.call("ping", "p", namespace="/chat", timeout=CALL_TIMEOUT) == "p"
    bob = live3.connect("/chat", auth={"username": "bob", "password": "builder"})
    answer = bob.call("say", "b", namespace="/chat", timeout=CALL_TIMEOUT)
    assert answer == "error: forbidden: event 'say' requires authentication with 'oauthWrite'"
    assert recorded("say") == ["w"]
    assert recorded("ping") == ["p"]


def test_3x_server_security_and_x_security(live3: Clients) -> None:
    assert live3.refused("/chat") == {"message": "unauthorized"}
    live3.connect("/chat", auth={"username": "bob", "password": "builder"})
    live3.connect("/public")
    live3.connect("/keys", headers={"X-API-KEY": "key-123"})
    assert live3.refused("/keys", headers=bearer("writer")) == {"message": "unauthorized"}
