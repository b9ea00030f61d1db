"""The structure check of raw AsyncAPI documents (asynction.spec.structure).

Official examples published by the AsyncAPI project (tests/spec/official, see its README) must pass,
official invalid documents must be refused, and hand-made mutations check each rule with the exact
JSON pointer and message.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asynction.exceptions import SpecError, SpecLocation
from asynction.spec.loader import read_file
from asynction.spec.structure import MAX_PROBLEMS, SUPPORTED_VERSIONS, check_structure

OFFICIAL = Path(__file__).parent / "official"
VALID = sorted(p for p in OFFICIAL.glob("[23].*/*") if p.suffix in (".yml", ".yaml", ".json"))
INVALID = sorted(p for p in (OFFICIAL / "invalid").iterdir() if p.suffix in (".yml", ".yaml"))

# The first problem each official invalid document must be refused with.
INVALID_FIRST_PROBLEM = {
    "2.0.0-message-with-duplicate-tags.yaml": (
        "/channels/~1user~1signedup/subscribe/message/tags/1",
        "duplicate tag 'user'",
    ),
    "2.0.0-missing-info-title.yaml": ("/info/title", "required field is missing"),
    "2.0.0-root-with-duplicate-tags.yaml": ("/tags/1", "duplicate tag 'user'"),
    "2.1.0-messages-example.yml": (
        "/channels/myChannel/subscribe/message/examples/0",
        "a message example needs 'payload' or 'headers'",
    ),
    "2.4.0-streetlights-operation-security.yml": (
        "/channels/smartylighting.streetlights.1.0.event.{streetlightId}.lighting.measured"
        "/publish/security",
        "expected an array, got object",
    ),
    "3.0.0-rpc-server-parameter-schema.yml": (
        "/channels/{queue}/parameters/queue/schema",
        "field 'schema' exists only in AsyncAPI 2.x (document is 3.0.0)",
    ),
}


def problems(document: Any, file: str = "spec.yaml") -> list[tuple[str, str]]:
    """The (pointer, message) problems check_structure reports; [] when the document passes."""
    try:
        check_structure(document, file=file)
    except SpecError as error:
        for location, _ in error.problems:
            assert location.file == file
        return [(location.pointer, message) for location, message in error.problems]
    return []


# --------------------------------------------------------------------------------------------
# Official examples


def test_every_supported_version_has_official_examples() -> None:
    versions = {path.parent.name for path in VALID}
    assert versions == set(SUPPORTED_VERSIONS)


@pytest.mark.parametrize("path", VALID, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_official_valid_example_passes(path: Path) -> None:
    document = read_file(path)
    assert document["asyncapi"] == path.parent.name
    assert problems(document, str(path)) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_official_invalid_example_is_refused(path: Path) -> None:
    found = problems(read_file(path), str(path))
    pointer, message = INVALID_FIRST_PROBLEM[path.name]
    assert found, f"{path.name} passed"
    assert found[0][0] == pointer
    assert message in found[0][1]


def test_invalid_fixtures_are_all_described() -> None:
    assert {path.name for path in INVALID} == set(INVALID_FIRST_PROBLEM)


# --------------------------------------------------------------------------------------------
# Version field


def minimal(version: str) -> dict[str, Any]:
    """The smallest valid document of a version."""
    document: dict[str, Any] = {"asyncapi": version, "info": {"title": "t", "version": "1"}}
    if version.startswith("2."):
        document["channels"] = {}
    return document


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_minimal_document_passes(version: str) -> None:
    assert problems(minimal(version)) == []


@pytest.mark.parametrize("version", ["2.6.1", "1.2.0", "3.1.0", "2.0", "3.0", "2.0.0-rc2", ""])
def test_unsupported_version_is_refused_naming_the_supported_ones(version: str) -> None:
    document = minimal("2.6.0") | {"asyncapi": version}
    [(pointer, message)] = problems(document)
    assert pointer == "/asyncapi"
    assert f"unsupported AsyncAPI version {version!r}" in message
    assert ", ".join(SUPPORTED_VERSIONS) in message


def test_missing_version_is_refused() -> None:
    document = minimal("2.6.0")
    del document["asyncapi"]
    [(pointer, message)] = problems(document)
    assert pointer == "/asyncapi"
    assert message.startswith("required field is missing")
    assert "3.0.0" in message


def test_version_must_be_a_string() -> None:
    [(pointer, message)] = problems(minimal("2.6.0") | {"asyncapi": 2.6})
    assert (pointer, message.split(" (")[0]) == ("/asyncapi", "expected a string, got number")


def test_document_must_be_a_mapping() -> None:
    with pytest.raises(SpecError) as caught:
        check_structure(["asyncapi"], file="x.json")  # type: ignore[arg-type]
    assert caught.value.problems[0][0] == SpecLocation("x.json", "")
    assert "must be an object, got array" in caught.value.problems[0][1]


# --------------------------------------------------------------------------------------------
# Mutations of small documents: each rule, with its pointer and message


def chat_v2(version: str = "2.6.0") -> dict[str, Any]:
    """A small but complete 2.x document touching most object kinds."""
    return {
        "asyncapi": version,
        "info": {"title": "Chat", "version": "1.0.0", "x-owner": "team"},
        "servers": {
            "prod": {
                "url": "ws://chat.example.com/{path}",
                "protocol": "wss",
                "variables": {"path": {"default": "socket.io", "enum": ["socket.io"]}},
                "security": [{"token": []}],
            }
        },
        "channels": {
            "/chat": {
                "description": "chat",
                "bindings": {"ws": {"method": "GET", "query": {"type": "object"}}},
                "publish": {
                    "operationId": "send",
                    "message": {
                        "name": "send",
                        "payload": {"type": "object", "properties": {"text": {"type": "string"}}},
                        "x-ack": {"args": {"type": "boolean"}},
                    },
                },
                "subscribe": {
                    "message": {
                        "oneOf": [
                            {"$ref": "#/components/messages/said"},
                            {"name": "left", "payload": {"type": ["string", "null"]}},
                        ]
                    }
                },
            },
            "/admin": {
                "parameters": {"room_id": {"$ref": "#/components/parameters/room"}},
                "publish": {"message": {"$ref": "#/components/messages/said"}},
            },
        },
        "components": {
            "messages": {"said": {"payload": {"type": "string"}}},
            "schemas": {"Text": {"type": "string"}, "Anything": True},
            "parameters": {"room": {"schema": {"type": "string"}}},
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def chat_v3() -> dict[str, Any]:
    """A small but complete 3.0 document."""
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Chat", "version": "1.0.0", "tags": [{"name": "chat"}]},
        "servers": {
            "prod": {
                "host": "chat.example.com",
                "protocol": "wss",
                "security": [{"$ref": "#/components/securitySchemes/token"}],
            }
        },
        "channels": {
            "chat": {
                "address": "/chat",
                "messages": {
                    "send": {"payload": {"type": "object"}},
                    "said": {"$ref": "#/components/messages/said"},
                },
                "bindings": {"ws": {"headers": {"type": "object"}, "bindingVersion": "0.1.0"}},
            }
        },
        "operations": {
            "send": {
                "action": "receive",
                "channel": {"$ref": "#/channels/chat"},
                "messages": [{"$ref": "#/channels/chat/messages/send"}],
                "reply": {"messages": [{"$ref": "#/channels/chat/messages/said"}]},
            }
        },
        "components": {
            "messages": {
                "said": {
                    "payload": {
                        "schemaFormat": "application/vnd.aai.asyncapi+json;version=3.0.0",
                        "schema": {"type": "string"},
                    }
                }
            },
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Sets the value at a '/'-separated path of plain keys ('~1' stands for '/')."""

    def mutate(document: dict[str, Any]) -> None:
        *parents, last = [part.replace("~1", "/") for part in path.strip("/").split("/")]
        target: Any = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = [part.replace("~1", "/") for part in path.strip("/").split("/")]
        target: Any = document
        for part in parents:
            target = target[part]
        del target[last]

    return mutate


