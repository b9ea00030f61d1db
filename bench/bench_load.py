"""Load and scale-out: many websocket clients in separate processes against one server process,
asynction beside bare Flask-SocketIO; then two asynction server processes sharing Redis.

Run from the project root:  python bench/bench_load.py [--clients 200] [--events 100]

Each client calls ``work`` ``--events`` times and waits for each ack; every tenth call sends an
invalid payload. Correctness (the script exits non-zero when any check fails):

* every valid event gets its own correct ack, every invalid one the error handler's ack
  (``PayloadValidationException``); nothing lost; no client disconnected;
* asynction's resident memory once the clients are gone is within 10 % of what it was before
  them (``VmRSS`` of ``/proc/<pid>/status``, measured after a warm-up round of the same clients
  with half the events, once the server is idle again); bare Flask-SocketIO's is printed beside it
  for reference;
* on Redis, every client (half on each server process) receives every broadcast exactly once.

Measured: events per second and the p50/p99 ack latency, asynction (validation on) and bare
Flask-SocketIO (the same handlers, no validation) under the same load in the same run.

Everything is bounded: clients time out, client processes have a deadline, and the script stops
(terminates, then kills) only the processes it started. Servers run with ``ping_interval=4`` (both
kinds), so that their connections' ping tasks end soon after the clients leave.

Options: ``--processes`` (client processes, 4), ``--invalid-every`` (10), ``--broadcasts`` (per
client, on Redis), ``--redis-url``, ``--no-redis``, ``--no-bare``, ``--no-memory`` (no warm-up,
no memory check), ``--json`` (one line of results), ``--time-limit`` (seconds per round).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import queue
import re
import select
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = "__main__"

CALL_TIMEOUT = 30.0
"""Seconds a client waits for one ack before counting it lost."""
STARTUP_TIMEOUT = 30.0
SETTLE_TIMEOUT = 20.0
"""Seconds to wait, once the clients are gone, for the server's threads to wind down."""
PING_INTERVAL = 4
MEMORY_TOLERANCE = 0.10

# -- the served API ---------------------------------------------------------------------------

WORK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "seq": {"type": "integer", "minimum": 0},
        "client": {"type": "integer", "minimum": 0},
        "text": {"type": "string", "minLength": 1, "maxLength": 64},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
        "at": {"type": "string", "format": "date-time"},
    },
    "required": ["seq", "client", "text"],
    "additionalProperties": False,
}
ACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "seq": {"type": "integer"},
        "client": {"type": "integer"},
        "echo": {"type": "string"},
    },
    "required": ["seq", "client", "echo"],
    "additionalProperties": False,
}
NOTICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"client": {"type": "integer"}, "n": {"type": "integer"}},
    "required": ["client", "n"],
    "additionalProperties": False,
}
SPEC: dict[str, Any] = {
    "asyncapi": "2.6.0",
    "info": {"title": "load", "version": "1"},
    "channels": {
        "/": {
            "x-handlers": {"error": f"{HERE}.on_error"},
            "publish": {
                "message": {
                    "oneOf": [
                        {
                            "name": "work",
                            "payload": WORK_SCHEMA,
                            "x-handler": f"{HERE}.work",
                            "x-ack": {"args": ACK_SCHEMA},
                        },
                        {
                            "name": "broadcast",
                            "payload": NOTICE_SCHEMA,
                            "x-handler": f"{HERE}.broadcast",
                            "x-ack": {"args": {"type": "string"}},
                        },
                    ]
                }
            },
            "subscribe": {"message": {"name": "notice", "payload": NOTICE_SCHEMA}},
        }
    },
}


def work(payload: dict[str, Any]) -> dict[str, Any]:
    # .get: bare Flask-SocketIO hands invalid payloads to the handler too
    return {"seq": payload.get("seq"), "client": payload.get("client"), "echo": payload.get("text")}


def broadcast(payload: dict[str, Any]) -> str:
    from flask_socketio import emit

    emit("notice", payload, broadcast=True)
    return "sent"


def on_error(error: Exception) -> dict[str, Any]:
    return {"error": type(error).__name__, "rule": getattr(error, "rule", None)}


def valid_payload(client: int, seq: int) -> dict[str, Any]:
    return {"seq": seq, "client": client, "text": f"c{client}-e{seq}", "tags": ["load"]}


def invalid_payload(client: int, seq: int) -> dict[str, Any]:
    # alternately a wrong type and a missing field
    if seq % 20 == 9:
        return {"seq": seq, "client": client, "text": 12345}
    return {"seq": seq, "client": client}


# -- server processes ---------------------------------------------------------------------------


