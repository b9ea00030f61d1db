"""The dynamic server against bare Flask-SocketIO, in one run and one venv.

Run from the project root:  python bench/bench_server.py [--quick]

Both servers register the same handlers: ``AsynctionSocketIO.from_spec`` with validation on (from a
spec mapping whose ``x-handler``s point into this module), and a plain ``flask_socketio.SocketIO``
with the handlers registered by hand. Measured, alternating the two in every round:

* CPU µs per operation through Flask-SocketIO's test client: event + ack for a small (3 fields),
  medium (15 fields: nested object, array of objects, enum, date-time, uuid, pattern) and large
  (100 medium records) payload; one emit to one client; one connect + disconnect of a namespace
  with query and header bindings;
* round trips per second over real websockets on 127.0.0.1 (the server in a subprocess,
  python-socketio clients here), with 1 and with 4 concurrent clients.

Each figure is the median over the rounds; ratios are ours / bare (for round trips, bare / ours,
so that above 1 always means "asynction is slower").
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import select
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask  # noqa: E402
import flask_socketio  # noqa: E402

from asynction.server import AsynctionSocketIO  # noqa: E402

HERE = "__main__"

# -- payloads and their schemas -----------------------------------------------------------------

SMALL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "active": {"type": "boolean"},
    },
    "required": ["id", "name", "active"],
    "additionalProperties": False,
}
SMALL = {"id": 1, "name": "alice", "active": True}

MEDIUM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "created": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": ["active", "paused", "closed"]},
        "code": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{4}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 80},
        "count": {"type": "integer", "minimum": 0},
        "price": {"type": "number", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "owner": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "email": {"type": "string", "format": "email"},
                "age": {"type": "integer", "minimum": 0},
            },
            "required": ["name", "email"],
            "additionalProperties": False,
        },
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string"},
                    "qty": {"type": "integer", "minimum": 1},
                },
                "required": ["sku", "qty"],
            },
        },
        "active": {"type": "boolean"},
        "score": {"type": "number"},
        "note": {"type": ["string", "null"]},
        "version": {"type": "integer"},
        "region": {"type": "string", "enum": ["eu", "us", "apac"]},
    },
    "required": ["id", "created", "status", "code", "name", "owner", "items"],
    "additionalProperties": False,
}
MEDIUM = {
    "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "created": "2024-05-01T10:00:00Z",
    "status": "active",
    "code": "AB-1234",
    "name": "Widget",
    "count": 3,
    "price": 9.99,
    "tags": ["red", "small"],
    "owner": {"name": "Ann", "email": "ann@example.com", "age": 31},
    "items": [{"sku": "X1", "qty": 2}, {"sku": "X2", "qty": 1}],
    "active": True,
    "score": 0.5,
    "note": None,
    "version": 2,
    "region": "eu",
}
LARGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"records": {"type": "array", "items": MEDIUM_SCHEMA}},
    "required": ["records"],
    "additionalProperties": False,
}
LARGE = {"records": [copy.deepcopy(MEDIUM) for _ in range(100)]}

BINDINGS_QUERY = "token=abcdef&level=3"
BINDINGS_HEADERS = {"X-Api-Version": "2"}


def message(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "payload": schema,
        "x-handler": f"{HERE}.echo",
        "x-ack": {"args": schema},
    }


SPEC: dict[str, Any] = {
    "asyncapi": "2.6.0",
    "info": {"title": "bench", "version": "1"},
    "channels": {
        "/": {
            "publish": {
                "message": {
                    "oneOf": [
                        message("small", SMALL_SCHEMA),
                        message("medium", MEDIUM_SCHEMA),
                        message("large", LARGE_SCHEMA),
                    ]
                }
            },
            "subscribe": {"message": {"name": "update", "payload": MEDIUM_SCHEMA}},
        },
        "/bound": {
            "x-handlers": {"connect": f"{HERE}.on_connect"},
            "bindings": {
                "ws": {
                    "query": {
                        "type": "object",
                        "properties": {
                            "token": {"type": "string", "minLength": 4},
                            "level": {"type": "integer", "minimum": 1},
                        },
                        "required": ["token"],
                    },
                    "headers": {
                        "type": "object",
                        "properties": {"X-Api-Version": {"type": "string", "enum": ["1", "2"]}},
                        "required": ["X-Api-Version"],
                    },
                }
            },
            "publish": {"message": {"name": "noop", "x-handler": f"{HERE}.echo"}},
        },
    },
}


# -- the handlers both servers run ----------------------------------------------------------------


def echo(payload: Any = None) -> Any:
    return payload


def on_connect(auth: Any = None) -> None:
    return None


def build(kind: str) -> tuple[flask.Flask, flask_socketio.SocketIO]:
    """A Flask app with either server (``ours`` or ``bare``) serving the same handlers."""
    app = flask.Flask(f"bench-{kind}")
    if kind == "ours":
        sio = AsynctionSocketIO.from_spec(SPEC, app=app, async_mode="threading", docs=False)
        return app, sio
    sio = flask_socketio.SocketIO(app, async_mode="threading")
    for event in ("small", "medium", "large"):
        sio.on_event(event, echo)
    sio.on_event("connect", on_connect, namespace="/")
    sio.on_event("connect", on_connect, namespace="/bound")
    sio.on_event("noop", echo, namespace="/bound")
    return app, sio


# -- CPU per operation through the test client ------------------------------------------------


def cpu_per_op(operation: Callable[[], Any], count: int) -> float:
    """CPU µs per call of ``operation``, over ``count`` calls."""
    gc.collect()
    start = time.process_time()
    for _ in range(count):
        operation()
    return (time.process_time() - start) / count * 1e6


def test_client_cases(app: flask.Flask, sio: Any) -> dict[str, Callable[[], Any]]:
    client = sio.test_client(app)
    for event, payload in (("small", SMALL), ("medium", MEDIUM), ("large", LARGE)):
        assert client.emit(event, payload, callback=True) == payload, event

    def emit_one() -> None:
        sio.emit("update", MEDIUM)
        client.queue.clear()

    def connect_disconnect() -> None:
        bound = sio.test_client(
            app, namespace="/bound", query_string=BINDINGS_QUERY, headers=BINDINGS_HEADERS
        )
        bound.disconnect(namespace="/bound")
        # the test client never closes the Engine.IO session: forget it on both sides alike
        type(bound).clients.pop(bound.eio_sid, None)
        sio.server.environ.pop(bound.eio_sid, None)

    return {
        "event+ack small": lambda: client.emit("small", SMALL, callback=True),
        "event+ack medium": lambda: client.emit("medium", MEDIUM, callback=True),
        "event+ack large": lambda: client.emit("large", LARGE, callback=True),
        "emit one event": emit_one,
        "connect+disconnect (bindings)": connect_disconnect,
    }


CPU_COUNTS = {
    "event+ack small": 4000,
    "event+ack medium": 3000,
    "event+ack large": 120,
    "emit one event": 6000,
    "connect+disconnect (bindings)": 1500,
}
CPU_TARGETS = {
    "event+ack small": 1.08,
    "event+ack medium": 1.10,
    "event+ack large": 1.25,
    "emit one event": 1.30,
    "connect+disconnect (bindings)": 1.25,
}


def run_cpu(rounds: int, scale: float) -> dict[str, dict[str, list[float]]]:
    cases = {kind: test_client_cases(*build(kind)) for kind in ("ours", "bare")}
    results: dict[str, dict[str, list[float]]] = {
        name: {"ours": [], "bare": []} for name in CPU_COUNTS
    }
    for name, count in CPU_COUNTS.items():
        count = max(10, int(count * scale))
        for kind in ("ours", "bare"):  # warm-up: compile schemas, fill caches
            cpu_per_op(cases[kind][name], max(5, count // 10))
        for round_index in range(rounds):
            order = ("ours", "bare") if round_index % 2 == 0 else ("bare", "ours")
            for kind in order:
                results[name][kind].append(cpu_per_op(cases[kind][name], count))
    return results


# -- round trips over real websockets ----------------------------------------------------------


def serve(kind: str) -> None:
    """Subprocess entry point: serve one kind on a free port, print READY <port>, serve."""
    from werkzeug.serving import make_server

    from asynction.serving import WebSocketClosingHandler

    class Handler(WebSocketClosingHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    app, _ = build(kind)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Handler)
    server.daemon_threads = True
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever(poll_interval=0.1)


def start_server(kind: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("READY "):
        process.kill()
        raise RuntimeError(f"{kind} server did not start: {line!r}")
    return process, f"http://127.0.0.1:{int(line.split()[1])}"


def round_trips_per_second(url: str, clients: int, per_client: int, payload: Any) -> float:
    import socketio

    connected = []
    for _ in range(clients):
        client = socketio.Client(reconnection=False)
        client.connect(url, transports=["websocket"], wait_timeout=10)
        connected.append(client)
    for client in connected:  # warm-up
        for _ in range(20):
            client.call("medium", payload, timeout=10)
    barrier = threading.Barrier(clients + 1)

    def work(client: Any) -> None:
        barrier.wait()
        for _ in range(per_client):
            client.call("medium", payload, timeout=10)

    threads = [threading.Thread(target=work, args=(client,)) for client in connected]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    for client in connected:
        client.disconnect()
    return clients * per_client / elapsed


def run_websockets(rounds: int, scale: float) -> dict[str, dict[str, list[float]]]:
    servers = {kind: start_server(kind) for kind in ("ours", "bare")}
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for clients, per_client in ((1, 1000), (4, 300)):
            name = f"round trips/s, {clients} client{'s' if clients > 1 else ''} (medium)"
            results[name] = {"ours": [], "bare": []}
            count = max(20, int(per_client * scale))
            for round_index in range(rounds):
                order = ("ours", "bare") if round_index % 2 == 0 else ("bare", "ours")
                for kind in order:
                    rate = round_trips_per_second(servers[kind][1], clients, count, MEDIUM)
                    results[name][kind].append(rate)
    finally:
        for process, _ in servers.values():
            process.terminate()
        for process, _ in servers.values():
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
    return results


# -- report ---------------------------------------------------------------------------------------


def summarise(by_kind: dict[str, list[float]], invert: bool = False) -> tuple[float, float, float]:
    """(ours, bare, ratio): the medians, and the median of the per-round ratios (each round ran
    ours and bare back to back, so a ratio compares like with like on a shared machine)."""
    pairs = zip(by_kind["ours"], by_kind["bare"], strict=True)
    ratios = [bare / ours if invert else ours / bare for ours, bare in pairs]
    return (
        statistics.median(by_kind["ours"]),
        statistics.median(by_kind["bare"]),
        statistics.median(ratios),
    )


def report(cpu: dict[str, dict[str, list[float]]], ws: dict[str, dict[str, list[float]]]) -> bool:
    from importlib.metadata import version

    print(
        f"python {sys.version.split()[0]}, flask-socketio {version('flask-socketio')}, "
        f"python-socketio {version('python-socketio')}, {os.cpu_count()} cores"
    )
    print()
    print(f"{'CPU µs per op (test client)':34} {'ours':>9} {'bare':>9} {'ratio':>7} {'target':>7}")
    ok = True
    for name, by_kind in cpu.items():
        ours, bare, ratio = summarise(by_kind)
        target = CPU_TARGETS[name]
        ok = ok and ratio <= target
        mark = "" if ratio <= target else "  MISSED"
        print(f"{name:34} {ours:9.1f} {bare:9.1f} {ratio:6.3f}x {target:6.2f}x{mark}")
    if ws:
        print()
        print(f"{'websockets (127.0.0.1)':34} {'ours':>9} {'bare':>9} {'ratio':>7} {'target':>7}")
        for name, by_kind in ws.items():
            ours, bare, ratio = summarise(by_kind, invert=True)
            ok = ok and ratio <= 1.05
            mark = "" if ratio <= 1.05 else "  MISSED"
            print(f"{name:34} {ours:9.0f} {bare:9.0f} {ratio:6.3f}x {1.05:6.2f}x{mark}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per measure")
    parser.add_argument("--no-websockets", action="store_true", help="test-client figures only")
    parser.add_argument("--serve", choices=("ours", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    rounds = args.rounds or (3 if args.quick else 7)
    scale = 0.2 if args.quick else 1.0
    cpu = run_cpu(rounds, scale)
    ws = {} if args.no_websockets else run_websockets(rounds, scale)
    return 0 if report(cpu, ws) else 1


if __name__ == "__main__":
    sys.exit(main())
