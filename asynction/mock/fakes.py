"""Fake payloads and acks for every event of an API, each valid against its schema.

:class:`FakeData` makes the Socket.IO arguments of an event's payload or ack. Every value goes
through the same validator the server uses (:class:`~asynction.validation.ArgumentsValidator`)
before it is returned; a value that fails is made again, by a bounded chain of generators:

1. polyfactory, on the pydantic models ``asynction codegen`` generates for the spec (see
   :mod:`asynction.mock.models`): a few attempts;
2. the schema sampler on the whole argument schema (:mod:`asynction.mock.sampler`): a few more;
3. a deterministic value: the message's first valid example, else the example the docs page
   shows (:func:`asynction.docs.examples.generate_example`);
4. nothing: the event is skipped, and a warning says so once.

A generator that keeps failing for an event (its every attempt, several values in a row) is not
tried for that event again, so an unsatisfiable schema costs little after the first values.

Reproducibility: the value of the ``n``-th call for an event depends only on the seed, the event and
``n`` (one :class:`random.Random`, shared by polyfactory, Faker and the sampler, is re-seeded from
them before every attempt, under a lock). The same seed gives the same data whatever the timing of
the threads that ask for it.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asynction.exceptions import ValidationException
from asynction.spec.model import Api, Direction, Event, JsonSchema
from asynction.validation import ArgumentShape, ArgumentsValidator, argument_shape

if TYPE_CHECKING:
    from faker import Faker

    from asynction.mock.models import ArgumentBuilders, SpecModels
    from asynction.mock.sampler import SchemaSampler

__all__ = ["FakeData", "Part"]

logger = logging.getLogger(__name__)

Part = str
"""``"payload"`` or ``"ack"``."""

MODEL_ATTEMPTS = 4
SAMPLER_ATTEMPTS = 6
GIVE_UP_AFTER = 8
"""A generator that failed every attempt for this many values in a row is dropped for the event."""

Arguments = tuple[Any, ...]


@dataclass
class _Generator:
    name: str
    attempts: int
    make: Callable[[], Arguments]
    failed_values: int = 0
    """Values in a row for which every attempt of this generator failed."""


@dataclass
class _Slot:
    """The state of one payload or ack: its validator, generators and counter."""

    key: str
    namespace: str
    event: Event
    part: Part
    validator: ArgumentsValidator
    generators: list[_Generator] = field(default_factory=list)
    count: int = 0
    fallback: Arguments | None = None
    fallback_ready: bool = False
    warned: bool = False


class FakeData:
    """Fake, valid Socket.IO arguments for the payloads and acks of an API's events.

    :param api: the loaded spec.
    :param seed: makes the data reproducible; ``None`` picks a random seed (see :attr:`seed`).
    :param custom_formats_sample_size: Faker samples drawn per custom string format (``0``: custom
        formats are not faked).
    :param use_models: build values with polyfactory on the generated pydantic models (else the
        schema sampler alone is used). Falls back to the sampler, with a warning, when the models
        cannot be generated (datamodel-code-generator missing or failing).
    """

    def __init__(
        self,
        api: Api,
        *,
        seed: int | None = None,
        custom_formats_sample_size: int = 20,
        use_models: bool = True,
    ) -> None:
        from faker import Faker

        from asynction.mock.formats import FormatSamples, collect_formats
        from asynction.mock.sampler import SchemaSampler

        self.api = api
        self.seed: int = seed if seed is not None else random.SystemRandom().randrange(2**32)
        """The seed in use: pass it again to get the same data."""
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        faker: Faker = Faker()
        faker.random = self._rng  # type: ignore[attr-defined]  # Faker's proxy has a setter
        self._faker = faker
        formats = FormatSamples(
            collect_formats(_schemas(api)), faker, self.seed, custom_formats_sample_size
        )
        self._sampler: SchemaSampler = SchemaSampler(self._rng, faker, formats, seed=self.seed)
        self._models: SpecModels | None = None
        self._models_pending = use_models and any(True for _ in _schemas(api))
        self._slots: dict[tuple[str, Direction, str, Part], _Slot] = {}

    @property
    def models(self) -> SpecModels | None:
        """The pydantic models the data is built from (generated now if they were not yet),
        ``None`` when the sampler works alone."""
        self.prepare()
        return self._models

    def prepare(self) -> None:
        """Generate the pydantic models now (datamodel-code-generator takes about half a second
        in a fresh process). Done on first use otherwise; the mock server does it in the
        background while it starts listening."""
        with self._lock:
            self._prepare()

    def _prepare(self) -> None:
        if self._models_pending:
            self._models_pending = False
            self._models = _models(self.api, self._rng, self._faker, self._sampler)

    def payload(self, namespace: str, event: Event) -> Arguments | None:
        """The Socket.IO arguments of a fake payload of ``event`` (``()`` for an event without
        payload), or ``None`` when no valid value can be made."""
        return self.arguments(namespace, event, "payload")

    def ack(self, namespace: str, event: Event) -> Arguments | None:
        """The arguments of a fake ack of ``event`` (``()`` when it has no ack schema), or
        ``None`` when no valid value can be made."""
        return self.arguments(namespace, event, "ack")

    def arguments(self, namespace: str, event: Event, part: Part) -> Arguments | None:
        """Fake arguments of ``event``'s ``part`` (``"payload"`` or ``"ack"``), validated."""
        schema = event.payload if part == "payload" else event.ack
        if schema is None:
            return ()
        with self._lock:
            self._prepare()
            slot = self._slot(namespace, event, part, schema)
            index = slot.count
            slot.count += 1
            return self._generate(slot, index)

    # -- slots --------------------------------------------------------------------------------

    def _slot(self, namespace: str, event: Event, part: Part, schema: JsonSchema) -> _Slot:
        key = (namespace, event.direction, event.name, part)
        slot = self._slots.get(key)
        if slot is not None:
            return slot
        kind = "ack" if part == "ack" else "payload"
        validator = ArgumentsValidator(
            schema,
            namespace=namespace,
            event=event.name,
            what=kind,
            location=event.location,
        )
        slot = _Slot(
            f"{namespace}|{event.direction.value}|{event.name}|{part}",
            namespace,
            event,
            part,
            validator,
        )
        shape = argument_shape(schema)
        builders = (
            self._models.builders(namespace, event, part) if self._models is not None else None
        )
        if builders is not None:
            slot.generators.append(_Generator("models", MODEL_ATTEMPTS, _from_builders(builders)))
        sampler = self._sampler
        slot.generators.append(
            _Generator(
                "sampler",
                SAMPLER_ATTEMPTS,
                lambda: _as_arguments(sampler.sample(schema, schema), shape),
            )
        )
        self._slots[key] = slot
        return slot

    def _generate(self, slot: _Slot, index: int) -> Arguments | None:
        rng = self._rng
        for generator in slot.generators:
            if generator.failed_values >= GIVE_UP_AFTER:
                continue
            for attempt in range(generator.attempts):
                rng.seed(f"{self.seed}|{slot.key}|{index}|{generator.name}|{attempt}")
                try:
                    arguments = generator.make()
                except Exception as error:  # any generator failure: try again, then fall back
                    logger.debug("%s: %s attempt failed: %r", slot.key, generator.name, error)
                    continue
                if self._valid(slot, arguments):
                    generator.failed_values = 0
                    return arguments
            generator.failed_values += 1
            if generator.failed_values == GIVE_UP_AFTER:
                logger.debug("%s: %s dropped after repeated failures", slot.key, generator.name)
        return self._fallback(slot)

    def _valid(self, slot: _Slot, arguments: Arguments) -> bool:
        try:
            slot.validator.validate(arguments)
        except ValidationException as error:
            logger.debug("%s: generated value rejected: %s", slot.key, error)
            return False
        return True

    def _fallback(self, slot: _Slot) -> Arguments | None:
        """The deterministic value of a slot, worked out once; ``None`` (and a warning, once)
        when there is none."""
        if not slot.fallback_ready:
            slot.fallback_ready = True
            slot.fallback = self._deterministic(slot)
        if slot.fallback is None and not slot.warned:
            slot.warned = True
            what = "ack" if slot.part == "ack" else "payload"
            logger.warning(
                "namespace %r, event %r: no valid fake %s can be made from its schema (%s); "
                "it is skipped",
                slot.namespace,
                slot.event.name,
                what,
                slot.event.location,
            )
        return slot.fallback

    def _deterministic(self, slot: _Slot) -> Arguments | None:
        from asynction.docs.examples import NoExample, generate_example

        schema = slot.event.payload if slot.part == "payload" else slot.event.ack
        assert schema is not None
        shape = argument_shape(schema)
        candidates: list[Any] = list(slot.event.examples) if slot.part == "payload" else []
        try:
            candidates.append(generate_example(schema))
        except (NoExample, RecursionError, ValueError) as error:
            logger.debug("%s: no deterministic example: %s", slot.key, error)
        for candidate in candidates:
            arguments = _as_arguments(candidate, shape)
            if self._valid(slot, arguments):
                return arguments
        return None


