"""Names, shapes and typing views the generator works out from the spec model."""

from __future__ import annotations

from typing import Any

import pytest

from asynction.codegen.generator import RESERVED_METHODS
from asynction.codegen.naming import NameAllocator, pascal_case, snake_case
from asynction.codegen.plan import PlanError, make_plan
from asynction.spec.model import Api, Direction, Event, Namespace

OBJECT = {"type": "object", "properties": {"a": {"type": "string"}}}


def _event(
    name: str,
    payload: Any = OBJECT,
    *,
    key: str | None = None,
    ack: Any = None,
    incoming: bool = True,
) -> Event:
    return Event(
        name=name,
        direction=Direction.INCOMING if incoming else Direction.OUTGOING,
        payload=payload,
        ack=ack,
        message_key=key,
    )


def _api(*namespaces: Namespace, title: str = "Test API") -> Api:
    return Api(title=title, version="1", namespaces=namespaces)


@pytest.mark.parametrize(
    ("text", "pascal", "snake"),
    [
        ("send message", "SendMessage", "send_message"),
        ("newMessage", "NewMessage", "new_message"),
        ("user.joined", "UserJoined", "user_joined"),
        ("HTTPServer", "HTTPServer", "http_server"),
        ("café au lait", "CafeAuLait", "cafe_au_lait"),
        ("2fast", "Model2Fast", "event_2_fast"),
        ("chat-v2", "ChatV2", "chat_v2"),
        ("!!!", "Model", "event"),
    ],
)
def test_case_conversions(text: str, pascal: str, snake: str) -> None:
    assert pascal_case(text) == pascal
    assert snake_case(text) == snake


def test_allocator_suffixes_then_numbers() -> None:
    names = NameAllocator({"on_error"})
    assert names.allocate("on_error", suffix="hook") == "on_error_hook"
    assert names.allocate("on_error", suffix="hook") == "on_error_hook_2"
    assert names.allocate("class") == "class_2"  # a keyword is never handed out
    classes = NameAllocator(separator="")
    assert [classes.allocate("Sample") for _ in range(3)] == ["Sample", "Sample2", "Sample3"]


def test_method_names_are_unique_and_avoid_the_base_class() -> None:
    api = _api(
        Namespace("/", incoming=(_event("error"), _event("event"))),
        Namespace(
            "/chat",
            incoming=(_event("error"), _event("send")),
            outgoing=(_event("send", incoming=False),),
        ),
        Namespace("/chat-v2", incoming=(_event("send"),)),
    )
    plan = make_plan(api, reserved=RESERVED_METHODS)
    root, chat, _chat_v2 = plan.namespaces
    assert (root.connect, root.disconnect, root.error) == (
        "on_connect",
        "on_disconnect",
        "on_error_hook",
    )
    assert (chat.connect, chat.error) == ("on_chat_connect", "on_chat_error")
    assert [event.method for event in plan.incoming] == [
        "on_error_event",
        "on_event_event",  # "on_event" is Flask-SocketIO's
        "on_chat_error_event",
        "on_chat_send",
        "on_chat_v2_send",
    ]
    assert [event.method for event in plan.outgoing] == ["emit_chat_send"]


def test_reserved_method_names_cover_the_base_classes() -> None:
    from asynction.codegen.runtime import TypedServer

    exposed = {
        name
        for name in dir(TypedServer)
        if name in ("on", "emit") or name.startswith(("on_", "emit_"))
    }
    assert exposed <= RESERVED_METHODS