def serve(kind: str, message_queue: str | None, channel: str | None) -> None:
    """Subprocess entry point: serve on a free port of 127.0.0.1, print READY <port>, serve."""
    sys.path.insert(0, str(ROOT))
    import flask
    import flask_socketio
    from werkzeug.serving import make_server

    from asynction.server import AsynctionSocketIO
    from asynction.serving import WebSocketClosingHandler

    class Handler(WebSocketClosingHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    app = flask.Flask(f"load-{kind}")
    # Each connection's ping task sleeps ping_interval before it ends: a short interval lets the
    # server wind down soon after the clients leave, so memory is measured on an idle server.
    options: dict[str, Any] = {"async_mode": "threading", "ping_interval": PING_INTERVAL}
    if message_queue:
        options.update(message_queue=message_queue, channel=channel)
    if kind == "ours":
        AsynctionSocketIO.from_spec(SPEC, app=app, docs=False, **options)
    else:
        sio = flask_socketio.SocketIO(app, **options)
        sio.on_event("work", work)
        sio.on_event("broadcast", broadcast)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Handler)
    server.daemon_threads = True  # type: ignore[attr-defined]
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever(poll_interval=0.1)


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    idle_threads: int = 0

    def status(self, field_name: str) -> int:
        """A numeric field of /proc/<pid>/status (VmRSS in KiB, Threads)."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(rf"^{field_name}:\s+(\d+)", text, re.MULTILINE)
        return int(found[1]) if found else 0


def start_server(kind: str, message_queue: str | None = None, channel: str | None = None) -> Server:
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", kind]
    if message_queue:
        command += ["--message-queue", message_queue, "--channel", channel or ""]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("READY "):
        stop([process])
        raise RuntimeError(f"the {kind} server did not start (said {line!r})")
    return Server(process, f"http://127.0.0.1:{int(line.split()[1])}")


def stop(processes: list[Any]) -> None:
    """Terminate, then kill, the processes this script started (subprocesses or
    multiprocessing ones)."""
    for process in processes:
        if _alive(process):
            process.terminate()
    deadline = time.monotonic() + 10
    for process in processes:
        remaining = max(0.1, deadline - time.monotonic())
        if isinstance(process, subprocess.Popen):
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
        else:
            process.join(remaining)
            if process.is_alive():
                process.kill()
                process.join(10)


def _alive(process: Any) -> bool:
    if isinstance(process, subprocess.Popen):
        return process.poll() is None
    return bool(process.is_alive())


def settle(server: Server) -> None:
    """Wait (bounded) until the server runs no more threads than when it was idle after the
    warm-up."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline and server.status("Threads") > server.idle_threads:
        time.sleep(0.2)
    time.sleep(0.3)


# -- client processes ---------------------------------------------------------------------------


@dataclass
class Plan:
    urls: list[str]
    first_client: int
    clients: int
    events: int
    invalid_every: int
    broadcasts: int
    expected_notices: int
    check_acks: bool
    deadline: float


@dataclass
class ClientResult:
    valid_ok: int = 0
    valid_wrong: int = 0
    invalid_error_path: int = 0
    invalid_wrong: int = 0
    lost: int = 0
    disconnected: int = 0
    connect_failed: int = 0
    notices_missing: int = 0
    notices_duplicated: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    finished_at: float = 0.0


