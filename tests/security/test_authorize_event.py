"""ConnectSecurity.authorize_event: operation-level security against the connection's token info."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from asynction.exceptions import SecurityException
from asynction.security import ConnectSecurity
from asynction.types import SecurityInfo
from tests.fixtures.security import infofuncs
from tests.security.builders import environ, incoming, secured

SAY = incoming("say", [{"oauth": ["chat:write"]}])
READ = incoming("read", [{"oauth": ["chat:read"]}])
FREE = incoming("free")
OPEN = incoming("open", [])
EITHER = incoming("either", [{"oauth": ["admin"]}, {"header_key": []}])
BOTH = incoming("both", [{"oauth": ["chat:read"], "header_key": []}])
ANYONE = incoming("anyone", [{"oauth": ["admin"]}, {}])
EVENTS = (SAY, READ, FREE, OPEN, EITHER, BOTH, ANYONE)


@pytest.fixture(autouse=True)
def _fresh_calls() -> Iterator[None]:
    infofuncs.reset()
    yield
    infofuncs.reset()


@pytest.fixture
def security() -> ConnectSecurity:
    # The schemes a connection passed are those of the first requirement it met: the AND comes
    # first so that a client presenting both credentials passes both.
    return secured(
        [{"oauth": [], "header_key": []}, {"oauth": []}, {"header_key": []}], events=EVENTS
    )


def forbidden(security: ConnectSecurity, event_name: str, info: SecurityInfo) -> str:
    event = next(event for event in EVENTS if event.name == event_name)
    with pytest.raises(SecurityException) as caught:
        security.authorize_event(event, info)
    return str(caught.value)


def test_granted_scope_runs_the_event(security: ConnectSecurity) -> None:
    info = security.authenticate(environ("Bearer writer"), None)
    security.authorize_event(SAY, info)
    security.authorize_event(READ, info)


def test_missing_scope_is_forbidden(security: ConnectSecurity) -> None:
    info = security.authenticate(environ("Bearer reader"), None)
    security.authorize_event(READ, info)
    assert (
        forbidden(security, "say", info) == "forbidden: missing scope 'chat:write' for event 'say'"
    )


def test_events_without_operation_security_are_not_checked(security: ConnectSecurity) -> None:
    info = security.authenticate(environ(headers={"X-API-Key": "key-123"}), None)
    security.authorize_event(FREE, info)
    security.authorize_event(OPEN, info)


def test_a_scheme_the_connection_did_not_pass_is_forbidden(security: ConnectSecurity) -> None:
    # The API key's token info grants "chat:read", but the event wants it from the oauth2 scheme.
    info = security.authenticate(environ(headers={"X-API-Key": "key-123"}), None)
    assert info["scopes"] == ["chat:read"]
    assert forbidden(security, "read", info) == (
        "forbidden: event 'read' requires authentication with 'oauth'"
    )


def test_or_across_operation_requirements(security: ConnectSecurity) -> None:
    by_key = security.authenticate(environ(headers={"X-API-Key": "key-123"}), None)
    security.authorize_event(EITHER, by_key)
    by_admin = security.authenticate(environ("Bearer admin"), None)
    security.authorize_event(EITHER, by_admin)
    by_reader = security.authenticate(environ("Bearer reader"), None)
    assert forbidden(security, "either", by_reader) == (
        "forbidden: missing scope 'admin' for event 'either'"
    )
    security.authorize_event(ANYONE, by_reader)


def test_and_within_an_operation_requirement(security: ConnectSecurity) -> None:
    only_token = security.authenticate(environ("Bearer reader"), None)
    assert "requires authentication with 'header_key'" in forbidden(security, "both", only_token)
    both = security.authenticate(environ("Bearer reader", headers={"X-API-Key": "key-123"}), None)
    security.authorize_event(BOTH, both)


def test_scopes_are_those_the_scheme_granted(security: ConnectSecurity) -> None:
    # AND of oauth ("chat:read" only) and an API key: the key's scopes are not oauth's scopes.
    info = security.authenticate(environ("Bearer reader", headers={"X-API-Key": "key-123"}), None)
    assert "missing scope 'chat:write'" in forbidden(security, "say", info)


def test_a_plain_mapping_token_info_is_judged_by_its_scopes(security: ConnectSecurity) -> None:
    security.authorize_event(SAY, {"sub": "x", "scope": "chat:read chat:write"})
    assert "missing scope 'chat:write'" in forbidden(security, "say", {"scopes": ["chat:read"]})
    assert "missing scope" in forbidden(security, "say", {})


def test_custom_scope_validation_applies_to_events() -> None:
    say = incoming("say", [{"oauth_custom": ["chat:write"]}])
    security = secured([{"oauth_custom": []}], events=[say])
    admin = security.authenticate(environ("Bearer admin"), None)
    security.authorize_event(say, admin)
    assert (["chat:write"], ["admin"]) in infofuncs.calls("admin_or_all")
    reader = security.authenticate(environ("Bearer reader"), None)
    with pytest.raises(SecurityException, match="missing scope 'chat:write'"):
        security.authorize_event(say, reader)


def test_authorisation_never_calls_info_functions(security: ConnectSecurity) -> None:
    info = security.authenticate(environ("Bearer writer"), None)
    infofuncs.reset()
    for _ in range(3):
        security.authorize_event(SAY, info)
    assert infofuncs.CALLS == []