def test_model_names_from_message_keys_acks_and_positions() -> None:
    tuple_payload = {
        "type": "array",
        "prefixItems": [{"type": "string", "title": "Sensor Id"}, {"type": "number"}],
        "items": False,
        "minItems": 1,
    }
    api = _api(
        Namespace(
            "/devices",
            incoming=(
                _event(
                    "report",
                    tuple_payload,
                    key="Reading",
                    ack={"type": "array", "items": {"type": "string"}},
                ),
                _event("ping", {"type": "null"}, key="Ping"),
                _event("raw", None),
            ),
        )
    )
    plan = make_plan(api)
    reading, ping, raw = plan.incoming
    assert reading.payload.kind == "tuple"
    assert reading.payload.types == ("ReadingSensorId", "ReadingArg1")
    assert reading.payload.names == ("sensor_id", "arg1")
    assert (reading.payload.required, reading.payload.rest) == (1, None)
    assert reading.ack.kind == "list"
    assert reading.ack.types == ("ReadingAck",)
    assert ping.payload.kind == "null"
    assert raw.payload.kind == "none"


def test_same_key_in_two_namespaces() -> None:
    same = _event(
        "update", {"type": "object", "properties": {"n": {"type": "integer"}}}, key="Update"
    )
    other = _event(
        "update", {"type": "object", "properties": {"p": {"type": "number"}}}, key="Update"
    )
    api = _api(
        Namespace("/a", incoming=(same,)),
        Namespace("/b", incoming=(same,)),
        Namespace("/shop", incoming=(other,)),
    )
    plan = make_plan(api)
    assert [event.payload.types[0] for event in plan.incoming] == ["Update", "Update", "ShopUpdate"]


def test_shared_defs_are_hoisted_once_and_recursive_roots_reuse_them() -> None:
    sample = {"type": "object", "properties": {"v": {"type": "number"}}}
    tree = {
        "type": "object",
        "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}},
    }
    api = _api(
        Namespace(
            "/",
            incoming=(
                _event(
                    "one",
                    {
                        "type": "array",
                        "items": {"$ref": "#/$defs/Sample"},
                        "$defs": {"Sample": sample},
                    },
                    key="One",
                ),
                _event(
                    "two",
                    {
                        "type": "array",
                        "items": {"$ref": "#/$defs/Sample"},
                        "$defs": {"Sample": sample},
                    },
                    key="Two",
                ),
                _event("tree", {**tree, "$defs": {"Tree": tree}}, key="Tree"),
            ),
        )
    )
    plan = make_plan(api)
    assert [name for name in plan.definitions if name.startswith("Sample")] == ["Sample"]
    assert plan.definitions["One"].schema["items"] == {"$ref": "#/$defs/Sample"}
    assert plan.incoming[2].payload.types == ("Tree",)
    assert plan.definitions["Tree"].origin.pointer == "/$defs/Tree"


def test_typing_view_leaves_out_what_the_json_schema_check_enforces() -> None:
    payload = {
        "type": "object",
        "additionalProperties": False,
        "patternProperties": {"^x-": {"type": "string"}},
        "properties": {
            "pattern": {"type": "string", "pattern": "^a"},
            "format": {"type": "string", "format": "date-time"},
            "id": {"type": "string", "format": "uuid"},
            "n": {"type": "number", "multipleOf": 0.1},
            "flag": {"type": "boolean", "default": "false"},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        },
        "if": {"required": ["n"]},
        "then": {"required": ["flag"]},
    }
    plan = make_plan(_api(Namespace("/", incoming=(_event("e", payload, key="E"),))))
    view = plan.definitions["E"].schema
    assert set(view["properties"]) == {"pattern", "format", "id", "n", "flag", "tags"}
    assert view["properties"]["pattern"] == {"type": "string"}
    assert view["properties"]["format"] == {"type": "string"}
    assert view["properties"]["id"] == {"type": "string", "format": "uuid"}
    assert view["properties"]["n"] == {"type": "number"}
    assert view["properties"]["flag"] == {"type": "boolean"}
    assert view["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert not {"if", "then", "patternProperties", "additionalProperties"} & set(view)


@pytest.mark.parametrize("name", ["not a name", "Field", "1Server", "Exception"])
def test_unusable_class_names_are_refused(name: str) -> None:
    with pytest.raises(PlanError, match="class name"):
        make_plan(_api(), class_name=name)


def test_default_class_name_from_the_title() -> None:
    assert (
        make_plan(_api(title="Streetlights Kafka API")).class_name == "StreetlightsKafkaAPIServer"
    )