def client_process(plan: Plan, go: Any, results: Any) -> None:
    """A client process: connect its clients, wait for ``go``, run them, report one result."""
    import socketio

    result = ClientResult()
    lock = threading.Lock()
    made: list[tuple[int, Any, Counter[tuple[int, int]]]] = []
    closing = threading.Event()
    for offset in range(plan.clients):
        number = plan.first_client + offset
        client = socketio.Client(reconnection=False)
        notices: Counter[tuple[int, int]] = Counter()

        def on_notice(data: Any, notices: Counter[tuple[int, int]] = notices) -> None:
            with lock:
                notices[(data.get("client"), data.get("n"))] += 1

        def on_disconnect(*_: Any) -> None:
            if not closing.is_set():
                with lock:
                    result.disconnected += 1

        client.on("notice", on_notice)
        client.on("disconnect", on_disconnect)
        try:
            client.connect(
                plan.urls[number % len(plan.urls)], transports=["websocket"], wait_timeout=20
            )
        except Exception:
            result.connect_failed += 1
            continue
        made.append((number, client, notices))
    results.put(("ready", len(made)))
    go.wait(timeout=max(1.0, plan.deadline - time.time()))

    def run(number: int, client: Any) -> None:
        local = ClientResult()
        for seq in range(plan.events):
            if time.time() > plan.deadline:
                local.lost += plan.events - seq
                break
            invalid = plan.invalid_every and seq % plan.invalid_every == plan.invalid_every - 1
            payload = invalid_payload(number, seq) if invalid else valid_payload(number, seq)
            started = time.perf_counter()
            try:
                ack = client.call("work", payload, timeout=CALL_TIMEOUT)
            except Exception:
                local.lost += 1
                continue
            local.latencies_ms.append((time.perf_counter() - started) * 1000)
            if not plan.check_acks:
                local.valid_ok += 1
            elif invalid:
                is_error = (
                    isinstance(ack, dict) and ack.get("error") == "PayloadValidationException"
                )
                local.invalid_error_path += is_error
                local.invalid_wrong += not is_error
            elif ack == {"seq": seq, "client": number, "echo": payload["text"]}:
                local.valid_ok += 1
            else:
                local.valid_wrong += 1
            if plan.broadcasts and seq == plan.events // 2:
                for n in range(plan.broadcasts):
                    try:
                        client.call("broadcast", {"client": number, "n": n}, timeout=CALL_TIMEOUT)
                    except Exception:
                        local.lost += 1
        with lock:
            for name in ("valid_ok", "valid_wrong", "invalid_error_path", "invalid_wrong", "lost"):
                setattr(result, name, getattr(result, name) + getattr(local, name))
            result.latencies_ms.extend(local.latencies_ms)

    threads = [threading.Thread(target=run, args=(number, client)) for number, client, _ in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, plan.deadline - time.time()))
    result.finished_at = time.time()
    if plan.expected_notices:
        # every client waits for every broadcast (or the deadline) before anyone leaves
        while time.time() < plan.deadline:
            with lock:
                if all(sum(n.values()) >= plan.expected_notices for _, _, n in made):
                    break
            time.sleep(0.05)
        time.sleep(0.3)  # duplicates would arrive now
        with lock:
            for _, _, notices in made:
                result.notices_missing += max(0, plan.expected_notices - len(notices))
                result.notices_duplicated += sum(count - 1 for count in notices.values())
    results.put(("done", result))
    # Every broadcast has arrived here (or the deadline passed): leaving disturbs nobody.
    closing.set()
    for _, client, _ in made:
        with contextlib.suppress(Exception):
            client.disconnect()


# -- one load run ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    label: str
    clients: int
    events_sent: int
    seconds: float
    result: ClientResult
    rss_before_kb: dict[str, int]
    rss_after_kb: dict[str, int]

    @property
    def events_per_second(self) -> float:
        return self.events_sent / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        latencies = sorted(self.result.latencies_ms)
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))]

    def memory_growth(self) -> float:
        return max(
            (self.rss_after_kb[name] - before) / before
            for name, before in self.rss_before_kb.items()
        )


