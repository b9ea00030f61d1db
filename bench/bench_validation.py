"""Micro benchmark of asynction.validation: CPU µs per validate() call.

Run from the project root: ``python bench/bench_validation.py [--quick]``. Prints one line per case:
the validators' cost for small, medium and large payloads, valid and invalid, beside the bare
jsonschema_rs ``is_valid`` call they wrap, and a connection's bindings check.
"""

from __future__ import annotations

import json
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asynction.exceptions import ValidationException
from asynction.spec.model import ConnectBindings
from asynction.validation import ArgumentsValidator, BindingsValidator

USER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "name": {"type": "string", "maxLength": 40},
        "email": {"type": "string", "format": "email"},
    },
    "required": ["id", "name"],
}
SMALL = {
    "type": "object",
    "properties": {"room": {"type": "string"}, "text": {"type": "string", "maxLength": 500}},
    "required": ["room", "text"],
    "additionalProperties": False,
}
MEDIUM = {
    "type": "object",
    "$defs": {"user": USER},
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "sent": {"type": "string", "format": "date-time"},
        "author": {"$ref": "#/$defs/user"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "price": {"type": "number", "minimum": 0},
                },
                "required": ["sku", "quantity", "price"],
            },
        },
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    },
    "required": ["id", "sent", "author", "items"],
}
LARGE = {
    "type": "object",
    "$defs": {"user": USER},
    "properties": {"rows": {"type": "array", "items": {"$ref": "#/$defs/user"}}},
    "required": ["rows"],
}
TREE = {
    "$defs": {
        "node": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
            "required": ["name"],
        }
    },
    "$ref": "#/$defs/node",
    "type": "object",
}
PAIR = {"type": "array", "prefixItems": [{"type": "string"}, SMALL], "items": False}

small = {"room": "lobby", "text": "hello there, how are you?"}
medium = {
    "id": "123e4567-e89b-12d3-a456-426614174000",
    "sent": "2024-05-01T12:30:00Z",
    "author": {"id": 7, "name": "Ann", "email": "ann@example.com"},
    "items": [{"sku": f"ABC-{i:04d}", "quantity": i + 1, "price": 9.5 * i} for i in range(6)],
    "tags": ["new", "priority", "gift"],
}
large = {
    "rows": [
        {"id": i + 1, "name": f"user number {i}", "email": f"user{i}@example.com"}
        for i in range(1000)
    ]
}
tree = {
    "name": "root",
    "children": [{"name": f"n{i}", "children": [{"name": "leaf"}]} for i in range(8)],
}


def invalid(payload: dict[str, Any]) -> dict[str, Any]:
    broken = json.loads(json.dumps(payload))
    if "rows" in broken:
        broken["rows"][-1]["id"] = "7"
    elif "items" in broken:
        broken["items"][-1]["quantity"] = "2"
    elif "children" in broken:
        broken["children"][-1]["children"][0]["name"] = 3
    else:
        broken["text"] = 5
    return broken


def cpu_us(call: Callable[[], object], budget: float) -> float:
    """CPU µs per call, over enough calls to fill about ``budget`` seconds."""
    timer = timeit.Timer(call, timer=time.process_time)
    number, elapsed = timer.autorange()
    repeats = max(1, int(budget / max(elapsed, 1e-9)))
    best = min(timer.repeat(repeat=min(repeats, 5), number=number))
    return best / number * 1e6


def rejecting(
    validate: Callable[[tuple[Any, ...]], None], args: tuple[Any, ...]
) -> Callable[[], None]:
    def call() -> None:
        try:
            validate(args)
        except ValidationException:
            return
        raise AssertionError("the invalid payload was accepted")

    return call


def main() -> None:
    budget = 0.05 if "--quick" in sys.argv else 0.3
    print(f"{'case':<34}{'bytes':>8}{'validate µs':>14}{'bare is_valid µs':>18}{'invalid µs':>12}")
    cases = [
        ("small, one argument", SMALL, (small,), small),
        ("small, tuple (2 arguments)", PAIR, ("lobby", small), ["lobby", small]),
        ("medium, one argument", MEDIUM, (medium,), medium),
        ("large, one argument", LARGE, (large,), large),
        ("recursive tree, one argument", TREE, (tree,), tree),
    ]
    for name, schema, args, instance in cases:
        validator = ArgumentsValidator(schema, namespace="/bench", event=name)
        validate = validator.validate
        validate(args)  # compiles
        compiled = validator.schema
        assert compiled is not None
        bare = compiled._validator.is_valid  # the jsonschema_rs call, for the overhead
        bad_args = (args[0], invalid(args[1])) if len(args) == 2 else (invalid(args[0]),)
        size = len(json.dumps(list(args)))
        valid_us = cpu_us(lambda validate=validate, args=args: validate(args), budget)
        bare_us = cpu_us(lambda bare=bare, instance=instance: bare(instance), budget)
        invalid_us = cpu_us(rejecting(validate, bad_args), budget)
        print(f"{name:<34}{size:>8}{valid_us:>14.2f}{bare_us:>18.2f}{invalid_us:>12.2f}")

    bindings = BindingsValidator(
        ConnectBindings(
            method="GET",
            query={
                "type": "object",
                "properties": {"token": {"type": "string"}, "limit": {"type": "integer"}},
                "required": ["token"],
            },
            headers={
                "type": "object",
                "properties": {"X-API-Key": {"type": "string"}},
                "required": ["X-API-Key"],
            },
        ),
        namespace="/bench",
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": "EIO=4&transport=websocket&t=OxYz1&token=abc&limit=5",
        "HTTP_HOST": "localhost:5000",
        "HTTP_USER_AGENT": "python-requests/2.32",
        "HTTP_ACCEPT": "*/*",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_UPGRADE": "websocket",
        "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
        "HTTP_X_API_KEY": "key_123",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "5000",
        "PATH_INFO": "/socket.io/",
        "wsgi.url_scheme": "http",
    }
    bindings.validate(environ)
    bad_environ = dict(environ, QUERY_STRING="EIO=4&limit=x")
    connect_us = cpu_us(lambda: bindings.validate(environ), budget)

    def refused() -> None:
        try:
            bindings.validate(bad_environ)
        except ValidationException:
            return

    refused_us = cpu_us(refused, budget)
    print(
        f"{'bindings (method, query, headers)':<34}{'':>8}{connect_us:>14.2f}{'':>18}{refused_us:>12.2f}"
    )


if __name__ == "__main__":
    main()
