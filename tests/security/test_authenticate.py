"""ConnectSecurity.authenticate on hand-built models: every scheme, both credential sources."""

from __future__ import annotations

import base64
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from socketio.exceptions import ConnectionRefusedError as SocketIOConnectionRefusedError

from asynction.exceptions import SecurityException
from asynction.security import ConnectSecurity, TokenInfo
from tests.fixtures.security import infofuncs
from tests.security.builders import (
    FUNCS,
    SCHEMES,
    basic,
    build_api,
    environ,
    scheme,
    secured,
    server,
)


@pytest.fixture(autouse=True)
def _fresh_calls() -> Iterator[None]:
    infofuncs.reset()
    yield
    infofuncs.reset()


def refused(security: ConnectSecurity, env: dict[str, Any], auth: Any = None) -> str:
    """The client-facing message of a refused attempt."""
    with pytest.raises(SecurityException) as caught:
        security.authenticate(env, auth)
    assert isinstance(caught.value, ConnectionRefusedError)
    assert isinstance(caught.value, SocketIOConnectionRefusedError)
    return str(caught.value)


# -- public namespaces --------------------------------------------------------------------------


def test_no_security_anywhere_is_public() -> None:
    api, namespace = build_api(None)
    assert ConnectSecurity.build(api, namespace, None) is None


def test_empty_x_security_makes_a_namespace_public_despite_server_security() -> None:
    api, namespace = build_api([], servers=[server("prod", [{"bearer": []}])])
    assert ConnectSecurity.build(api, namespace, "prod") is None
    assert ConnectSecurity.build(api, namespace, None) is None


# -- http basic and userPassword ----------------------------------------------------------------


@pytest.mark.parametrize("scheme_name", ["basic", "user_password"])
def test_basic_from_the_authorization_header(scheme_name: str) -> None:
    security = secured([{scheme_name: []}])
    info = security.authenticate(environ(basic("alice", "wonderland")), None)
    assert info == {"sub": "alice", "scopes": ["chat:read"]}
    assert infofuncs.calls("basic_info") == [("alice", "wonderland", [])]


def test_basic_keyword_is_case_insensitive_and_password_may_hold_colons() -> None:
    security = secured([{"basic": []}])
    header = "bAsIc " + base64.b64encode(b"alice:won:der").decode()
    assert refused(security, environ(header)) == "unauthorized"
    assert infofuncs.calls("basic_info") == [("alice", "won:der", [])]


def test_basic_from_the_auth_payload() -> None:
    security = secured([{"basic": []}])
    info = security.authenticate(environ(), {"username": "bob", "password": "builder"})
    assert info["sub"] == "bob"


def test_basic_wrong_password_is_refused() -> None:
    security = secured([{"basic": []}])
    assert refused(security, environ(basic("alice", "guess"))) == "unauthorized"
    assert len(infofuncs.calls("basic_info")) == 1


@pytest.mark.parametrize(
    "header",
    [
        "Basic not*base64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic ",
        "Bearer good-token",
    ],
)
def test_basic_without_a_usable_credential_never_calls_the_info_function(header: str) -> None:
    security = secured([{"basic": []}])
    assert refused(security, environ(header)) == "unauthorized"
    assert infofuncs.CALLS == []


@pytest.mark.parametrize(
    "auth",
    [None, "alice:wonderland", {"username": "alice"}, {"username": "alice", "password": 1}],
)
def test_basic_auth_payload_must_carry_two_strings(auth: Any) -> None:
    security = secured([{"basic": []}])
    assert refused(security, environ(), auth) == "unauthorized"
    assert infofuncs.CALLS == []


# -- http bearer ---------------------------------------------------------------------------------


def test_bearer_from_the_header_passes_bearer_format() -> None:
    security = secured([{"bearer": []}])
    info = security.authenticate(environ("Bearer good-token"), None)
    assert info == {"sub": "alice", "scopes": ["chat:read"]}
    assert infofuncs.calls("bearer_info") == [("good-token", [], "JWT")]


def test_bearer_from_the_auth_payload() -> None:
    security = secured([{"bearer": []}])
    info = security.authenticate(environ(), {"token": "uid-token"})
    assert info["uid"] == 42


def test_the_http_credential_wins_over_the_auth_payload() -> None:
    security = secured([{"bearer": []}])
    assert refused(security, environ("Bearer wrong"), {"token": "good-token"}) == "unauthorized"
    assert infofuncs.calls("bearer_info") == [("wrong", [], "JWT")]


