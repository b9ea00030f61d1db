"""Generated models accept and reject what their JSON Schema accepts and rejects: no lax
coercion, unexpressible keywords enforced, nothing lost on the way back to JSON."""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

import chat_events
import pytest
import telemetry_events
from pydantic import ValidationError


def _rejected(model: Any, value: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(value)
    return str(raised.value.errors()[0]["msg"])


def _dumped(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


@pytest.mark.parametrize(
    ("model", "value", "rule"),
    [
        (telemetry_events.BatchAck, {"stored": "5", "rejected": 0}, "type"),
        (telemetry_events.CommandAck, {"done": "true"}, "type"),
        (telemetry_events.CommandAck, {"done": 1}, "type"),
        (telemetry_events.BatchAck, {"stored": True, "rejected": 0}, "type"),
        (
            telemetry_events.Sample,
            {
                "device": "d",
                "sensor": "s",
                "value": "1.5",
                "unit": "volt",
                "takenAt": "2024-01-01T00:00:00Z",
            },
            "type",
        ),
        (
            chat_events.NewMessage,
            {
                "id": str(uuid.uuid4()),
                "room": "r",
                "author": "a",
                "text": "t",
                "sentAt": 1700000000,
            },
            "type",
        ),
        (
            chat_events.NewMessage,
            {
                "id": str(uuid.uuid4()),
                "room": "r",
                "author": "a",
                "text": "t",
                "sentAt": "yesterday",
            },
            "format",
        ),
        (
            chat_events.SendMessage,
            {"room": "lobby", "text": "hi", "replyTo": "not-a-uuid"},
            "format",
        ),
        (chat_events.JoinRoom, {"room": "Not A Room"}, "pattern"),
        (chat_events.JoinRoom, {"room": "lobby", "extra": 1}, "additionalProperties"),
        (chat_events.JoinRoom, {}, "required"),
        (telemetry_events.Watch, {"devices": ["a", "a"]}, "uniqueItems"),
        (telemetry_events.Command, {"action": "explode"}, "enum"),
        (telemetry_events.Command, {"action": "sleep", "seconds": 0}, "minimum"),
        (chat_events.SendMessage, {"room": "lobby", "text": ""}, "minLength"),
    ],
)
def test_no_lax_coercion_and_every_keyword_checked(model: Any, value: Any, rule: str) -> None:
    message = _rejected(model, value)
    assert f"(rule: {rule})" in message


def test_messages_name_the_json_path() -> None:
    message = _rejected(telemetry_events.Watch, {"devices": ["a", 5]})
    assert message.startswith("$.devices[1]: ")


def test_keywords_pydantic_cannot_express_are_enforced(edge_module: ModuleType) -> None:
    keywords = edge_module.Keywords
    assert "(rule: required)" in _rejected(keywords, {"class": "c"})  # if/then
    assert "(rule: not)" in _rejected(keywords, {"notText": "text"})
    assert "(rule: pattern)" in _rejected(keywords, {"code": "xyz"})  # a lookahead
    assert "(rule: type)" in _rejected(keywords, {"p_count": "many"})  # patternProperties
    assert "(rule: additionalProperties)" in _rejected(keywords, {"other": 1})
    assert "(rule: multipleOf)" in _rejected(keywords, {"ratio": 0.35})
    assert "(rule: format)" in _rejected(keywords, {"mail": "nobody"})
    model = keywords.model_validate({"p_count": 3, "ratio": 0.3, "code": "abc", "notText": 5})
    assert _dumped(model) == {"p_count": 3, "ratio": 0.3, "code": "abc", "notText": 5}


def test_what_pydantic_types_cannot_hold_is_still_accepted(edge_module: ModuleType) -> None:
    """Leap seconds and year 0 are valid date-times; 1e300 is a valid integer."""
    keywords = edge_module.Keywords.model_validate({"when": "1990-12-31T23:59:60Z"})
    assert keywords.when == "1990-12-31T23:59:60Z"
    error = edge_module.Error.model_validate({"code": 1e300})
    assert error.code == int(1e300)
    assert edge_module.KeywordsNested.model_validate({"depth": 3.0}).depth == 3


def test_construction_by_field_name_is_checked_as_its_json(edge_module: ModuleType) -> None:
    keywords = edge_module.Keywords(class_="c", x_y=2, model_config_="m")
    assert _dumped(keywords) == {"class": "c", "x-y": 2, "model_config": "m"}
    with pytest.raises(ValidationError, match=r"rule: required"):
        edge_module.Keywords(class_="c")  # if class then x-y
    with pytest.raises(ValidationError, match=r"rule: type"):
        edge_module.Keywords(x_y="2")


def test_python_values_are_checked_in_their_json_form() -> None:
    message_id = uuid.uuid4()
    message = chat_events.NewMessage(
        id=message_id, room="r", author="a", text="t", sentAt="2024-01-01T00:00:00Z"
    )
    assert message.id == message_id
    assert _dumped(message)["id"] == str(message_id)
    with pytest.raises(ValidationError, match=r"rule: type"):
        chat_events.NewMessage(id=message_id, room="r", author="a", text="t", sentAt=None)
    assert "replyTo" not in _dumped(message)


def test_nested_models_and_recursion(edge_module: ModuleType) -> None:
    tree = edge_module.Tree.model_validate({"label": "a", "children": [{"label": "b"}]})
    assert isinstance(tree.children[0], edge_module.Tree)
    message = _rejected(edge_module.Tree, {"label": "a", "children": [{"label": 5}]})
    assert message.startswith("$.children[0].label: ")
    outer = edge_module.Tree(label="root", children=[tree])
    assert _dumped(outer) == {
        "label": "root",
        "children": [{"label": "a", "children": [{"label": "b"}]}],
    }
    # A nested model class checks its own schema when built on its own.
    assert "(rule: maximum)" in _rejected(edge_module.KeywordsNested, {"depth": 4})
    assert "(rule: maximum)" in _rejected(edge_module.Keywords, {"nested": {"depth": 4}})


def test_unknown_properties_are_kept_where_the_schema_allows_them() -> None:
    ack = telemetry_events.CommandAck.model_validate({"done": True, "note": "rebooted"})
    assert _dumped(ack) == {"done": True, "note": "rebooted"}


def test_models_of_shared_defs_are_shared() -> None:
    batch_model = telemetry_events.Sample
    assert batch_model.__asynction_schema__ is not None
    assert telemetry_events.ReadingUpdate is not batch_model  # a payload of its own name


def test_every_payload_ack_and_position_is_a_model_root_models_for_non_objects(
    edge_module: ModuleType,
) -> None:
    """A handler's parameters, its return type and an emit's arguments are models: object schemas
    give SpecModels, every other schema (a string, a list, a union, a tuple position) a
    SpecRootModel whose value is ``.root``."""
    from asynction.codegen.plan import make_plan
    from asynction.codegen.runtime import SpecModel, SpecRootModel
    from asynction.spec import load_spec
    from tests.codegen.support import FIXTURES, TELEMETRY

    roots = {}
    for module, spec in ((edge_module, FIXTURES / "edge.yaml"), (telemetry_events, TELEMETRY.spec)):
        plan = make_plan(load_spec(spec))
        assert plan.arguments
        for name in plan.arguments:
            model = getattr(module, name)
            assert isinstance(model, type), name
            assert issubclass(model, (SpecModel, SpecRootModel)), name
            if issubclass(model, SpecRootModel):
                roots[name] = model
    assert {"Notice", "PositionalLabel", "PositionalRest", "Outline", "Formula", "Shape"} <= set(
        roots
    )
    assert {"Batch", "ReadingSensor", "ReadingAckStored"} <= set(roots)
    assert telemetry_events.ReadingSensor("thermo-1").root == "thermo-1"
    assert _dumped(telemetry_events.ReadingAckStored(3)) == 3


def test_root_models_are_as_strict_as_their_schema(edge_module: ModuleType) -> None:
    # A `pattern` pydantic's types do not carry, a constraint of a shared definition, no coercion.
    assert "does not match" in _rejected(telemetry_events.ReadingSensor, "Not An Id!")
    assert "type" in _rejected(telemetry_events.ReadingValue, "1.5")
    assert "less than the minimum" in _rejected(telemetry_events.ReadingAckStored, -1)
    assert "(rule: maxItems)" in _rejected(telemetry_events.Batch, [SAMPLE] * 501)
    shape = edge_module.Shape.model_validate({"side": 2})
    assert isinstance(shape.root, edge_module.Square)
    assert "$" in _rejected(edge_module.Shape, {"radius": 0})
    assert "$" in _rejected(edge_module.Shape, {"radius": 1, "side": 1})
    # Recursive root models: a list of itself, and a union with a list of itself.
    assert _dumped(edge_module.Outline.model_validate(["a", ["b", ["c"]]])) == ["a", ["b", ["c"]]]
    assert _rejected(edge_module.Outline, ["a", [1]]).startswith("$[1]: ")
    formula = edge_module.Formula.model_validate(["+", ["x", "1"]])
    assert _dumped(formula) == ["+", ["x", "1"]]
    assert "(rule: anyOf)" in _rejected(edge_module.Formula, ["+", []])
    with pytest.raises(ValidationError):
        edge_module.Notice("")


SAMPLE = {
    "device": "thermo-1",
    "sensor": "t",
    "value": 21.5,
    "unit": "celsius",
    "takenAt": "2024-05-01T12:00:00Z",
}


def test_descriptions_and_examples_reach_pydantic() -> None:
    """What the spec says about a payload is in the model's JSON Schema (and its docstrings)."""
    schema = chat_events.SendMessage.model_json_schema()
    assert schema["examples"] == [{"room": "lobby", "text": "Hello!"}]
    assert "Post a message to a room." in schema["description"]
    assert chat_events.JoinRoom.model_fields["room"].description == "The room's name."
    assert telemetry_events.ReadingSensor.model_json_schema()["description"] == "Sensor id"
    assert (telemetry_events.ReadingSensor.__doc__ or "").strip() == "Sensor id"
