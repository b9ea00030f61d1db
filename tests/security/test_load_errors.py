"""ConnectSecurity.build: every load-time problem is an error naming its spec location."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from asynction.exceptions import HandlerImportError, SpecError, SpecLocation
from asynction.security import ConnectSecurity
from asynction.spec.model import SecurityScheme
from tests.security.builders import FILE, FUNCS, SCHEMES, build_api, incoming, scheme, server


def problems(
    namespace_security: Sequence[Mapping[str, Sequence[str]]] | None,
    *,
    schemes: Mapping[str, SecurityScheme] = SCHEMES,
    expected: type[SpecError] = SpecError,
    **fields: Any,
) -> list[tuple[str, str]]:
    """The (location, message) pairs of the error build raises."""
    api, namespace = build_api(namespace_security, schemes=schemes, **fields)
    with pytest.raises(SpecError) as caught:
        ConnectSecurity.build(api, namespace, fields.get("server_name"))
    assert type(caught.value) is expected
    for location, message in caught.value.problems:
        assert f"{location}: {message}" in str(caught.value)
    return [(str(location), message) for location, message in caught.value.problems]


def with_scheme(definition: SecurityScheme) -> dict[str, SecurityScheme]:
    return {**SCHEMES, definition.name: definition}


def test_requirement_naming_an_undefined_scheme() -> None:
    [(where, message)] = problems([{"bearer": []}, {"jwt": []}])
    assert where == f"{FILE}#/channels/~1chat/x-security/1/jwt"
    assert "'jwt', which components.securitySchemes does not define" in message
    assert "'bearer'" in message  # the defined ones are listed


def test_server_requirement_naming_an_undefined_scheme() -> None:
    api, namespace = build_api(None, servers=[server("prod", [{"nope": []}])])
    with pytest.raises(SpecError) as caught:
        ConnectSecurity.build(api, namespace, "prod")
    [(where, message)] = caught.value.problems
    assert where == SpecLocation(FILE, "/servers/prod/security/0/nope")
    assert "server 'prod'" in message


@pytest.mark.parametrize(
    ("definition", "label"),
    [
        (scheme("x509", "X509"), "X509"),
        (scheme("x509", "http", scheme="digest"), "http digest"),
        (scheme("x509", "scramSha256"), "scramSha256"),
    ],
)
def test_requirement_of_an_unsupported_scheme_type(definition: SecurityScheme, label: str) -> None:
    [(where, message)] = problems([{"x509": []}], schemes=with_scheme(definition))
    assert where == f"{FILE}#/channels/~1chat/x-security/0/x509"
    assert f"type {label}" in message
    assert "cannot check" in message
    assert "/components/securitySchemes/x509" in message


@pytest.mark.parametrize(
    ("definition", "needs"),
    [
        (scheme("k", "httpApiKey", location_in="body", parameter_name="k"), "header, query"),
        (scheme("k", "httpApiKey", location_in="header"), "header, query"),
        (scheme("k", "apiKey", location_in="header"), "user or password"),
    ],
)
def test_api_key_schemes_with_a_bad_location(definition: SecurityScheme, needs: str) -> None:
    [(where, message)] = problems([{"k": []}], schemes=with_scheme(definition))
    assert where == f"{FILE}#/components/securitySchemes/k"
    assert needs in message


@pytest.mark.parametrize("scheme_name", ["basic", "bearer", "header_key", "user_key"])
def test_scopes_on_a_scheme_that_has_none(scheme_name: str) -> None:
    [(where, message)] = problems([{scheme_name: ["admin"]}])
    assert where == f"{FILE}#/channels/~1chat/x-security/0/{scheme_name}"
    assert "which has no scopes" in message


def test_scopes_an_oauth2_scheme_does_not_declare() -> None:
    [(where, message)] = problems([{"oauth": ["chat:read", "root"]}])
    assert where == f"{FILE}#/channels/~1chat/x-security/0/oauth"
    assert "['root']" in message
    assert "none of its flows declares" in message


def test_open_id_connect_scopes_are_not_declared_in_the_document() -> None:
    api, namespace = build_api([{"oidc": ["anything"]}])
    assert ConnectSecurity.build(api, namespace, None) is not None


@pytest.mark.parametrize(
    ("type_", "fields", "extension"),
    [
        ("http", {"scheme": "basic"}, "x-basicInfoFunc"),
        ("userPassword", {}, "x-basicInfoFunc"),
        ("http", {"scheme": "bearer"}, "x-bearerInfoFunc"),
        ("httpApiKey", {"location_in": "query", "parameter_name": "k"}, "x-apiKeyInfoFunc"),
        ("apiKey", {"location_in": "password"}, "x-apiKeyInfoFunc"),
        ("oauth2", {}, "x-tokenInfoFunc"),
        ("openIdConnect", {}, "x-tokenInfoFunc"),
    ],
)
def test_a_scheme_in_use_without_its_info_function(
    type_: str, fields: dict[str, Any], extension: str
) -> None:
    [(where, message)] = problems([{"s": []}], schemes=with_scheme(scheme("s", type_, **fields)))
    assert where == f"{FILE}#/components/securitySchemes/s"
    assert f"has no {extension}" in message
    assert "x-security/0/s" in message  # where it is required


def test_an_unused_scheme_needs_no_info_function() -> None:
    api, namespace = build_api([{"bearer": []}], schemes=with_scheme(scheme("unused", "oauth2")))
    assert ConnectSecurity.build(api, namespace, None) is not None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (FUNCS + "no_such_function", "no_such_function"),
        ("tests.fixtures.security.no_such_module.info", "No module named"),
        ("tests.fixtures.security.broken.info", "asynction_test_no_such_dependency"),
        ("nosuchtoplevelpackage.info", "No module named 'nosuchtoplevelpackage'"),
        ("justaname", "not a dotted path"),
        (FUNCS + "NOT_A_FUNCTION", "is a int, not a function"),
    ],
)
def test_an_info_function_that_does_not_import(path: str, expected: str) -> None:
    definition = scheme("s", "http", scheme="bearer", extensions={"x-bearerInfoFunc": path})
    [(where, message)] = problems(
        [{"s": []}], schemes=with_scheme(definition), expected=HandlerImportError
    )
    assert where == f"{FILE}#/components/securitySchemes/s/x-bearerInfoFunc"
    assert repr(path) in message
    assert expected in message


def test_colon_separated_dotted_paths_import() -> None:
    definition = scheme(
        "s", "http", scheme="bearer", extensions={"x-bearerInfoFunc": FUNCS[:-1] + ":bearer_info"}
    )
    api, namespace = build_api([{"s": []}], schemes=with_scheme(definition))
    assert ConnectSecurity.build(api, namespace, None) is not None


def test_a_scope_validate_function_that_does_not_import() -> None:
    definition = scheme(
        "oauth",
        "oauth2",
        scopes=("a",),
        extensions={"x-tokenInfoFunc": FUNCS + "token_info", "x-scopeValidateFunc": "nope.x"},
    )
    [(where, _)] = problems(
        [{"oauth": ["a"]}], schemes=with_scheme(definition), expected=HandlerImportError
    )
    assert where == f"{FILE}#/components/securitySchemes/oauth/x-scopeValidateFunc"


def test_an_info_function_that_is_not_a_string() -> None:
    definition = scheme("s", "http", scheme="bearer", extensions={"x-bearerInfoFunc": 42})
    [(where, message)] = problems([{"s": []}], schemes=with_scheme(definition))
    assert where == f"{FILE}#/components/securitySchemes/s/x-bearerInfoFunc"
    assert "dotted path" in message


def test_every_problem_is_reported_at_once() -> None:
    found = problems([{"jwt": []}, {"basic": ["admin"]}, {"oauth": ["root"]}])
    assert [where.split("#")[1] for where, _ in found] == [
        "/channels/~1chat/x-security/0/jwt",
        "/channels/~1chat/x-security/1/basic",
        "/channels/~1chat/x-security/2/oauth",
    ]


def test_operation_security_on_a_public_namespace() -> None:
    say = incoming("say", [{"oauth": ["chat:write"]}])
    [(where, message)] = problems(None, events=[say])
    assert where == f"{FILE}#/components/messages/say"
    assert "incoming event 'say'" in message
    assert "no connection to namespace '/chat' authenticates with it" in message


def test_operation_security_naming_a_scheme_connections_never_use() -> None:
    say = incoming("say", [{"bearer": []}, {"oauth": ["chat:write"]}])
    [(where, message)] = problems([{"bearer": []}], events=[say])
    assert where == f"{FILE}#/components/messages/say"
    assert "requirement 1 of incoming event 'say'" in message
    assert "'oauth'" in message


def test_operation_security_is_checked_like_any_requirement() -> None:
    say = incoming("say", [{"bearer": ["admin"]}, {"ghost": []}])
    found = problems([{"bearer": []}], events=[say])
    assert len(found) == 2
    assert "which has no scopes" in found[0][1]
    assert "'ghost', which components.securitySchemes does not define" in found[1][1]


def test_unknown_server_name_is_an_error() -> None:
    api, namespace = build_api(None, servers=[server("prod", [{"bearer": []}])])
    with pytest.raises(SpecError, match=r"server_name 'staging' names no server.*'prod'"):
        ConnectSecurity.build(api, namespace, "staging")