@pytest.mark.parametrize(
    ("env", "auth"),
    [
        (environ(), None),
        (environ(), {"token": ""}),
        (environ(), {"token": 12345}),
        (environ(), ["good-token"]),
        (environ("Bearer"), None),
        (environ("Token good-token"), None),
    ],
)
def test_bearer_missing_is_refused_without_calling(env: dict[str, Any], auth: Any) -> None:
    security = secured([{"bearer": []}])
    assert refused(security, env, auth) == "unauthorized"
    assert infofuncs.CALLS == []


def test_info_function_returning_none_refuses() -> None:
    security = secured([{"bearer": []}])
    assert refused(security, environ("Bearer unknown")) == "unauthorized"


def test_builtin_connection_refused_error_message_reaches_the_client() -> None:
    security = secured([{"bearer": []}])
    assert refused(security, environ("Bearer expired")) == "token expired"


def test_socketio_connection_refused_error_message_reaches_the_client() -> None:
    security = secured([{"bearer": []}])
    assert refused(security, environ(), {"token": "revoked"}) == "token revoked"


def test_other_exceptions_are_logged_never_sent(caplog: pytest.LogCaptureFixture) -> None:
    security = secured([{"bearer": []}])
    with caplog.at_level(logging.DEBUG, logger="asynction.security"):
        message = refused(security, environ("Bearer crash"))
    assert message == "unauthorized"
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert "hunter2" in str(errors[0].exc_info[1])
    assert "bearer_info" in errors[0].getMessage()


def test_a_socket_errors_connection_refused_error_is_internal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    security = secured([{"bearer": []}])
    with caplog.at_level(logging.ERROR, logger="asynction.security"):
        assert refused(security, environ("Bearer errno")) == "unauthorized"
    assert any(record.exc_info for record in caplog.records)


def test_a_non_mapping_result_refuses(caplog: pytest.LogCaptureFixture) -> None:
    security = secured([{"bearer": []}])
    with caplog.at_level(logging.ERROR, logger="asynction.security"):
        assert refused(security, environ("Bearer not-a-mapping")) == "unauthorized"
    assert "returned str" in caplog.text


def test_credentials_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    security = secured([{"basic": [], "bearer": []}, {"header_key": []}, {"oauth": ["chat:write"]}])
    secrets = ("S3cr3t-pa55", "t0ken-value", "k3y-value")
    with caplog.at_level(logging.DEBUG):
        refused(
            security,
            environ(basic("alice", secrets[0]), headers={"X-API-Key": secrets[2]}),
            {"token": secrets[1]},
        )
        refused(
            security, environ("Bearer " + secrets[1]), {"username": "x", "password": secrets[0]}
        )
    assert caplog.records, "refusals are logged"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        assert not any(secret in text for secret in secrets), text


# -- API keys ------------------------------------------------------------------------------------


def test_api_key_in_a_header_any_case() -> None:
    security = secured([{"header_key": []}])
    env = environ()
    env["HTTP_X_API_KEY"] = "key-123"  # how a WSGI server presents "x-api-key: key-123"
    assert security.authenticate(env, None)["sub"] == "service-a"
    assert infofuncs.calls("api_key_info") == [("key-123", [])]


def test_api_key_in_the_query() -> None:
    security = secured([{"query_key": []}])
    assert security.authenticate(environ(query="api_key=key-123"), None)["sub"] == "service-a"


def test_api_key_in_a_cookie() -> None:
    security = secured([{"cookie_key": []}])
    env = environ(cookie="theme=dark; session=key-123")
    assert security.authenticate(env, None)["sub"] == "service-a"


@pytest.mark.parametrize("scheme_name", ["header_key", "query_key", "cookie_key"])
def test_api_key_from_the_auth_payload_under_its_name(scheme_name: str) -> None:
    name = {"header_key": "X-API-Key", "query_key": "api_key", "cookie_key": "session"}[scheme_name]
    security = secured([{scheme_name: []}])
    assert security.authenticate(environ(), {name: "key-123"})["sub"] == "service-a"