def _as_arguments(value: Any, shape: ArgumentShape) -> Arguments:
    """A value of the whole argument schema as Socket.IO arguments: a tuple schema's list is the
    positional arguments; any other value is one argument."""
    if shape is ArgumentShape.TUPLE and isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def _from_builders(builders: ArgumentBuilders) -> Callable[[], Arguments]:
    """The arguments the models' builders make: none, one per tuple position, or one value."""
    kind = builders.kind
    makers = builders.builders
    if kind in ("none", "null"):
        return tuple
    if kind == "tuple":
        return lambda: tuple(make() for make in makers)
    make_one = makers[0]
    return lambda: (make_one(),)


def _models(
    api: Api, rng: random.Random, faker: Faker, sampler: SchemaSampler
) -> SpecModels | None:
    """The generated models of ``api``, or ``None`` (with a warning) when they cannot be made."""
    try:
        from asynction.mock.models import SpecModels

        return SpecModels(api, rng, faker, sampler)
    except ImportError as error:
        logger.warning(
            "fake data without pydantic models (%s): install datamodel-code-generator and "
            "polyfactory for it",
            error,
        )
    except Exception as error:  # datamodel-code-generator fails in many ways
        logger.warning("fake data without pydantic models: %s", error)
    return None


def _schemas(api: Api) -> Iterator[JsonSchema]:
    """Every payload and ack schema of the API."""
    for namespace in api.namespaces:
        for event in (*namespace.incoming, *namespace.outgoing):
            if event.payload is not None:
                yield event.payload
            if event.ack is not None:
                yield event.ack
