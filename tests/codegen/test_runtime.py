"""The run-time pieces generated modules use: argument mapping, schema binding, the model base."""

from __future__ import annotations

import uuid
from typing import Annotated

import pytest
import telemetry_events
from pydantic import Field, ValidationError
from typing_extensions import TypeAliasType

from asynction.codegen.runtime import Args, SpecModel, _schema_at, bind_schemas
from asynction.spec.model import Api, Direction, Event, Namespace
from asynction.validation import CompiledSchema

Label = TypeAliasType("Label", Annotated[str, Field(min_length=1)])


class Point(SpecModel):
    x: int
    y: int | None = None


SPEC = Api(
    title="t",
    version="1",
    namespaces=(
        Namespace(
            "/",
            incoming=(
                Event(
                    "point",
                    Direction.INCOMING,
                    {
                        "type": "object",
                        "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                        "required": ["x"],
                        "additionalProperties": False,
                    },
                ),
            ),
        ),
    ),
)
bind_schemas(SPEC, (Point, "/", "point", "payload", ""))


def test_single_argument() -> None:
    args = Args.single(Point)
    (point,) = args.loader(trusted=True)(({"x": 1},))
    assert point == Point(x=1)
    assert args.loader(trusted=True)(()) == (None,)  # no argument reads as null
    assert args.dumper()((Point(x=2),)) == {"x": 2}
    assert args.result_dumper()(Point(x=3, y=4)) == {"x": 3, "y": 4}


def test_untrusted_loading_checks_the_schema() -> None:
    with pytest.raises(ValidationError, match=r"rule: additionalProperties"):
        Args.single(Point).loader(trusted=False)(({"x": 1, "z": 0},))


def test_positional_arguments_and_the_rest() -> None:
    args = Args.positional(Label, Point, required=1, rest=int)
    load = args.loader(trusted=True)
    assert load(("a",)) == ("a",)
    assert load(("a", {"x": 1}, 5, 6)) == ("a", Point(x=1), 5, 6)
    dump = args.dumper()
    assert dump(("a", None)) == ("a",)  # an optional position left at None is not sent
    assert dump(("a", Point(x=1), 7)) == ("a", {"x": 1}, 7)
    assert args.result_dumper()(["a", Point(x=2)]) == ("a", {"x": 2})


def test_list_argument_from_one_list_or_several_arguments() -> None:
    samples = TypeAliasType("samples", list[Point])
    load = Args.list_of(samples).loader(trusted=True)
    assert load(([{"x": 1}, {"x": 2}],)) == ([Point(x=1), Point(x=2)],)
    assert load(({"x": 1}, {"x": 2})) == ([Point(x=1), Point(x=2)],)
    assert Args.list_of(samples).dumper()(([Point(x=1)],)) == [{"x": 1}]


def test_null_and_untyped() -> None:
    assert Args.null().loader(trusted=True)((None,)) == ()
    assert Args.null().dumper()(()) is None
    raw = (1, {"a": Point(x=1)})
    assert Args.untyped().loader(trusted=True)(raw) is raw
    assert Args.untyped().dumper()((Point(x=1),)) == {"x": 1}
    assert Args.untyped().dumper()((1, 2)) == (1, 2)
    assert Args.untyped().result_dumper()((Point(x=1), 2)) == ({"x": 1}, 2)


def test_trusted_loading_takes_integral_floats_for_integers() -> None:
    (point,) = Args.single(Point).loader(trusted=True)(({"x": 1e300},))
    assert point.x == int(1e300)


def test_schema_at_a_pointer_keeps_the_roots_defs() -> None:
    root = {
        "type": "array",
        "items": {"$ref": "#/$defs/Sample"},
        "$defs": {
            "Sample": {"type": "object", "properties": {"v": {"$ref": "#/$defs/V"}}},
            "V": {"type": "number"},
        },
    }
    sub = CompiledSchema(_schema_at(root, "/$defs/Sample"))
    assert sub.is_valid({"v": 1.5})
    assert not sub.is_valid({"v": "x"})
    assert _schema_at(root, "") is root


def test_binding_an_unknown_schema_fails_loudly() -> None:
    with pytest.raises(LookupError, match="no ack schema"):
        bind_schemas(SPEC, (Point, "/", "point", "ack", ""))
    with pytest.raises(LookupError, match="namespace '/nope'"):
        bind_schemas(SPEC, (Point, "/nope", None, "query", ""))


def test_a_model_without_a_schema_is_plain_pydantic() -> None:
    class Loose(SpecModel):
        n: int

    assert Loose.model_validate({"n": "5"}).n == 5  # nothing bound: pydantic's own rules


def test_nested_model_instances_are_checked_as_json() -> None:
    sample = telemetry_events.Sample(
        device="d", sensor="s", value=1, unit="volt", takenAt="2024-01-01T00:00:00Z"
    )
    update = telemetry_events.ReadingUpdate.model_validate(sample.model_dump())
    assert update.value == 1
    message_id = uuid.uuid4()
    with pytest.raises(ValidationError, match=r"rule: format"):
        telemetry_events.DeviceStatus(device="d", online=True, lastSeen=str(message_id))