@pytest.mark.parametrize(
    ("scheme_name", "env"),
    [
        ("query_key", environ(query="api_key=key-123&api_key=other")),
        ("query_key", environ(query="api_key=")),
        ("cookie_key", environ(cookie="session=key-123; session=other")),
        ("header_key", environ(headers={"X-Other-Key": "key-123"})),
    ],
)
def test_api_key_ambiguous_or_missing_is_refused_without_calling(
    scheme_name: str, env: dict[str, Any]
) -> None:
    security = secured([{scheme_name: []}])
    assert refused(security, env) == "unauthorized"
    assert infofuncs.CALLS == []


def test_api_key_wrong_is_refused() -> None:
    security = secured([{"query_key": []}])
    assert refused(security, environ(query="api_key=key-999")) == "unauthorized"
    assert infofuncs.calls("api_key_info") == [("key-999", [])]


@pytest.mark.parametrize(
    ("scheme_name", "env", "auth"),
    [
        ("user_key", environ(basic("key-123", "")), None),
        ("user_key", environ(), {"username": "key-123"}),
        ("password_key", environ(basic("anyone", "key-123")), None),
        ("password_key", environ(), {"password": "key-123"}),
    ],
)
def test_2x_api_key_in_user_or_password(scheme_name: str, env: dict[str, Any], auth: Any) -> None:
    security = secured([{scheme_name: []}])
    assert security.authenticate(env, auth)["sub"] == "service-a"
    assert infofuncs.calls("api_key_info") == [("key-123", [])]


# -- oauth2 and openIdConnect --------------------------------------------------------------------


@pytest.mark.parametrize("scheme_name", ["oauth", "oidc"])
def test_token_info_with_required_scopes_granted(scheme_name: str) -> None:
    security = secured([{scheme_name: ["chat:read"]}])
    info = security.authenticate(environ("Bearer reader"), None)
    assert info == {"sub": "reader", "scope": "chat:read"}
    assert infofuncs.calls("token_info") == [("reader",)]


def test_token_info_from_the_auth_payload() -> None:
    security = secured([{"oauth": ["chat:write"]}])
    assert security.authenticate(environ(), {"token": "writer"})["sub"] == "writer"


def test_token_info_missing_scope_is_refused() -> None:
    security = secured([{"oauth": ["chat:read", "chat:write"]}])
    assert refused(security, environ("Bearer reader")) == "unauthorized"
    assert len(infofuncs.calls("token_info")) == 1


def test_custom_scope_validation() -> None:
    security = secured([{"oauth_custom": ["chat:write"]}])
    assert security.authenticate(environ("Bearer admin"), None)["sub"] == "admin"
    assert infofuncs.calls("admin_or_all") == [(["chat:write"], ["admin"])]
    assert refused(security, environ("Bearer reader")) == "unauthorized"


def test_crashing_scope_validation_refuses(caplog: pytest.LogCaptureFixture) -> None:
    crashing = scheme(
        "oauth",
        "oauth2",
        scopes=("chat:read",),
        extensions={
            "x-tokenInfoFunc": FUNCS + "token_info",
            "x-scopeValidateFunc": FUNCS + "crashing_validate",
        },
    )
    security = secured([{"oauth": ["chat:read"]}], schemes={**SCHEMES, "oauth": crashing})
    with caplog.at_level(logging.ERROR, logger="asynction.security"):
        assert refused(security, environ("Bearer reader")) == "unauthorized"
    assert "crashing_validate" in caplog.text


# -- AND / OR --------------------------------------------------------------------------------------


def test_and_every_scheme_must_pass_and_token_infos_merge() -> None:
    security = secured([{"bearer": [], "header_key": []}])
    env = environ("Bearer good-token", headers={"X-API-Key": "key-123"})
    info = security.authenticate(env, None)
    # The first scheme's keys win; the second only adds keys.
    assert info == {"sub": "alice", "scopes": ["chat:read"]}
    assert isinstance(info, TokenInfo)
    assert info.schemes == {"bearer", "header_key"}
    assert len(infofuncs.CALLS) == 2


def test_and_with_one_credential_missing_runs_no_info_function() -> None:
    security = secured([{"bearer": [], "header_key": []}])
    assert refused(security, environ("Bearer good-token")) == "unauthorized"
    assert infofuncs.CALLS == []


def test_and_with_one_credential_wrong_is_refused() -> None:
    security = secured([{"bearer": [], "header_key": []}])
    env = environ("Bearer good-token", headers={"X-API-Key": "wrong"})
    assert refused(security, env) == "unauthorized"


