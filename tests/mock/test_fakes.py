"""Fake payloads and acks: every value made validates against its schema, over every example spec
(thousands of samples, zero invalid); formats, patterns, tuples and objects as the spec says; the
same seed gives the same data."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asynction.exceptions import ValidationException
from asynction.mock.fakes import FakeData
from asynction.mock.formats import STANDARD_FORMATS, FormatSamples
from asynction.spec import load_spec
from asynction.spec.model import Api
from asynction.validation import CompiledSchema
from tests.mock.conftest import (
    EXAMPLE_SPECS,
    HARD_SPEC,
    OFFICIAL,
    OFFICIAL_SPECS,
    ROOT,
    events_of,
    validator,
)

SAMPLES_PER_PART = 30
SEEDS = (1, 2, 3)

UNSATISFIABLE = {
    # oneOf of two objects that accept each other's values: a value matching exactly one branch
    # exists ({"key": 5}) but no generator makes one; the event is skipped, never sent invalid.
    ("2.5.0/oneof.yml", "/test", "testMessages", "payload"),
    # minLength above maxLength: nothing satisfies it.
    ("hard.yaml", "/people", "impossible", "payload"),
}


def _label(path: Path) -> str:
    if path.is_relative_to(OFFICIAL):
        return str(path.relative_to(OFFICIAL))
    if path == HARD_SPEC:
        return "hard.yaml"
    return str(path.relative_to(ROOT))


ALL_SPECS = [*EXAMPLE_SPECS, *OFFICIAL_SPECS, HARD_SPEC]
HARD_API = load_spec(HARD_SPEC)


@pytest.mark.parametrize("path", ALL_SPECS, ids=_label)
def test_every_fake_value_validates_against_its_schema(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = load_spec(path)
    label = _label(path)
    samples = invalid = 0
    skipped: set[tuple[str, str, str, str]] = set()
    for seed in SEEDS:
        fakes = FakeData(api, seed=seed)
        for namespace, event in events_of(api):
            for part in ("payload", "ack"):
                schema = event.payload if part == "payload" else event.ack
                check = validator(namespace, event, part)
                for _ in range(SAMPLES_PER_PART):
                    arguments = fakes.arguments(namespace, event, part)
                    if arguments is None:
                        skipped.add((label, namespace, event.name, part))
                        continue
                    if schema is None:
                        assert arguments == ()
                        continue
                    samples += 1
                    try:
                        check.validate(arguments)
                    except ValidationException:
                        invalid += 1
    assert invalid == 0
    assert skipped == {key for key in UNSATISFIABLE if key[0] == label}
    if skipped:
        # a skipped event is said once per FakeData, not once per value
        warnings = [record for record in caplog.records if "is skipped" in record.message]
        assert len(warnings) == len(skipped) * len(SEEDS)
    TOTALS[label] = samples


TOTALS: dict[str, int] = {}


def test_thousands_of_samples_were_checked() -> None:
    """Runs after the parametrised test above (pytest keeps file order)."""
    if len(TOTALS) < len(ALL_SPECS):
        pytest.skip("run with the whole module")
    assert sum(TOTALS.values()) >= 5000


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_valid_data_for_the_hard_schemas(seed: int) -> None:
    api = HARD_API
    fakes = FakeData(api, seed=seed)
    for namespace, event in events_of(api):
        for part in ("payload", "ack"):
            schema = event.payload if part == "payload" else event.ack
            if schema is None:
                continue
            check = validator(namespace, event, part)
            for _ in range(5):
                arguments = fakes.arguments(namespace, event, part)
                if arguments is None:
                    assert event.name == "impossible"
                    continue
                check.validate(arguments)


def test_models_are_polyfactorys_on_the_generated_pydantic_models() -> None:
    api = load_spec(HARD_SPEC)
    fakes = FakeData(api, seed=3)
    models = fakes.models
    assert models is not None
    namespace, event = next((ns, ev) for ns, ev in events_of(api) if ev.name == "person")
    builders = models.builders(namespace, event, "payload")
    assert builders is not None
    assert builders.kind == "single"
    # polyfactory made it (no fallback): every generator still in use, none failing
    for _ in range(20):
        assert fakes.payload(namespace, event) is not None
    slot = next(iter(fakes._slots.values()))
    assert [generator.name for generator in slot.generators] == ["models", "sampler"]
    assert slot.generators[0].failed_values == 0


def test_without_models_the_sampler_alone_makes_valid_data() -> None:
    api = load_spec(HARD_SPEC)
    fakes = FakeData(api, seed=4, use_models=False)
    assert fakes.models is None
    for namespace, event in events_of(api):
        check = validator(namespace, event, "payload")
        for _ in range(10):
            arguments = fakes.payload(namespace, event)
            if arguments is not None and event.payload is not None:
                check.validate(arguments)


# -- what the values look like ------------------------------------------------------------------


def _values(
    api: Api, name: str, part: str = "payload", count: int = 60, **options: Any
) -> list[Any]:
    fakes = FakeData(api, **{"seed": 11, **options})
    namespace, event = next((ns, ev) for ns, ev in events_of(api) if ev.name == name)
    values = [fakes.arguments(namespace, event, part) for _ in range(count)]
    assert all(value is not None for value in values)
    return values


@pytest.fixture(scope="module")
def hard() -> Api:
    return HARD_API


def test_custom_formats_are_faker_providers_sampled_up_front(hard: Api) -> None:
    values = [args[0] for args in _values(hard, "person", custom_formats_sample_size=5)]
    first_names = {value["firstName"] for value in values}
    # drawn from 5 samples of Faker's first_name provider
    assert 1 < len(first_names) <= 5
    assert all(re.fullmatch(r"[A-Z][a-z]+", name) for name in first_names)
    bios = [value["bio"] for value in values]
    assert all(bio.endswith(".") and " " in bio for bio in bios)  # Faker sentences
    phones = [value["phone"] for value in values if "phone" in value]
    assert phones
    assert all(re.search(r"\d{3}", phone) for phone in phones)


def test_custom_formats_can_be_turned_off(hard: Api) -> None:
    values = [args[0] for args in _values(hard, "person", custom_formats_sample_size=0)]
    assert len({value["firstName"] for value in values}) > 5  # not drawn from a few samples
    assert not all(re.fullmatch(r"[A-Z][a-z]+", value["firstName"]) for value in values)


def test_unknown_format_names_are_plain_strings(hard: Api) -> None:
    values = [args[0] for args in _values(hard, "person")]
    nicknames = [value["nickname"] for value in values if "nickname" in value]
    assert nicknames
    assert all(2 <= len(name) <= 6 for name in nicknames)


def test_format_samples_skip_providers_that_are_not_json_or_not_providers() -> None:
    from faker import Faker

    samples = FormatSamples({"first_name", "binary", "seed", "no_such_provider"}, Faker(), 1, 3)
    assert samples.formats == {"first_name"}  # binary is standard; seed is no provider
    first = samples.get("first_name")
    assert first is not None
    assert len(first) == 3


@pytest.mark.parametrize("name", sorted(STANDARD_FORMATS))
def test_standard_formats_get_valid_values(name: str) -> None:
    api = load_spec(
        {
            "asyncapi": "2.6.0",
            "info": {"title": "F", "version": "1"},
            "channels": {
                "/": {
                    "subscribe": {
                        "message": {
                            "name": "value",
                            "payload": {"type": "string", "format": name},
                        }
                    }
                }
            },
        }
    )
    schema = CompiledSchema({"type": "string", "format": name})
    values = _values(api, "value", count=200)
    assert all(schema.is_valid(args[0]) for args in values)
    assert len({args[0] for args in values}) > 1


def test_patterns_are_honoured(hard: Api) -> None:
    for args in _values(hard, "position"):
        assert re.fullmatch(r"[A-Z]{3}-\d{2,4}", args[0])
    for args in _values(hard, "collections"):
        tags = args[0]["tags"]
        assert 2 <= len(tags) <= 5
        assert len(set(tags)) == len(tags)
        assert all(re.fullmatch(r"#[a-z]+", tag) for tag in tags)


def test_tuples_become_positional_arguments(hard: Api) -> None:
    for args in _values(hard, "position"):
        assert len(args) == 4
        code, latitude, longitude, taken = args
        assert isinstance(code, str)
        assert isinstance(taken, str)
        assert -90 <= latitude <= 90
        assert -180 < longitude < 180
    for args in _values(hard, "locate", part="ack"):
        assert len(args) == 3


def test_objects_carry_no_keys_their_schema_does_not_declare(hard: Api) -> None:
    declared = {"a", "b", "nested"}
    for args in _values(hard, "open", count=100):
        assert set(args[0]) <= declared  # additionalProperties is not false: still no junk
        assert set(args[0].get("nested", {})) <= {"c"}


def test_optional_properties_are_sometimes_left_out(hard: Api) -> None:
    values = [args[0] for args in _values(hard, "person", count=80)]
    assert any("company" in value for value in values)
    assert any("company" not in value for value in values)


def test_lists_stay_short_whatever_their_maximum(hard: Api) -> None:
    for args in _values(hard, "collections"):
        assert len(args[0]["contacts"]) <= 3  # maxItems: 400


def test_events_without_payload_and_null_payloads_take_no_argument(hard: Api) -> None:
    assert all(args == () for args in _values(hard, "nothing"))
    assert all(args in ((), (None,)) for args in _values(hard, "null"))


def test_a_value_only_the_spec_example_satisfies_falls_back_to_it(hard: Api) -> None:
    assert {args for args in _values(hard, "example only", count=20)} == {("SHOUT!",)}


def test_an_unsatisfiable_schema_is_skipped_with_one_warning(
    hard: Api, caplog: pytest.LogCaptureFixture
) -> None:
    fakes = FakeData(hard, seed=1)
    namespace, event = next((ns, ev) for ns, ev in events_of(hard) if ev.name == "impossible")
    with caplog.at_level(logging.WARNING, logger="asynction.mock.fakes"):
        assert [fakes.payload(namespace, event) for _ in range(5)] == [None] * 5
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1
    assert "'impossible'" in warnings[0]
    assert "hard.yaml#/components/messages/Impossible" in warnings[0]


# -- reproducibility ---------------------------------------------------------------------------


def _sequence(api: Api, seed: int, order: list[str]) -> dict[str, list[Any]]:
    fakes = FakeData(api, seed=seed)
    found: dict[str, list[Any]] = {name: [] for name in order}
    events = {event.name: (namespace, event) for namespace, event in events_of(api)}
    for _ in range(5):
        for name in order:
            namespace, event = events[name]
            found[name].append(fakes.payload(namespace, event))
    return found


def test_the_same_seed_gives_the_same_data_whatever_the_order(hard: Api) -> None:
    names = ["person", "formats", "position", "numbers", "maps"]
    first = _sequence(hard, 42, names)
    again = _sequence(hard, 42, list(reversed(names)))
    assert first == again
    other = _sequence(hard, 43, names)
    assert other != first


def test_without_a_seed_one_is_picked_and_reported(hard: Api) -> None:
    picked = FakeData(hard)
    again = FakeData(hard, seed=picked.seed)
    namespace, event = next((ns, ev) for ns, ev in events_of(hard) if ev.name == "person")
    assert picked.payload(namespace, event) == again.payload(namespace, event)