PUBLISH = "/channels/~1chat/publish"

V2_CASES: list[tuple[str, str, Mutation, str, str]] = [
    # (id, version, mutation, pointer, message fragment)
    (
        "info-title-missing",
        "2.6.0",
        _delete("/info/title"),
        "/info/title",
        "required field is missing",
    ),
    ("channels-missing", "2.0.0", _delete("/channels"), "/channels", "required field is missing"),
    (
        "typo-in-operation",
        "2.6.0",
        _set(f"{PUBLISH}/mesage", {"payload": {}}),
        f"{PUBLISH}/mesage",
        "unknown field 'mesage' (did you mean 'message'? allowed: bindings, description, "
        "externalDocs, message, operationId, security, summary, tags, traits, x-…)",
    ),
    (
        "messageId-before-2.4",
        "2.3.0",
        _set(f"{PUBLISH}/message/messageId", "send"),
        f"{PUBLISH}/message/messageId",
        "field 'messageId' requires AsyncAPI ≥ 2.4.0 (document is 2.3.0)",
    ),
    (
        "operation-security-before-2.4",
        "2.3.0",
        _set(f"{PUBLISH}/security", [{"token": []}]),
        f"{PUBLISH}/security",
        "field 'security' requires AsyncAPI ≥ 2.4.0 (document is 2.3.0)",
    ),
    (
        "channel-servers-before-2.2",
        "2.1.0",
        _set("/channels/~1chat/servers", ["prod"]),
        "/channels/~1chat/servers",
        "field 'servers' requires AsyncAPI ≥ 2.2.0 (document is 2.1.0)",
    ),
    (
        "components-servers-before-2.3",
        "2.2.0",
        _set("/components/servers", {}),
        "/components/servers",
        "field 'servers' requires AsyncAPI ≥ 2.3.0 (document is 2.2.0)",
    ),
    (
        "components-channels-before-2.3",
        "2.2.0",
        _set("/components/channels", {}),
        "/components/channels",
        "requires AsyncAPI ≥ 2.3.0",
    ),
    (
        "components-serverVariables-before-2.4",
        "2.3.0",
        _set("/components/serverVariables", {}),
        "/components/serverVariables",
        "field 'serverVariables' requires AsyncAPI ≥ 2.4.0 (document is 2.3.0)",
    ),
    (
        "server-tags-before-2.5",
        "2.4.0",
        _set("/servers/prod/tags", [{"name": "eu"}]),
        "/servers/prod/tags",
        "field 'tags' requires AsyncAPI ≥ 2.5.0 (document is 2.4.0)",
    ),
    (
        "server-reference-before-2.3",
        "2.2.0",
        _set("/servers/prod", {"$ref": "#/components/servers/prod"}),
        "/servers/prod",
        "a Reference Object here requires AsyncAPI ≥ 2.3.0 (document is 2.2.0)",
    ),
    (
        "server-variable-reference-before-2.5",
        "2.4.0",
        _set("/servers/prod/variables/path", {"$ref": "#/components/serverVariables/p"}),
        "/servers/prod/variables/path",
        "a Reference Object here requires AsyncAPI ≥ 2.5.0 (document is 2.4.0)",
    ),
    (
        "example-name-before-2.1",
        "2.0.0",
        _set(f"{PUBLISH}/message/examples", [{"name": "hi", "payload": {}}]),
        f"{PUBLISH}/message/examples/0/name",
        "field 'name' requires AsyncAPI ≥ 2.1.0 (document is 2.0.0)",
    ),
    (
        "sasl-scheme-before-2.1",
        "2.0.0",
        _set("/components/securitySchemes/token", {"type": "plain"}),
        "/components/securitySchemes/token/type",
        "security scheme type 'plain' requires AsyncAPI ≥ 2.1.0 (document is 2.0.0)",
    ),
    (
        "server-url-integer",
        "2.6.0",
        _set("/servers/prod/url", 8080),
        "/servers/prod/url",
        "expected a string, got integer",
    ),
    (
        "server-protocol-missing",
        "2.6.0",
        _delete("/servers/prod/protocol"),
        "/servers/prod/protocol",
        "required field is missing",
    ),
    (
        "3.0-field-in-2.x",
        "2.6.0",
        _set("/operations", {}),
        "/operations",
        "field 'operations' exists only in AsyncAPI 3.0 (document is 2.6.0)",
    ),
    (
        "deprecated-not-boolean",
        "2.6.0",
        _set("/channels/~1chat/deprecated", "yes"),
        "/channels/~1chat/deprecated",
        "expected a boolean, got string",
    ),
    (
        "unknown-scheme-type",
        "2.6.0",
        _set("/components/securitySchemes/token", {"type": "kerberos"}),
        "/components/securitySchemes/token/type",
        "'kerberos' is not a security scheme type",
    ),
    (
        "apiKey-in-header",
        "2.6.0",
        _set("/components/securitySchemes/token", {"type": "apiKey", "in": "header"}),
        "/components/securitySchemes/token/in",
        "'header' is not one of 'user', 'password'",
    ),
    (
        "httpApiKey-without-name",
        "2.6.0",
        _set("/components/securitySchemes/token", {"type": "httpApiKey", "in": "query"}),
        "/components/securitySchemes/token/name",
        "required field is missing",
    ),
    (
        "bearerFormat-on-basic",
        "2.6.0",
        _set(
            "/components/securitySchemes/token",
            {"type": "http", "scheme": "basic", "bearerFormat": "JWT"},
        ),
        "/components/securitySchemes/token/bearerFormat",
        "only allowed when 'scheme' is 'bearer'",
    ),
    (
        "implicit-flow-without-authorizationUrl",
        "2.6.0",
        _set(
            "/components/securitySchemes/token",
            {"type": "oauth2", "flows": {"implicit": {"scopes": {}}}},
        ),
        "/components/securitySchemes/token/flows/implicit/authorizationUrl",
        "required field is missing (implicit flow)",
    ),
    (
        "implicit-flow-with-tokenUrl",
        "2.6.0",
        _set(
            "/components/securitySchemes/token",
            {
                "type": "oauth2",
                "flows": {
                    "implicit": {
                        "authorizationUrl": "https://a",
                        "tokenUrl": "https://t",
                        "scopes": {},
                    }
                },
            },
        ),
        "/components/securitySchemes/token/flows/implicit/tokenUrl",
        "not allowed in the implicit flow",
    ),
    (
        "3.0-scopes-name-in-2.x-flow",
        "2.6.0",
        _set(
            "/components/securitySchemes/token",
            {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "https://t", "availableScopes": {}}},
            },
        ),
        "/components/securitySchemes/token/flows/clientCredentials/availableScopes",
        "field 'availableScopes' exists only in AsyncAPI 3.0",
    ),
    (
        "parameter-name",
        "2.6.0",
        _set("/channels/~1admin/parameters/room id", {"schema": {"type": "string"}}),
        "/channels/~1admin/parameters/room id",
        "parameter name 'room id' must match ^[A-Za-z0-9_\\-]+$",
    ),
    (
        "component-name",
        "2.6.0",
        _set("/components/schemas/my schema", {}),
        "/components/schemas/my schema",
        "component name 'my schema' must match",
    ),
    (
        "empty-channel-name",
        "2.6.0",
        lambda document: document["channels"].__setitem__("", {}),
        "/channels/",
        "channel name must not be empty",
    ),
    (
        "payload-type-typo",
        "2.6.0",
        _set(f"{PUBLISH}/message/payload", {"type": "strng"}),
        f"{PUBLISH}/message/payload/type",
        "'strng' is not a JSON type",
    ),
    (
        "payload-type-integer",
        "2.6.0",
        _set(f"{PUBLISH}/message/payload", {"type": 3}),
        f"{PUBLISH}/message/payload/type",
        "expected a JSON type name or a non-empty array of them, got integer",
    ),
    (
        "payload-not-a-schema",
        "2.6.0",
        _set(f"{PUBLISH}/message/payload", "string"),
        f"{PUBLISH}/message/payload",
        "expected a schema (an object or a boolean), got string",
    ),
    (
        "headers-not-object",
        "2.6.0",
        _set(f"{PUBLISH}/message/headers", {"type": "string"}),
        f"{PUBLISH}/message/headers/type",
        "must be 'object' here",
    ),
    (
        "correlation-id-location",
        "2.6.0",
        _set(f"{PUBLISH}/message/correlationId", {"location": "header.id"}),
        f"{PUBLISH}/message/correlationId/location",
        "'header.id' is not a runtime expression",
    ),
    (
        "message-oneOf-with-siblings",
        "2.6.0",
        _set("/channels/~1chat/subscribe/message/name", "x"),
        "/channels/~1chat/subscribe/message/name",
        "unknown field 'name' (allowed: oneOf, x-…)",
    ),
    (
        "oneOf-item-typo",
        "2.6.0",
        _set("/channels/~1chat/subscribe/message/oneOf/1/payloda", {}),
        "/channels/~1chat/subscribe/message/oneOf/1/payloda",
        "did you mean 'payload'?",
    ),
    (
        "ws-binding-method",
        "2.6.0",
        _set("/channels/~1chat/bindings/ws/method", "PUT"),
        "/channels/~1chat/bindings/ws/method",
        "'PUT' is not one of 'GET', 'POST'",
    ),
    (
        "ws-binding-typo",
        "2.6.0",
        _set("/channels/~1chat/bindings/ws/querry", {}),
        "/channels/~1chat/bindings/ws/querry",
        "did you mean 'query'?",
    ),
    (
        "ws-binding-query-type",
        "2.6.0",
        _set("/channels/~1chat/bindings/ws/query", {"type": "string"}),
        "/channels/~1chat/bindings/ws/query/type",
        "must be 'object' here",
    ),
    (
        "reference-not-a-string",
        "2.6.0",
        _set(f"{PUBLISH}/message", {"$ref": 5}),
        f"{PUBLISH}/message/$ref",
        "expected a string (a URI reference), got integer",
    ),
    (
        "reference-where-none-is-allowed",
        "2.6.0",
        _set(PUBLISH, {"$ref": "#/components/operations/x"}),
        f"{PUBLISH}/$ref",
        "unknown field '$ref'",
    ),
    (
        "tilde-escaping",
        "2.6.0",
        lambda document: document["channels"].__setitem__("a~b", {"publish": {"mesage": {}}}),
        "/channels/a~0b/publish/mesage",
        "unknown field 'mesage'",
    ),
    (
        "security-requirement-scopes",
        "2.6.0",
        _set("/servers/prod/security", [{"token": "read"}]),
        "/servers/prod/security/0/token",
        "expected an array, got string",
    ),
    (
        "server-variable-enum-duplicates",
        "2.6.0",
        _set("/servers/prod/variables/path/enum", ["a", "a"]),
        "/servers/prod/variables/path/enum/1",
        "duplicate of item 0",
    ),
]


