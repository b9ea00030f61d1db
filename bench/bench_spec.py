"""Spec layer benchmark: loading + checking + normalising a large generated spec, and import time.

Run from the repository root:  python bench/bench_spec.py
Targets (issue 2): a 200-namespace x 5-message spec (~0.9 MB of YAML) in <= 450 ms CPU;
`import asynction` <= 1.3x `import flask_socketio` wall time, measured in the same run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

NAMESPACES = 200
MESSAGES = 5


def medium_schema(index: int) -> dict[str, Any]:
    """A medium object schema: nested objects, arrays of objects, enums, formats, patterns."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "createdAt", "status", "owner", "items"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "createdAt": {"type": "string", "format": "date-time"},
            "status": {"type": "string", "enum": ["new", "active", "done", "failed"]},
            "priority": {"type": "integer", "minimum": 0, "maximum": 10},
            "score": {"type": "number", "exclusiveMinimum": 0},
            "code": {"type": "string", "pattern": f"^[A-Z]{{3}}-{index}-[0-9]+$"},
            "email": {"type": "string", "format": "email"},
            "owner": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                },
            },
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["sku", "quantity"],
                    "properties": {
                        "sku": {"type": "string"},
                        "quantity": {"type": "integer", "minimum": 1},
                    },
                },
            },
            "note": {"type": ["string", "null"]},
        },
    }


def generated_spec() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for n in range(NAMESPACES):
        refs = []
        for m in range(MESSAGES):
            key = f"Message{n}x{m}"
            messages[key] = {
                "name": f"event {m}",
                "payload": medium_schema(n * MESSAGES + m),
            }
            refs.append({"$ref": f"#/components/messages/{key}"})
        channels[f"/ns{n}"] = {
            "publish": {"message": {"oneOf": refs[:3]}},
            "subscribe": {"message": {"oneOf": refs[3:]}},
            "bindings": {
                "ws": {"query": {"type": "object", "properties": {"token": {"type": "string"}}}}
            },
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Generated", "version": "1.0.0"},
        "channels": channels,
        "components": {"messages": messages},
    }


def cpu_ms(action: Any, repeat: int, clock: Any = time.process_time) -> list[float]:
    """Milliseconds per run of ``action``: CPU time, or wall time with ``time.perf_counter``."""
    samples = []
    for _ in range(repeat):
        start = clock()
        action()
        samples.append((clock() - start) * 1000)
    return samples


def wall_ms(action: Any, repeat: int) -> list[float]:
    return cpu_ms(action, repeat, clock=time.perf_counter)


def import_wall_ms(module: str, repeat: int) -> float:
    """Median wall time of a fresh interpreter importing ``module``, minus an empty interpreter."""

    def run(code: str) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    return run(f"import {module}") - run("pass")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from asynction.spec import load_spec

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(
            yaml.safe_dump(generated_spec(), sort_keys=False, default_flow_style=None, width=100),
            encoding="utf-8",
        )
        size_mb = path.stat().st_size / 1e6
        load_spec(path)  # warm up lazy imports
        samples = cpu_ms(lambda: load_spec(path), repeat=7)
        api = load_spec(path)
    events = sum(len(ns.incoming) + len(ns.outgoing) for ns in api.namespaces)
    print(f"spec: {size_mb:.2f} MB YAML, {len(api.namespaces)} namespaces, {events} events")
    median = statistics.median(samples)
    print(
        f"load + check + normalise: median {median:.0f} ms CPU "
        f"(min {min(samples):.0f}, max {max(samples):.0f}; {median / size_mb:.0f} ms per MB; "
        "target <= 450 ms for ~0.9 MB)"
    )

    # Building the server from the loaded spec: with validation every schema is compiled then
    # (a schema jsonschema_rs refuses fails start-up), without it nothing is.
    from flask_socketio import SocketIO

    from asynction.server import AsynctionSocketIO

    AsynctionSocketIO(api, True, False, None)  # warm up
    validated = statistics.median(wall_ms(lambda: AsynctionSocketIO(api, True, False, None), 9))
    unvalidated = statistics.median(wall_ms(lambda: AsynctionSocketIO(api, False, False, None), 9))
    bare_server = statistics.median(wall_ms(SocketIO, 9))
    print(
        f"server construction from the loaded spec, median wall: validation=True {validated:.1f} "
        f"ms (every schema compiled), validation=False {unvalidated:.2f} ms, "
        f"bare SocketIO() {bare_server:.2f} ms"
    )

    ours = import_wall_ms("asynction", repeat=15)
    bare = import_wall_ms("flask_socketio", repeat=15)
    print(
        f"import asynction: {ours:.1f} ms, import flask_socketio: {bare:.1f} ms wall "
        f"(ratio {ours / bare:.2f}x; target <= 1.3x)"
    )
    server = import_wall_ms("asynction.server", repeat=15)
    print(f"import asynction.server (the server, with flask_socketio): {server:.1f} ms wall")


if __name__ == "__main__":
    main()
