"""The mock server: fake payload generation rate, and time from start to serving.

Run from the project root:  python bench/bench_mock.py [--quick]

* Fake payloads per second per core (CPU time, one thread): ``FakeData.payload`` for the medium
  payload of bench_server.py (15 fields: nested object, array of objects, enums, ``uuid``,
  ``date-time``, ``email``, pattern; ``additionalProperties: false``) and its small one, each
  value validated against its schema as the mock does before sending it. Measured for polyfactory on
  the generated pydantic models (what the mock uses) and for the schema sampler alone (its
  fallback), median of the rounds.
* Time to serve: ``python -m asynction mock run SPEC`` started as a subprocess (stdin not a
  terminal) on a free port, and a python-socketio client connecting to a namespace of the spec over
  a websocket, retried every 10 ms: wall time from ``Popen`` to the first successful connect, for
  each example spec (the telemetry one with its security info functions in the working directory),
  median of the rounds.

The script exits non-zero when a target is missed: at least 2,000 medium payloads per second, and
serving within 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_server import MEDIUM_SCHEMA, SMALL_SCHEMA  # noqa: E402

from asynction.mock.fakes import FakeData  # noqa: E402
from asynction.spec import load_spec  # noqa: E402
from asynction.spec.model import Api  # noqa: E402

PAYLOAD_TARGET = 2000.0
"""Medium payloads per second per core, at least."""
SERVING_TARGET = 1.5
"""Seconds from process start to the first successful connect, at most."""

TELEMETRY_HANDLERS = """
def device_key_info(api_key, required_scopes):
    return {"sub": "device", "scopes": []}


def operator_token_info(token, required_scopes, bearer_format):
    return {"sub": "operator", "scopes": []}
"""

SPECS: list[tuple[str, str, str, dict[str, str]]] = [
    ("chat", "generated_examples/chat/asyncapi.yaml", "/chat?username=bench", {}),
    ("chat_v3", "generated_examples/chat_v3/asyncapi.yaml", "/chat?username=bench", {}),
    (
        "telemetry",
        "generated_examples/telemetry/asyncapi.yaml",
        "/dashboard",
        {"Authorization": "Bearer token"},
    ),
]


# -- fake payloads -----------------------------------------------------------------------------


def payload_api() -> Api:
    return load_spec(
        {
            "asyncapi": "2.6.0",
            "info": {"title": "Bench", "version": "1"},
            "channels": {
                "/": {
                    "subscribe": {
                        "message": {
                            "oneOf": [
                                {"name": "small", "payload": SMALL_SCHEMA},
                                {"name": "medium", "payload": MEDIUM_SCHEMA},
                            ]
                        }
                    }
                }
            },
        }
    )


def payloads_per_second(fakes: FakeData, api: Api, name: str, count: int) -> float:
    namespace = api.namespaces[0]
    event = namespace.outgoing_event(name)
    assert event is not None
    for _ in range(max(10, count // 10)):  # warm-up: compile the schema, fill caches
        fakes.payload(namespace.name, event)
    started = time.process_time()
    for _ in range(count):
        if fakes.payload(namespace.name, event) is None:
            raise AssertionError(f"no {name} payload made")
    return count / (time.process_time() - started)


def run_payloads(rounds: int, count: int) -> dict[str, list[float]]:
    api = payload_api()
    makers = {
        "models": FakeData(api, seed=1),
        "sampler": FakeData(api, seed=1, use_models=False),
    }
    results: dict[str, list[float]] = {}
    for name in ("medium", "small"):
        for kind, fakes in makers.items():
            results[f"{name} payloads/s ({kind})"] = [
                payloads_per_second(fakes, api, name, count) for _ in range(rounds)
            ]
    generators = [
        generator.name for generator in next(iter(makers["models"]._slots.values())).generators
    ]
    failed = [
        generator.failed_values
        for slot in makers["models"]._slots.values()
        for generator in slot.generators
    ]
    assert generators[0] == "models", "no pydantic models"
    assert not any(failed), "polyfactory fell back"
    return results


# -- time to serve ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def time_to_serve(spec: Path, target: str, headers: dict[str, str], cwd: Path) -> float:
    import socketio

    namespace, _, query = target.partition("?")
    port = free_port()
    url = f"http://127.0.0.1:{port}" + (f"?{query}" if query else "")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "asynction", "mock", "run", str(spec), "--port", str(port)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mock exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
            client = socketio.Client(reconnection=False)
            try:
                client.connect(
                    url,
                    namespaces=[namespace],
                    transports=["websocket"],
                    headers=headers,
                    wait_timeout=5,
                )
            except socketio.exceptions.ConnectionError:
                if time.perf_counter() - started > 30:
                    raise
                time.sleep(0.01)
                continue
            elapsed = time.perf_counter() - started
            client.disconnect()
            return elapsed
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_serving(rounds: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-mock-") as directory:
        cwd = Path(directory)
        (cwd / "telemetry_handlers.py").write_text(TELEMETRY_HANDLERS, encoding="utf-8")
        for _ in range(rounds):
            for name, spec, target, headers in SPECS:
                figure = time_to_serve(ROOT / spec, target, headers, cwd)
                results.setdefault(f"serving, {name}", []).append(figure)
    return results


# -- report -----------------------------------------------------------------------------------


def report(payloads: dict[str, list[float]], serving: dict[str, list[float]]) -> bool:
    from importlib.metadata import version

    print(
        f"python {sys.version.split()[0]}, polyfactory {version('polyfactory')}, "
        f"Faker {version('faker')}, datamodel-code-generator "
        f"{version('datamodel-code-generator')}, {os.cpu_count()} cores"
    )
    print()
    ok = True
    print(f"{'fake data (CPU, one core)':36} {'median':>9} {'min':>9} {'target':>9}")
    for name, figures in payloads.items():
        median = statistics.median(figures)
        target = PAYLOAD_TARGET if name.startswith("medium") and "models" in name else None
        missed = target is not None and median < target
        ok = ok and not missed
        shown = f"≥ {target:,.0f}" if target else ""
        print(
            f"{name:36} {median:9,.0f} {min(figures):9,.0f} {shown:>9}"
            + ("  MISSED" if missed else "")
        )
    if serving:
        print()
        print(f"{'start to first connect (wall s)':36} {'median':>9} {'max':>9} {'target':>9}")
        for name, figures in serving.items():
            median = statistics.median(figures)
            missed = median > SERVING_TARGET
            ok = ok and not missed
            print(
                f"{name:36} {median:9.2f} {max(figures):9.2f} {'≤ 1.5':>9}"
                + ("  MISSED" if missed else "")
            )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per measure")
    parser.add_argument("--no-serving", action="store_true", help="payload figures only")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 7)
    count = 1000 if args.quick else 3000
    payloads = run_payloads(rounds, count)
    serving: dict[str, Any] = {} if args.no_serving else run_serving(rounds)
    return 0 if report(payloads, serving) else 1


if __name__ == "__main__":
    sys.exit(main())