@pytest.mark.parametrize(
    ("version", "mutation", "pointer", "message"),
    [case[1:] for case in V2_CASES],
    ids=[case[0] for case in V2_CASES],
)
def test_v2_rule(version: str, mutation: Mutation, pointer: str, message: str) -> None:
    document = chat_v2(version)
    assert problems(document) == []
    mutation(document)
    found = problems(document)
    assert found, "the mutated document passed"
    assert found[0][0] == pointer
    assert message in found[0][1]


V3_CASES: list[tuple[str, Mutation, str, str]] = [
    ("info-missing", _delete("/info"), "/info", "required field is missing"),
    (
        "action-publish",
        _set("/operations/send/action", "publish"),
        "/operations/send/action",
        "'publish' is not one of 'send', 'receive'",
    ),
    (
        "action-missing",
        _delete("/operations/send/action"),
        "/operations/send/action",
        "required field is missing",
    ),
    (
        "channel-missing",
        _delete("/operations/send/channel"),
        "/operations/send/channel",
        "required field is missing",
    ),
    (
        "channel-inline",
        _set("/operations/send/channel", {"address": "/chat"}),
        "/operations/send/channel",
        "expected a Reference Object",
    ),
    (
        "operation-message-inline",
        _set("/operations/send/messages/0", {"payload": {}}),
        "/operations/send/messages/0",
        "expected a Reference Object",
    ),
    (
        "server-url",
        _set("/servers/prod/url", "wss://x"),
        "/servers/prod/url",
        "field 'url' exists only in AsyncAPI 2.x (document is 3.0.0)",
    ),
    (
        "server-host-missing",
        _delete("/servers/prod/host"),
        "/servers/prod/host",
        "required field is missing",
    ),
    (
        "channel-publish",
        _set("/channels/chat/publish", {}),
        "/channels/chat/publish",
        "field 'publish' exists only in AsyncAPI 2.x (document is 3.0.0)",
    ),
    (
        "messageId-in-3.0",
        _set("/channels/chat/messages/send/messageId", "send"),
        "/channels/chat/messages/send/messageId",
        "field 'messageId' exists only in AsyncAPI 2.x",
    ),
    (
        "address-not-a-string",
        _set("/channels/chat/address", 5),
        "/channels/chat/address",
        "expected a string or null, got integer",
    ),
    (
        "reply-typo",
        _set("/operations/send/reply/mesages", []),
        "/operations/send/reply/mesages",
        "did you mean 'messages'?",
    ),
    (
        "reply-address-location",
        _set("/operations/send/reply/address", {"location": "$message.body#/x"}),
        "/operations/send/reply/address/location",
        "is not a runtime expression",
    ),
    (
        "multi-format-schema-typo",
        _set("/components/messages/said/payload/schemaFormt", "x"),
        "/components/messages/said/payload/schemaFormt",
        "did you mean 'schemaFormat'?",
    ),
    (
        "multi-format-asyncapi-schema-type",
        _set("/components/messages/said/payload/schema", {"type": "text"}),
        "/components/messages/said/payload/schema/type",
        "'text' is not a JSON type",
    ),
    (
        "security-requirement-2.x-style",
        _set("/servers/prod/security/0", {"token": []}),
        "/servers/prod/security/0/type",
        "required field is missing",
    ),
    (
        "oauth2-scopes-2.x-style",
        _set(
            "/components/securitySchemes/token",
            {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "t", "scopes": {}}}},
        ),
        "/components/securitySchemes/token/flows/clientCredentials/scopes",
        "field 'scopes' exists only in AsyncAPI 2.x",
    ),
    (
        "component-key",
        _set("/components/messages/user signed up", {}),
        "/components/messages/user signed up",
        "component name 'user signed up' must match",
    ),
    (
        "duplicate-tags",
        _set("/info/tags", [{"name": "chat"}, {"name": "chat", "description": "again"}]),
        "/info/tags/1",
        "duplicate tag 'chat'",
    ),
    (
        "ws-binding-reference-is-fine-but-bad-method-is-not",
        _set("/channels/chat/bindings/ws/method", "put"),
        "/channels/chat/bindings/ws/method",
        "'put' is not one of 'GET', 'POST'",
    ),
    (
        "root-tags",
        _set("/tags", []),
        "/tags",
        "field 'tags' exists only in AsyncAPI 2.x (document is 3.0.0)",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "pointer", "message"),
    [case[1:] for case in V3_CASES],
    ids=[case[0] for case in V3_CASES],
)
def test_v3_rule(mutation: Mutation, pointer: str, message: str) -> None:
    document = chat_v3()
    assert problems(document) == []
    mutation(document)
    found = problems(document)
    assert found, "the mutated document passed"
    assert found[0][0] == pointer
    assert message in found[0][1]


