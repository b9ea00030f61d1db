"""Normalisation of 2.x and 3.0 documents into one model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asynction.exceptions import SpecError
from asynction.spec import Direction, load_spec
from tests.spec.conftest import doc2, doc3

MESSAGE = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "maxLength": 100},
        "replyTo": {"$ref": "#/components/schemas/Message"},
    },
    "required": ["text"],
}
ACK = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
QUERY = {"type": "object", "properties": {"room": {"type": "string"}}, "required": ["room"]}


def chat_v2(version: str = "2.6.0") -> dict[str, Any]:
    return {
        "asyncapi": version,
        "info": {"title": "Chat", "version": "1.0.0", "description": "A chat"},
        "servers": {
            "prod": {
                "url": "wss://chat.example.com/{base}/socket.io",
                "protocol": "wss",
                "variables": {"base": {"default": "events"}},
                "security": [{"bearer": []}],
            }
        },
        "channels": {
            "/chat": {
                "publish": {
                    "operationId": "receiveChat",
                    "message": {
                        "oneOf": [
                            {"$ref": "#/components/messages/SendMessage"},
                            {"$ref": "#/components/messages/Typing"},
                        ]
                    },
                },
                "subscribe": {
                    "operationId": "sendChat",
                    "message": {"$ref": "#/components/messages/NewMessage"},
                },
                "bindings": {"ws": {"query": QUERY, "method": "GET"}},
                "x-handlers": {"connect": "app.connect", "error": "app.error"},
                "x-security": [],
            }
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "Bearer", "x-bearerInfoFunc": "app.bearer"}
            },
            "messages": {
                "SendMessage": {
                    "name": "send message",
                    "x-handler": "app.send",
                    "payload": {"$ref": "#/components/schemas/Message"},
                    "x-ack": {"args": ACK},
                },
                "Typing": {"name": "typing", "x-handler": "app.typing"},
                "NewMessage": {
                    "name": "new message",
                    "payload": {"$ref": "#/components/schemas/Message"},
                },
            },
            "schemas": {"Message": MESSAGE},
        },
    }


def chat_v3() -> dict[str, Any]:
    return doc3(
        info={"title": "Chat", "version": "1.0.0", "description": "A chat"},
        servers={
            "prod": {
                "host": "chat.example.com",
                "pathname": "/{base}/socket.io",
                "protocol": "wss",
                "variables": {"base": {"default": "events"}},
                "security": [{"$ref": "#/components/securitySchemes/bearer"}],
            }
        },
        channels={
            "chat": {
                "address": "/chat",
                "messages": {
                    "SendMessage": {"$ref": "#/components/messages/SendMessage"},
                    "Typing": {"$ref": "#/components/messages/Typing"},
                    "NewMessage": {"$ref": "#/components/messages/NewMessage"},
                    "SendMessageAck": {"$ref": "#/components/messages/SendMessageAck"},
                },
                "bindings": {"ws": {"query": QUERY, "method": "GET"}},
                "x-handlers": {"connect": "app.connect", "error": "app.error"},
                "x-security": [],
            }
        },
        operations={
            "receiveChat": {
                "action": "receive",
                "channel": {"$ref": "#/channels/chat"},
                "messages": [{"$ref": "#/channels/chat/messages/SendMessage"}],
                "reply": {"messages": [{"$ref": "#/channels/chat/messages/SendMessageAck"}]},
            },
            "typing": {
                "action": "receive",
                "channel": {"$ref": "#/channels/chat"},
                "messages": [{"$ref": "#/channels/chat/messages/Typing"}],
            },
            "sendChat": {
                "action": "send",
                "channel": {"$ref": "#/channels/chat"},
                "messages": [{"$ref": "#/channels/chat/messages/NewMessage"}],
            },
        },
        components={
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "x-bearerInfoFunc": "app.bearer"}
            },
            "messages": {
                "SendMessage": {
                    "name": "send message",
                    "x-handler": "app.send",
                    "payload": {"$ref": "#/components/schemas/Message"},
                },
                "SendMessageAck": {"payload": ACK},
                "Typing": {"name": "typing", "x-handler": "app.typing"},
                "NewMessage": {
                    "name": "new message",
                    "payload": {"$ref": "#/components/schemas/Message"},
                },
            },
            "schemas": {"Message": MESSAGE},
        },
    )


def test_v2_and_v3_twins_give_equal_models() -> None:
    v2 = load_spec(chat_v2())
    v3 = load_spec(chat_v3())
    assert v2.asyncapi_version == "2.6.0"
    assert v3.asyncapi_version == "3.0.0"
    assert v2 == v3


def test_twin_model_content() -> None:
    api = load_spec(chat_v2())
    (namespace,) = api.namespaces
    assert namespace.name == "/chat"
    assert [event.name for event in namespace.incoming] == ["send message", "typing"]
    assert [event.name for event in namespace.outgoing] == ["new message"]
    send = namespace.incoming[0]
    assert send.direction is Direction.INCOMING
    assert send.handler == "app.send"
    assert send.message_key == "SendMessage"
    assert send.ack == ACK
    assert send.payload is not None
    assert send.payload["properties"]["replyTo"] == {"$ref": "#/$defs/Message"}
    assert namespace.incoming[1].payload is None
    assert namespace.bindings is not None
    assert namespace.bindings.method == "GET"
    assert namespace.bindings.query == QUERY
    assert namespace.handlers.connect == "app.connect"
    assert namespace.handlers.error == "app.error"
    assert namespace.security == ()
    (server,) = api.servers
    assert server.url == "wss://chat.example.com/events/socket.io"
    assert server.path == "events/socket.io"
    assert server.security == ({"bearer": ()},)
    assert api.security_schemes["bearer"].scheme == "bearer"
    assert api.security_schemes["bearer"].extensions == {"x-bearerInfoFunc": "app.bearer"}
    assert send.location.pointer == "/components/messages/SendMessage"


@pytest.mark.parametrize("version", ["2.0.0", "2.3.0", "2.6.0"])
def test_every_2x_version_normalises(version: str) -> None:
    document = chat_v2(version)
    if version == "2.0.0":
        document["servers"]["prod"].pop("security")
    api = load_spec(document)
    assert [event.name for event in api.namespaces[0].incoming] == ["send message", "typing"]


def test_event_name_rule(write: Callable[..., Path]) -> None:
    document = doc2(
        {
            "/": {
                "publish": {
                    "operationId": "fromOperation",
                    "message": {
                        "oneOf": [
                            {"name": "by-name", "messageId": "ignored"},
                            {"messageId": "by-message-id"},
                            {"$ref": "#/components/messages/ByKey"},
                        ]
                    },
                },
                "subscribe": {"operationId": "onlyOperation", "message": {"payload": True}},
            }
        },
        components={"messages": {"ByKey": {"payload": {"type": "string"}}}},
    )
    api = load_spec(document)
    namespace = api.namespaces[0]
    assert [event.name for event in namespace.incoming] == ["by-name", "by-message-id", "ByKey"]
    assert [event.name for event in namespace.outgoing] == ["onlyOperation"]


def test_unnamed_message_is_an_error() -> None:
    document = doc2({"/": {"publish": {"message": {"payload": {"type": "string"}}}}})
    with pytest.raises(SpecError, match=r"#/channels/~1/publish/message: cannot name this event"):
        load_spec(document)


def test_anonymous_one_of_messages_are_named_by_position() -> None:
    document = doc2(
        {
            "/": {
                "publish": {"operationId": "send", "message": {"oneOf": [{}, {"name": "x"}, {}]}},
                "subscribe": {"message": {"oneOf": [{"payload": {"type": "string"}}]}},
            }
        }
    )
    namespace = load_spec(document).namespaces[0]
    assert [event.name for event in namespace.incoming] == ["send#0", "x", "send#2"]
    assert [event.name for event in namespace.outgoing] == ["/ subscribe#0"]


def test_duplicate_event_names_in_one_namespace_and_direction() -> None:
    document = doc2({"/": {"publish": {"message": {"oneOf": [{"name": "dup"}, {"name": "dup"}]}}}})
    with pytest.raises(SpecError, match="two incoming events called 'dup' in namespace '/'"):
        load_spec(document)


def test_same_name_in_both_directions_is_fine() -> None:
    document = doc2(
        {"/": {"publish": {"message": {"name": "x"}}, "subscribe": {"message": {"name": "x"}}}}
    )
    namespace = load_spec(document).namespaces[0]
    assert namespace.incoming_event("x") is not None
    assert namespace.outgoing_event("x") is not None


def test_v2_traits_are_applied() -> None:
    document = doc2(
        {
            "/": {
                "publish": {
                    "traits": [{"$ref": "#/components/operationTraits/Handled"}],
                    "message": {
                        "name": "e",
                        "traits": [{"$ref": "#/components/messageTraits/Common"}],
                    },
                }
            }
        },
        components={
            "operationTraits": {"Handled": {"x-handler": "app.from_trait", "summary": "S"}},
            "messageTraits": {"Common": {"contentType": "application/json", "summary": "M"}},
        },
    )
    event = load_spec(document).namespaces[0].incoming[0]
    assert event.handler == "app.from_trait"
    assert event.content_type == "application/json"
    assert event.summary == "M"


def test_v3_traits_do_not_override_the_message() -> None:
    document = doc3(
        channels={"c": {"address": "/", "messages": {"M": {"$ref": "#/components/messages/M"}}}},
        operations={
            "op": {
                "action": "send",
                "channel": {"$ref": "#/channels/c"},
                "traits": [{"summary": "from trait"}],
            }
        },
        components={
            "messages": {
                "M": {
                    "summary": "own",
                    "traits": [{"summary": "trait", "contentType": "text/plain"}],
                }
            }
        },
    )
    event = load_spec(document).namespaces[0].outgoing[0]
    assert event.name == "M"
    assert event.summary == "own"
    assert event.content_type == "text/plain"


def test_x_ack_through_components_x_message_acks() -> None:
    document = doc2(
        {
            "/": {
                "publish": {
                    "message": {
                        "name": "e",
                        "x-ack": {"$ref": "#/components/x-messageAcks/Ok"},
                    }
                }
            }
        },
        components={"x-messageAcks": {"Ok": {"args": {"type": "boolean"}}}},
    )
    assert load_spec(document).namespaces[0].incoming[0].ack == {"type": "boolean"}


def test_v3_reply_with_several_messages_is_one_of() -> None:
    document = doc3(
        channels={
            "c": {
                "address": "/",
                "messages": {
                    "Ask": {"payload": {"type": "string"}},
                    "Yes": {"payload": {"type": "integer"}},
                    "No": {"payload": {"type": "boolean"}},
                },
            }
        },
        operations={
            "ask": {
                "action": "receive",
                "channel": {"$ref": "#/channels/c"},
                "messages": [{"$ref": "#/channels/c/messages/Ask"}],
                "reply": {
                    "messages": [
                        {"$ref": "#/channels/c/messages/Yes"},
                        {"$ref": "#/channels/c/messages/No"},
                    ]
                },
            }
        },
    )
    event = load_spec(document).namespaces[0].incoming[0]
    assert event.name == "Ask"
    assert event.ack == {"oneOf": [{"type": "integer"}, {"type": "boolean"}]}


def test_v3_operation_without_messages_takes_all_channel_messages() -> None:
    document = doc3(
        channels={"c": {"address": "/room", "messages": {"A": {}, "B": {}}}},
        operations={"op": {"action": "receive", "channel": {"$ref": "#/channels/c"}}},
    )
    namespace = load_spec(document).namespaces[0]
    assert namespace.name == "/room"
    assert [event.name for event in namespace.incoming] == ["A", "B"]


def test_v3_channels_sharing_one_channel_object_are_told_apart_by_their_entry() -> None:
    """Two channels that refer to one component (no address: each is named by its key); each
    operation refers to one channel entry, and its events go to that namespace."""
    document = doc3(
        channels={
            "a": {"$ref": "#/components/channels/shared"},
            "b": {"$ref": "#/components/channels/shared"},
        },
        operations={
            "toA": {"action": "receive", "channel": {"$ref": "#/channels/a"}},
            "fromB": {"action": "send", "channel": {"$ref": "#/channels/b"}},
        },
        components={"channels": {"shared": {"messages": {"Hello": {"name": "hello"}}}}},
    )
    a, b = load_spec(document).namespaces
    assert (a.name, [e.name for e in a.incoming], [e.name for e in a.outgoing]) == (
        "/a",
        ["hello"],
        [],
    )
    assert (b.name, [e.name for e in b.incoming], [e.name for e in b.outgoing]) == (
        "/b",
        [],
        ["hello"],
    )


def test_v3_an_operation_on_a_shared_channel_object_must_name_the_channel() -> None:
    document = doc3(
        channels={
            "a": {"$ref": "#/components/channels/shared"},
            "b": {"$ref": "#/components/channels/shared"},
        },
        operations={
            "op": {"action": "receive", "channel": {"$ref": "#/components/channels/shared"}}
        },
        components={"channels": {"shared": {"messages": {}}}},
    )
    with pytest.raises(SpecError, match="Channel Object of several channels") as raised:
        load_spec(document)
    assert "#/operations/op/channel" in str(raised.value)


def test_v3_channels_that_are_the_document_itself_are_refused_not_crashed() -> None:
    # Found by the spec fuzzer: this raised RuntimeError (StopIteration in a generator).
    document = doc3(channels={"/": {"$ref": "#"}, "/chat": {"$ref": "#"}})
    try:
        api = load_spec(document)
    except SpecError:
        return
    assert [namespace.name for namespace in api.namespaces] == ["/", "/chat"]


def test_v3_channel_key_is_the_namespace_without_address() -> None:
    document = doc3(channels={"lobby": {"messages": {}}})
    assert load_spec(document).namespaces[0].name == "/lobby"


def test_v3_non_json_schema_payload_is_not_validated() -> None:
    document = doc3(
        channels={
            "c": {
                "address": "/",
                "messages": {
                    "A": {
                        "payload": {
                            "schemaFormat": "application/vnd.apache.avro;version=1.9.0",
                            "schema": {"type": "record", "name": "A", "fields": []},
                        }
                    },
                    "J": {
                        "payload": {
                            "schemaFormat": "application/schema+json;version=draft-07",
                            "schema": {"type": "string"},
                        }
                    },
                },
            }
        },
        operations={"op": {"action": "send", "channel": {"$ref": "#/channels/c"}}},
    )
    avro, json_schema = load_spec(document).namespaces[0].outgoing
    assert avro.payload is None
    assert json_schema.payload == {"type": "string"}


def test_operation_security_and_oauth_scopes() -> None:
    document = doc2(
        {
            "/": {
                "publish": {
                    "security": [{"oauth": ["write"]}],
                    "message": {"name": "e"},
                }
            }
        },
        asyncapi="2.4.0",
        components={
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "https://example.com/token",
                            "scopes": {"read": "r", "write": "w"},
                        }
                    },
                    "x-tokenInfoFunc": "app.token_info",
                }
            }
        },
    )
    api = load_spec(document)
    assert api.namespaces[0].incoming[0].security == ({"oauth": ("write",)},)
    assert api.security_schemes["oauth"].scopes == ("read", "write")


def test_server_url_without_scheme_and_without_path() -> None:
    document = doc2(
        {},
        servers={
            "a": {"url": "localhost:5000/ws/socket.io", "protocol": "ws"},
            "b": {"url": "https://example.com", "protocol": "wss"},
        },
    )
    api = load_spec(document)
    a, b = api.servers
    assert a.path == "ws/socket.io"
    assert b.path == ""
    assert api.server("b") is b
    assert api.server("zzz") is None


def test_unknown_x_handlers_entry_is_an_error() -> None:
    document = doc2({"/": {"x-handlers": {"conect": "app.connect"}}})
    with pytest.raises(SpecError, match=r"x-handlers/conect: unknown x-handlers entry"):
        load_spec(document)


def test_channel_key_without_slash_becomes_namespace() -> None:
    assert load_spec(doc2({"chat": {}})).namespaces[0].name == "/chat"
