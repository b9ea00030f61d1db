"""String ``format``\\ s for fake data: valid values for the formats JSON Schema defines, and
samples of the Faker providers that other format names name.

A ``format`` JSON Schema (and OpenAPI) defines — ``date-time``, ``email``, ``uuid``, ``uri``,
``ipv4``… — gets a value that asynction's validator accepts. Any other name is looked up as a Faker
provider (``first_name``, ``sentence``, ``company``…): when one exists and takes no argument, it is
sampled ``custom_formats_sample_size`` times up front and values are drawn from those samples, as the
predecessor did. A format that is neither is ignored (JSON Schema ignores unknown formats too).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import logging
import random
import string
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["STANDARD_FORMATS", "FormatSamples", "Pools", "collect_formats", "standard_value"]

logger = logging.getLogger(__name__)

Generate = Callable[[random.Random, "Pools"], str]

_WORDS = (
    "alpha",
    "beta",
    "delta",
    "lobby",
    "sensor",
    "device",
    "room",
    "order",
    "status",
    "event",
)


def _date(rng: random.Random) -> str:
    return f"{rng.randint(2000, 2035):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _offset(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return "Z"
    hours = rng.randint(-11, 13)
    minutes = rng.choice((0, 30, 45))
    sign = "+" if hours >= 0 else "-"
    return f"{sign}{abs(hours):02d}:{minutes:02d}"


def _time(rng: random.Random) -> str:
    fraction = f".{rng.randint(0, 999):03d}" if rng.random() < 0.3 else ""
    return (
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        f"{fraction}{_offset(rng)}"
    )


def _duration(rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return f"P{rng.randint(1, 30)}D"
    if choice == 1:
        return f"PT{rng.randint(1, 23)}H{rng.randint(1, 59)}M"
    if choice == 2:
        return f"P{rng.randint(1, 5)}Y{rng.randint(1, 11)}M"
    return f"P{rng.randint(1, 52)}W"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS)


def _ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randint(1 if index == 0 else 0, 254)) for index in range(4))


def _ipv6(rng: random.Random) -> str:
    return ":".join(f"{rng.getrandbits(16):x}" for _ in range(8))


def _json_pointer(rng: random.Random) -> str:
    return "/" + "/".join(_word(rng) for _ in range(rng.randint(1, 3)))


def _byte(rng: random.Random) -> str:
    return base64.b64encode(rng.randbytes(rng.randint(3, 24))).decode("ascii")


class Pools:
    """Faker values drawn once (seeded), from which formats pick with the shared random: Faker
    builds an e-mail address in about 50 µs, a pick costs well under one."""

    def __init__(self, faker: Faker, seed: int, size: int = 64) -> None:
        faker.seed_instance(f"{seed}/pools")
        self.users = tuple(str(faker.user_name()) for _ in range(size))
        self.domains = tuple(str(faker.domain_name()) for _ in range(size // 2))


def _email(rng: random.Random, pools: Pools) -> str:
    return f"{rng.choice(pools.users)}@{rng.choice(pools.domains)}"


def _hostname(rng: random.Random, pools: Pools) -> str:
    return rng.choice(pools.domains)


def _uri(rng: random.Random, pools: Pools) -> str:
    return f"https://{rng.choice(pools.domains)}/{_word(rng)}/{rng.randint(1, 9999)}"


def _password(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "!#$%&*+-=?@^_"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(10, 16)))


STANDARD_FORMATS: Mapping[str, Generate] = {
    "date-time": lambda rng, pools: f"{_date(rng)}T{_time(rng)}",
    "date": lambda rng, pools: _date(rng),
    "time": lambda rng, pools: _time(rng),
    "duration": lambda rng, pools: _duration(rng),
    "email": _email,
    "idn-email": _email,
    "hostname": _hostname,
    "idn-hostname": _hostname,
    "ipv4": lambda rng, pools: _ipv4(rng),
    "ipv6": lambda rng, pools: _ipv6(rng),
    "uri": _uri,
    "iri": _uri,
    "uri-reference": lambda rng, pools: _json_pointer(rng),
    "iri-reference": lambda rng, pools: _json_pointer(rng),
    "uri-template": lambda rng, pools: f"https://{_hostname(rng, pools)}/{_word(rng)}/{{id}}",
    "uuid": lambda rng, pools: _uuid(rng),
    "json-pointer": lambda rng, pools: _json_pointer(rng),
    "relative-json-pointer": lambda rng, pools: f"{rng.randint(0, 3)}{_json_pointer(rng)}",
    "regex": lambda rng, pools: rng.choice(("^[a-z]+$", "\\d{3}", "^(on|off)$", "[A-Z]\\w*")),
    # OpenAPI's string formats
    "byte": lambda rng, pools: _byte(rng),
    "binary": lambda rng, pools: _password(rng),
    "password": lambda rng, pools: _password(rng),
}
"""A valid value for each format JSON Schema (and OpenAPI) defines for strings."""

_NON_STRING_FORMATS = frozenset({"int32", "int64", "float", "double"})
"""OpenAPI's numeric formats: they constrain numbers, not strings, and name no Faker provider."""