@pytest.mark.parametrize(
    ("version", "path", "value"),
    [
        ("2.4.0", f"{PUBLISH}/message/messageId", "send"),
        ("2.4.0", f"{PUBLISH}/security", [{"token": []}]),
        ("2.2.0", "/channels/~1chat/servers", ["prod"]),
        ("2.3.0", "/components/servers", {"eu": {"url": "x", "protocol": "wss"}}),
        ("2.3.0", "/servers/prod", {"$ref": "#/components/servers/eu"}),
        ("2.4.0", "/components/serverVariables", {"port": {"default": "80"}}),
        ("2.5.0", "/servers/prod/variables/path", {"$ref": "#/components/serverVariables/p"}),
        ("2.5.0", "/servers/prod/tags", [{"name": "eu"}]),
        ("2.1.0", "/components/securitySchemes/token", {"type": "scramSha512"}),
        ("2.1.0", f"{PUBLISH}/message/examples", [{"name": "hi", "payload": {}}]),
    ],
)
def test_field_is_accepted_from_its_version_on(version: str, path: str, value: Any) -> None:
    document = chat_v2(version)
    _set(path, value)(document)
    assert problems(document) == []


def test_extensions_are_allowed_everywhere() -> None:
    document = chat_v2()
    for path in (
        "/x-root",
        "/info/x-a",
        "/servers/prod/x-b",
        "/channels/~1chat/x-c",
        f"{PUBLISH}/x-d",
        f"{PUBLISH}/message/x-e",
        "/components/x-f",
        "/channels/~1chat/bindings/ws/x-g",
    ):
        _set(path, {"anything": [1, None]})(document)
    assert problems(document) == []
    v3 = chat_v3()
    _set("/operations/send/reply/x-h", 1)(v3)
    _set("/components/messages/said/payload/x-i", 1)(v3)
    assert problems(v3) == []


