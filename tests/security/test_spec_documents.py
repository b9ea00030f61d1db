"""ConnectSecurity on documents read by load_spec: the YAML fixtures (2.6 and 3.0) and error
locations in real files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from asynction.exceptions import HandlerImportError, SecurityException, SpecError
from asynction.security import ConnectSecurity
from asynction.spec import load_spec
from asynction.spec.model import Api
from tests.fixtures.security import infofuncs
from tests.security.builders import basic, environ

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "security"


@pytest.fixture(autouse=True)
def _fresh_calls() -> Iterator[None]:
    infofuncs.reset()
    yield
    infofuncs.reset()


def security_of(api: Api, namespace: str, server_name: str | None = None) -> ConnectSecurity:
    found = api.namespace(namespace)
    assert found is not None
    security = ConnectSecurity.build(api, found, server_name)
    assert security is not None
    return security


def event_of(api: Api, namespace: str, name: str) -> Any:
    found = api.namespace(namespace)
    assert found is not None
    event = found.incoming_event(name)
    assert event is not None
    return event


@pytest.fixture(scope="module")
def v2() -> Api:
    return load_spec(FIXTURES / "secured.yaml")


@pytest.fixture(scope="module")
def v3() -> Api:
    return load_spec(FIXTURES / "secured-3.0.yaml")


def test_2x_server_security_for_the_main_namespace(v2: Api) -> None:
    security = security_of(v2, "/")
    assert security.authenticate(environ("Bearer good-token"), None)["sub"] == "alice"
    assert security.authenticate(environ(headers={"x-api-key": "key-123"}), None)
    with pytest.raises(SecurityException, match=r"^unauthorized$"):
        security.authenticate(environ(basic("alice", "wonderland")), None)
    assert infofuncs.calls("bearer_info") == [("good-token", [], "opaque")]


def test_2x_x_security_override_and_operation_scopes(v2: Api) -> None:
    security = security_of(v2, "/chat", "production")
    say = event_of(v2, "/chat", "say")
    writer = security.authenticate(environ(), {"token": "writer"})
    security.authorize_event(say, writer)
    reader = security.authenticate(environ(), {"token": "reader"})
    with pytest.raises(SecurityException, match="missing scope 'chat:write'"):
        security.authorize_event(say, reader)
    alice = security.authenticate(environ(basic("alice", "wonderland")), None)
    with pytest.raises(SecurityException, match="requires authentication with 'oauth'"):
        security.authorize_event(say, alice)
    with pytest.raises(SecurityException):  # the server's bearer scheme does not apply here
        security.authenticate(environ("Bearer good-token"), None)


def test_2x_public_namespace(v2: Api) -> None:
    public = v2.namespace("/public")
    assert public is not None
    assert ConnectSecurity.build(v2, public, "production") is None


def test_2x_and_of_query_and_cookie_keys(v2: Api) -> None:
    security = security_of(v2, "/keys")
    both = environ(query="api_key=key-123", cookie="session=key-123")
    assert security.authenticate(both, None)["sub"] == "service-a"
    assert len(infofuncs.calls("api_key_info")) == 2
    with pytest.raises(SecurityException):
        security.authenticate(environ(query="api_key=key-123"), None)
    assert security.authenticate(environ(basic("key-123", "")), None)["sub"] == "service-a"


def test_3x_server_security_is_a_list_of_alternatives(v3: Api) -> None:
    security = security_of(v3, "/chat")
    assert security.authenticate(environ("Bearer reader"), None)["sub"] == "reader"
    assert security.authenticate(environ(), {"username": "bob", "password": "builder"})
    with pytest.raises(SecurityException):
        security.authenticate(environ("Bearer nobody"), None)


def test_3x_operation_security_with_a_scheme_of_other_scopes(v3: Api) -> None:
    security = security_of(v3, "/chat")
    say = event_of(v3, "/chat", "say")
    writer = security.authenticate(environ("Bearer writer"), None)
    security.authorize_event(say, writer)
    reader = security.authenticate(environ("Bearer reader"), None)
    with pytest.raises(SecurityException, match="missing scope 'chat:write'"):
        security.authorize_event(say, reader)
    bob = security.authenticate(environ(), {"username": "bob", "password": "builder"})
    with pytest.raises(SecurityException, match="requires authentication with 'oauthWrite'"):
        security.authorize_event(say, bob)
    security.authorize_event(event_of(v3, "/chat", "ping"), bob)


def test_3x_x_security(v3: Api) -> None:
    public = v3.namespace("/public")
    assert public is not None
    assert ConnectSecurity.build(v3, public, None) is None
    keys = security_of(v3, "/keys")
    assert keys.authenticate(environ(headers={"X-Api-Key": "key-123"}), None)
    with pytest.raises(SecurityException):
        keys.authenticate(environ("Bearer writer"), None)


# -- errors name file and pointer ------------------------------------------------------------------


def document(**schemes: Any) -> dict[str, Any]:
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "T", "version": "1"},
        "servers": {"prod": {"url": "ws://h/socket.io", "protocol": "ws", "security": [{"s": []}]}},
        "channels": {
            "/": {"publish": {"message": {"name": "ping", "payload": {"type": "string"}}}}
        },
        "components": {"securitySchemes": schemes},
    }


def build_file(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    api = load_spec(path)
    ConnectSecurity.build(api, api.namespaces[0], None)


def test_missing_info_function_names_the_file_and_pointer(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        build_file(tmp_path, document(s={"type": "http", "scheme": "bearer"}))
    [(location, message)] = caught.value.problems
    assert location.file.endswith("api.yaml")
    assert location.pointer == "/components/securitySchemes/s"
    assert "has no x-bearerInfoFunc" in message
    assert "/servers/prod/security/0/s" in message


def test_unimportable_info_function_names_the_file_and_pointer(tmp_path: Path) -> None:
    scheme = {"type": "httpApiKey", "in": "query", "name": "k", "x-apiKeyInfoFunc": "no.where"}
    with pytest.raises(HandlerImportError) as caught:
        build_file(tmp_path, document(s=scheme))
    [(location, message)] = caught.value.problems
    assert location.pointer == "/components/securitySchemes/s/x-apiKeyInfoFunc"
    assert "'no.where'" in message
    assert str(location) in str(caught.value)


def test_undefined_scheme_names_the_file_and_pointer(tmp_path: Path) -> None:
    doc = document()
    with pytest.raises(SpecError) as caught:
        build_file(tmp_path, doc)
    [(location, _)] = caught.value.problems
    assert location.pointer == "/servers/prod/security/0/s"