def standard_value(name: str, rng: random.Random, pools: Pools) -> str | None:
    """A value of the standard format ``name``, or ``None`` if the format is not standard."""
    generate = STANDARD_FORMATS.get(name)
    return None if generate is None else generate(rng, pools)


def collect_formats(schemas: Iterator[Any]) -> set[str]:
    """Every ``format`` named in the given schemas (walking their subschemas)."""
    found: set[str] = set()
    for schema in schemas:
        stack = [schema]
        while stack:
            node = stack.pop()
            if isinstance(node, Mapping):
                value = node.get("format")
                if isinstance(value, str):
                    found.add(value)
                stack.extend(node.values())
            elif isinstance(node, (list, tuple)):
                stack.extend(node)
    return found


def _json_value(value: Any) -> Any:
    """A Faker sample as JSON data, or ``None`` when it cannot be one (bytes, objects…)."""
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return None


class FormatSamples:
    """Samples of the Faker providers named by the custom formats of a spec.

    ``sample_size`` values per format are drawn once, here, from a Faker seeded with ``seed``; a
    format whose provider does not exist, needs arguments, fails or gives no JSON value (bytes…) has
    no samples, and values of it are made as if it had no format.
    """

    def __init__(self, formats: set[str], faker: Faker, seed: int, sample_size: int) -> None:
        self._samples: dict[str, tuple[Any, ...]] = {}
        if sample_size <= 0:
            return
        providers = _provider_names(faker)
        for name in sorted(formats):
            if name in STANDARD_FORMATS or name in _NON_STRING_FORMATS or name not in providers:
                continue
            faker.seed_instance(f"{seed}/format/{name}")
            values: list[Any] = []
            try:
                provider = getattr(faker, name)
                for _ in range(sample_size):
                    value = _json_value(provider())
                    if value is None:
                        values = []
                        break
                    values.append(value)
            except Exception as error:  # a provider needing arguments, or failing
                logger.info("format %r: Faker provider %r cannot be sampled: %s", name, name, error)
                values = []
            if values:
                self._samples[name] = tuple(values)

    @property
    def formats(self) -> frozenset[str]:
        """The custom formats that have samples."""
        return frozenset(self._samples)

    def get(self, name: str) -> tuple[Any, ...] | None:
        """The samples of the custom format ``name``, or ``None``."""
        return self._samples.get(name)


def _provider_names(faker: Faker) -> set[str]:
    """The public methods of the providers Faker has (not Faker's own methods like ``seed``)."""
    names: set[str] = set()
    for generator in faker.factories:
        for provider in generator.get_providers():
            for name in dir(provider):
                if not name.startswith("_"):
                    names.add(name)
    return names