def test_custom_schema_formats_are_accepted_structurally() -> None:
    document = chat_v2()
    message = document["channels"]["/chat"]["publish"]["message"]
    message["schemaFormat"] = "application/vnd.apache.avro;version=1.9.0"
    message["payload"] = {"type": "record", "name": "User", "fields": []}
    assert problems(document) == []
    v3 = chat_v3()
    v3["components"]["messages"]["said"]["payload"] = {
        "schemaFormat": "application/vnd.google.protobuf;version=3",
        "schema": "message Point { required int32 x = 1; }",
    }
    assert problems(v3) == []


def test_bindings_of_other_protocols_are_free_form() -> None:
    document = chat_v2()
    document["channels"]["/chat"]["bindings"]["kafka"] = {"topic": 5, "anything": [1]}
    document["servers"]["prod"]["bindings"] = {"mqtt": {"clientId": 3}, "ws": {"whatever": 1}}
    assert problems(document) == []


def test_external_references_are_not_fetched() -> None:
    document = chat_v2()
    document["channels"]["/chat"]["publish"]["message"] = {
        "$ref": "https://example.invalid/never/fetched.yaml#/message"
    }
    assert problems(document) == []


def test_several_problems_are_listed_in_document_order() -> None:
    document = chat_v2()
    del document["info"]["version"]
    document["servers"]["prod"]["url"] = 1
    document["channels"]["/chat"]["publish"]["mesage"] = {}
    found = problems(document)
    assert [pointer for pointer, _ in found] == [
        "/info/version",
        "/servers/prod/url",
        f"{PUBLISH}/mesage",
    ]