def load_run(
    label: str,
    servers: dict[str, Server],
    *,
    clients: int,
    events: int,
    processes: int,
    invalid_every: int,
    broadcasts: int,
    check_acks: bool,
    time_limit: float,
    measure_memory: bool = True,
    warm_up_events: int | None = None,
) -> RunResult:
    """One measured round of ``clients`` × ``events``. With ``measure_memory``, a warm-up round
    (the same clients, ``warm_up_events`` each, by default half of ``events``) runs first: the server's memory is measured once it
    has served that many connections at once and is idle again, and once more after the measured
    round, so that the comparison shows what the load leaves behind, not the allocator's first
    growth to serving ``clients`` connections (threads, buffers, arenas)."""
    shape: dict[str, Any] = {
        "clients": clients,
        "processes": processes,
        "invalid_every": invalid_every,
        "broadcasts": broadcasts,
        "check_acks": check_acks,
    }
    if measure_memory:
        warm = warm_up_events if warm_up_events is not None else max(10, events // 2)
        run_clients(servers, events=warm, time_limit=time_limit, **shape)
        time.sleep(PING_INTERVAL + 1)  # the warm-up clients' ping tasks end
        for server in servers.values():
            server.idle_threads = server.status("Threads")
    rss_before = {name: server.status("VmRSS") for name, server in servers.items()}
    total, seconds = run_clients(servers, events=events, time_limit=time_limit, **shape)
    if measure_memory:
        for server in servers.values():
            settle(server)
    rss_after = {name: server.status("VmRSS") for name, server in servers.items()}
    sent = total.valid_ok + total.valid_wrong + total.invalid_error_path + total.invalid_wrong
    return RunResult(label, clients, sent, seconds, total, rss_before, rss_after)


def run_clients(
    servers: dict[str, Server],
    *,
    clients: int,
    events: int,
    processes: int,
    invalid_every: int,
    broadcasts: int,
    check_acks: bool,
    time_limit: float,
) -> tuple[ClientResult, float]:
    """Run the client processes once: what they saw, and the seconds from start to last event."""
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    results = context.Queue()
    deadline = time.time() + time_limit
    urls = [server.url for server in servers.values()]
    per_process = [
        clients // processes + (index < clients % processes) for index in range(processes)
    ]
    started: list[Any] = []
    first = 0
    for count in per_process:
        if not count:
            continue
        plan = Plan(
            urls=urls,
            first_client=first,
            clients=count,
            events=events,
            invalid_every=invalid_every,
            broadcasts=broadcasts,
            expected_notices=clients * broadcasts,
            check_acks=check_acks,
            deadline=deadline,
        )
        process = context.Process(target=client_process, args=(plan, go, results), daemon=True)
        process.start()
        started.append(process)
        first += count
    total = ClientResult()
    seconds = 0.0
    try:
        for _ in started:
            kind, _ = results.get(timeout=max(1.0, deadline - time.time()))
            assert kind == "ready"
        begin = time.time()
        go.set()
        finished: list[float] = []
        while len(finished) < len(started):
            kind, value = results.get(timeout=max(1.0, deadline + 5 - time.time()))
            if kind != "done":
                continue
            finished.append(value.finished_at)
            for name in (
                "valid_ok",
                "valid_wrong",
                "invalid_error_path",
                "invalid_wrong",
                "lost",
                "disconnected",
                "connect_failed",
                "notices_missing",
                "notices_duplicated",
            ):
                setattr(total, name, getattr(total, name) + getattr(value, name))
            total.latencies_ms.extend(value.latencies_ms)
        seconds = max(finished) - begin
        for process in started:
            process.join(timeout=max(1.0, deadline + 10 - time.time()))
    except queue.Empty:
        total.lost += 1  # a process never reported: count the run as failed
        seconds = time_limit
    finally:
        stop(started)
    return total, seconds


# -- report -----------------------------------------------------------------------------------


def check(
    run: RunResult, *, events: int, invalid_every: int, check_acks: bool, measure_memory: bool
) -> list[str]:
    """What went wrong in a run (an empty list when nothing did)."""
    problems = []
    r = run.result
    expected_invalid = run.clients * (events // invalid_every if invalid_every else 0)
    if r.lost:
        problems.append(f"{r.lost} acks lost")
    if r.connect_failed:
        problems.append(f"{r.connect_failed} clients could not connect")
    if r.disconnected:
        problems.append(f"{r.disconnected} clients disconnected")
    if check_acks:
        if r.valid_wrong:
            problems.append(f"{r.valid_wrong} valid events got a wrong ack")
        if r.invalid_wrong:
            problems.append(f"{r.invalid_wrong} invalid events did not take the error path")
        if r.invalid_error_path != expected_invalid:
            problems.append(f"{r.invalid_error_path} error-path acks, expected {expected_invalid}")
        if r.valid_ok != run.clients * events - expected_invalid:
            problems.append(
                f"{r.valid_ok} correct acks, expected {run.clients * events - expected_invalid}"
            )
    if r.notices_missing:
        problems.append(f"{r.notices_missing} broadcast deliveries missing")
    if r.notices_duplicated:
        problems.append(f"{r.notices_duplicated} broadcast deliveries duplicated")
    if measure_memory and check_acks and run.memory_growth() > MEMORY_TOLERANCE:
        problems.append(
            f"server memory grew {run.memory_growth():.1%} (limit {MEMORY_TOLERANCE:.0%})"
        )
    return problems


def summary(run: RunResult, problems: list[str]) -> dict[str, Any]:
    r = run.result
    return {
        "label": run.label,
        "clients": run.clients,
        "events": run.events_sent,
        "seconds": round(run.seconds, 3),
        "events_per_second": round(run.events_per_second, 1),
        "p50_ms": round(run.percentile(0.50), 2),
        "p99_ms": round(run.percentile(0.99), 2),
        "valid_ok": r.valid_ok,
        "valid_wrong": r.valid_wrong,
        "invalid_error_path": r.invalid_error_path,
        "invalid_wrong": r.invalid_wrong,
        "lost": r.lost,
        "disconnected": r.disconnected,
        "connect_failed": r.connect_failed,
        "notices_missing": r.notices_missing,
        "notices_duplicated": r.notices_duplicated,
        "rss_before_kb": run.rss_before_kb,
        "rss_after_kb": run.rss_after_kb,
        "memory_growth": round(run.memory_growth(), 4),
        "problems": problems,
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'run':28} {'clients':>7} {'events':>7} {'ev/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'lost':>5} {'err-path':>8} {'disc':>5} {'RSS before→after MiB':>22} {'Δ':>7}"
    )
    print(header)
    for row in rows:
        if "skipped" in row:
            print(f"{row['label']:28} skipped: {row['skipped']}")
            continue
        before = "+".join(f"{kb / 1024:.0f}" for kb in row["rss_before_kb"].values())
        after = "+".join(f"{kb / 1024:.0f}" for kb in row["rss_after_kb"].values())
        print(
            f"{row['label']:28} {row['clients']:7} {row['events']:7} "
            f"{row['events_per_second']:8.0f} {row['p50_ms']:7.1f} {row['p99_ms']:7.1f} "
            f"{row['lost']:5} {row['invalid_error_path']:8} {row['disconnected']:5} "
            f"{before + ' → ' + after:>22} {row['memory_growth']:+7.1%}"
        )
        if "notices_missing" in row and row.get("broadcasts"):
            print(
                f"{'':28} broadcasts: {row['broadcasts']} × {row['clients']} clients, "
                f"missing {row['notices_missing']}, duplicated {row['notices_duplicated']}"
            )
        for problem in row["problems"]:
            print(f"{'':28} FAILED: {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (200)")
    parser.add_argument("--events", type=int, default=100, help="events per client (100)")
    parser.add_argument("--processes", type=int, default=4, help="client processes (4)")
    parser.add_argument("--invalid-every", type=int, default=10, help="every Nth event invalid")
    parser.add_argument("--broadcasts", type=int, default=1, help="broadcasts per client (Redis)")
    parser.add_argument(
        "--redis-url", default=os.environ.get("ASYNCTION_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    )
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis run")
    parser.add_argument("--no-bare", action="store_true", help="skip bare Flask-SocketIO")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--json", action="store_true", help="print one JSON line of results")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the warm-up and the memory check (faster)"
    )
    parser.add_argument("--serve", choices=("ours", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--message-queue", help=argparse.SUPPRESS)
    parser.add_argument("--channel", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.message_queue, args.channel)
        return 0

    rows: list[dict[str, Any]] = []
    common = {
        "clients": args.clients,
        "events": args.events,
        "processes": args.processes,
        "invalid_every": args.invalid_every,
        "time_limit": args.time_limit,
        "measure_memory": not args.no_memory,
    }
    kinds = ["ours"] if args.no_bare else ["ours", "bare"]
    for kind in kinds:
        server = start_server(kind)
        try:
            label = "asynction (validation on)" if kind == "ours" else "bare Flask-SocketIO"
            run = load_run(label, {kind: server}, broadcasts=0, check_acks=kind == "ours", **common)
        finally:
            stop([server.process])
        problems = check(
            run,
            events=args.events,
            invalid_every=args.invalid_every,
            check_acks=kind == "ours",
            measure_memory=not args.no_memory,
        )
        rows.append(summary(run, problems))
    if not args.no_redis:
        rows.append(redis_run(args, common))
    if args.json:
        print(json.dumps({"runs": rows}))
    else:
        from importlib.metadata import version

        print(
            f"python {sys.version.split()[0]}, flask-socketio {version('flask-socketio')}, "
            f"python-socketio {version('python-socketio')}, {os.cpu_count()} cores; "
            f"{args.clients} clients in {args.processes} processes × {args.events} events "
            f"(every {args.invalid_every}th invalid)"
        )
        print_table(rows)
    return 0 if all(not row["problems"] for row in rows) else 1


def redis_run(args: argparse.Namespace, common: dict[str, Any]) -> dict[str, Any]:
    try:
        import redis

        redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()
    except Exception as error:
        row: dict[str, Any] = {
            "label": "asynction on Redis (2 servers)",
            "skipped": f"Redis unreachable: {error}",
        }
        row["problems"] = (
            [] if os.environ.get("ASYNCTION_REQUIRE_REDIS") != "1" else [row["skipped"]]
        )
        return row
    channel = f"asynction-load-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    servers: dict[str, Server] = {}
    try:
        for name in ("A", "B"):
            servers[name] = start_server("ours", args.redis_url, channel)
        run = load_run(
            "asynction on Redis (2 servers)",
            servers,
            broadcasts=args.broadcasts,
            check_acks=True,
            **common,
        )
    finally:
        stop([server.process for server in servers.values()])
    problems = check(
        run,
        events=args.events,
        invalid_every=args.invalid_every,
        check_acks=True,
        measure_memory=not args.no_memory,
    )
    row = summary(run, problems)
    row["broadcasts"] = args.clients * args.broadcasts
    return row


if __name__ == "__main__":
    sys.exit(main())