def test_or_the_first_requirement_that_passes_wins() -> None:
    security = secured([{"header_key": []}, {"bearer": []}])
    info = security.authenticate(environ("Bearer uid-token"), None)
    assert info["uid"] == 42
    assert isinstance(info, TokenInfo)
    assert info.schemes == {"bearer"}
    assert infofuncs.calls("api_key_info") == []


def test_or_each_info_function_runs_once_per_attempt() -> None:
    security = secured(
        [
            {"bearer": [], "header_key": []},
            {"bearer": [], "query_key": []},
            {"oauth": ["chat:write"]},
            {"oauth": ["chat:read"]},
        ]
    )
    # bearer_info: refused once, reused for the second requirement; token_info (same header)
    # runs once even though two requirements check its scopes.
    env = environ("Bearer reader", headers={"X-API-Key": "key-123"}, query="api_key=key-123")
    info = security.authenticate(env, None)
    assert info["sub"] == "reader"
    assert len(infofuncs.calls("bearer_info")) == 1
    assert len(infofuncs.calls("token_info")) == 1
    assert infofuncs.calls("api_key_info") == []


def test_or_all_failing_names_a_refusal_message_if_one_was_given() -> None:
    security = secured([{"header_key": []}, {"bearer": []}])
    assert refused(security, environ("Bearer expired")) == "token expired"


def test_an_empty_requirement_lets_anybody_in_after_the_others() -> None:
    security = secured([{"bearer": []}, {}])
    assert security.authenticate(environ("Bearer good-token"), None)["sub"] == "alice"
    anonymous = security.authenticate(environ(), None)
    assert anonymous == {}
    assert isinstance(anonymous, TokenInfo)
    assert anonymous.schemes == frozenset()


def test_each_attempt_is_independent() -> None:
    security = secured([{"bearer": []}])
    assert security.authenticate(environ("Bearer good-token"), None)["sub"] == "alice"
    assert refused(security, environ("Bearer nope")) == "unauthorized"
    assert security.authenticate(environ("Bearer good-token"), None)["sub"] == "alice"
    assert len(infofuncs.calls("bearer_info")) == 3


# -- which requirements apply --------------------------------------------------------------------


def test_the_picked_servers_security_applies() -> None:
    servers = [server("prod", [{"bearer": []}]), server("dev", [{"header_key": []}])]
    api, namespace = build_api(None, servers=servers)
    security = ConnectSecurity.build(api, namespace, "dev")
    assert security is not None
    assert security.authenticate(environ(headers={"X-API-Key": "key-123"}), None)
    assert refused(security, environ("Bearer good-token")) == "unauthorized"


def test_the_only_servers_security_applies_without_a_name() -> None:
    api, namespace = build_api(None, servers=[server("prod", [{"bearer": []}])])
    security = ConnectSecurity.build(api, namespace, None)
    assert security is not None
    assert security.authenticate(environ("Bearer good-token"), None)["sub"] == "alice"


def test_several_servers_with_security_and_none_picked_warns_and_accepts_any() -> None:
    servers = [server("prod", [{"bearer": []}]), server("dev", [{"header_key": []}])]
    api, namespace = build_api(None, servers=servers)
    with pytest.warns(UserWarning, match=r"no server_name.*'/chat'.*'prod', 'dev'"):
        security = ConnectSecurity.build(api, namespace, None)
    assert security is not None
    assert security.authenticate(environ("Bearer good-token"), None)
    assert security.authenticate(environ(headers={"X-API-Key": "key-123"}), None)
    assert refused(security, environ()) == "unauthorized"


def test_a_public_server_among_several_does_not_make_the_namespace_public() -> None:
    servers = [server("prod", [{"bearer": []}]), server("local")]
    api, namespace = build_api(None, servers=servers)
    with pytest.warns(UserWarning, match="'prod'"):
        security = ConnectSecurity.build(api, namespace, None)
    assert security is not None
    assert refused(security, environ()) == "unauthorized"
    api, namespace = build_api(None, servers=servers)
    assert ConnectSecurity.build(api, namespace, "local") is None


def test_x_security_replaces_server_security_without_warning() -> None:
    servers = [server("prod", [{"bearer": []}]), server("dev", [{"bearer": []}])]
    api, namespace = build_api([{"header_key": []}], servers=servers)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        security = ConnectSecurity.build(api, namespace, None)
    assert security is not None
    assert refused(security, environ("Bearer good-token")) == "unauthorized"
    assert security.authenticate(environ(headers={"X-API-Key": "key-123"}), None)