def test_problems_stop_at_the_limit() -> None:
    document = chat_v2()
    for index in range(3 * MAX_PROBLEMS):
        document["channels"][f"/c{index}"] = {"publish": {"mesage": {}}}
    with pytest.raises(SpecError) as caught:
        check_structure(document, file="big.yaml")
    assert len(caught.value.problems) == MAX_PROBLEMS
    assert "the first problems found" in str(caught.value)


def test_error_text_names_file_and_pointer() -> None:
    document = chat_v2()
    document["servers"]["prod"]["url"] = 8080
    with pytest.raises(SpecError) as caught:
        check_structure(document, file="api/asyncapi.yaml")
    text = str(caught.value)
    assert "api/asyncapi.yaml#/servers/prod/url: expected a string, got integer" in text
    assert text.startswith("AsyncAPI 2.6.0 document does not follow the specification")


def test_document_is_not_modified() -> None:
    document = chat_v3()
    before = copy.deepcopy(document)
    check_structure(document, file="x")
    assert document == before


# --------------------------------------------------------------------------------------------
# A large document (the performance target: 0.9 MB, 200 channels x 5 messages)


def large_document(
    version: str = "2.6.0", channels: int = 200, messages: int = 5
) -> dict[str, Any]:
    """A generated document of about 0.9 MB of JSON with ``channels * messages`` inline messages."""

    def payload(c: int, m: int) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["id", "text"],
            "properties": {
                f"field{k}": {
                    "type": ["string", "integer", "number", "boolean"][k % 4],
                    "description": f"Field {k} of message {m} on channel {c}.",
                }
                for k in range(7)
            }
            | {"id": {"type": "string", "format": "uuid"}, "text": {"type": "string"}},
        }

    def message(c: int, m: int) -> dict[str, Any]:
        return {
            "name": f"event{c}_{m}",
            "title": f"Event {m} of channel {c}",
            "summary": "A generated message.",
            "contentType": "application/json",
            "payload": payload(c, m),
            "examples": [{"payload": {"id": "1", "text": "hi"}}],
        }

    if version == "3.0.0":
        document = minimal(version)
        document["channels"] = {
            f"ns{c}": {
                "address": f"/ns{c}",
                "messages": {f"m{m}": message(c, m) for m in range(messages)},
                "bindings": {"ws": {"query": {"type": "object"}}},
            }
            for c in range(channels)
        }
        document["operations"] = {
            f"op{c}_{m}": {
                "action": "receive" if m % 2 else "send",
                "channel": {"$ref": f"#/channels/ns{c}"},
                "messages": [{"$ref": f"#/channels/ns{c}/messages/m{m}"}],
            }
            for c in range(channels)
            for m in range(messages)
        }
        return document
    document = minimal(version)
    document["channels"] = {
        f"/ns{c}": {
            "bindings": {"ws": {"query": {"type": "object"}}},
            "publish": {"message": {"oneOf": [message(c, m) for m in range(0, messages, 2)]}},
            "subscribe": {"message": {"oneOf": [message(c, m) for m in range(1, messages, 2)]}},
        }
        for c in range(channels)
    }
    return document


@pytest.mark.parametrize("version", ["2.6.0", "3.0.0"])
def test_large_document_passes(version: str) -> None:
    document = large_document(version)
    size = len(json.dumps(document))
    assert 700_000 < size < 1_300_000
    assert problems(document) == []


# --------------------------------------------------------------------------------------------
# Import cost


def test_importing_builds_no_table() -> None:
    """The tables are built on first use, not when asynction is imported."""
    code = (
        "import asynction.spec.structure as s; assert not s._CACHE; "
        "s.check_structure({'asyncapi': '3.0.0', 'info': {'title': 't', 'version': '1'}}, file='x');"
        "assert list(s._CACHE) == ['3.0.0']"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, timeout=60)
