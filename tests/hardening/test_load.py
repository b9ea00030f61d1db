"""A small load run of bench/bench_load.py: 20 clients in 2 processes, 20 events each (every tenth
invalid), against one asynction server process and then two on Redis. Correctness only: nothing
lost, every invalid event answered by the error handler, nobody disconnected, every broadcast
delivered exactly once. (Timing and memory are the benchmark's business.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENTS, EVENTS = 20, 20


def _run(*options: str) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_load.py"),
            "--clients",
            str(CLIENTS),
            "--events",
            str(EVENTS),
            "--processes",
            "2",
            "--no-bare",
            "--no-memory",
            "--time-limit",
            "60",
            "--json",
            *options,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _check(run: dict[str, Any]) -> None:
    invalid = CLIENTS * (EVENTS // 10)
    assert run["problems"] == []
    assert run["events"] == CLIENTS * EVENTS
    assert run["lost"] == 0
    assert run["connect_failed"] == 0
    assert run["disconnected"] == 0
    assert run["valid_wrong"] == 0
    assert run["invalid_wrong"] == 0
    assert run["invalid_error_path"] == invalid
    assert run["valid_ok"] == CLIENTS * EVENTS - invalid


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get("ASYNCTION_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:
        if os.environ.get("ASYNCTION_REQUIRE_REDIS") == "1":
            pytest.fail(f"ASYNCTION_REQUIRE_REDIS=1 but Redis is not reachable at {url}: {error}")
        pytest.skip(f"Redis is not reachable at {url}: {error}")
    return url


def test_load_against_one_server() -> None:
    [run] = _run("--no-redis")["runs"]
    assert run["label"] == "asynction (validation on)"
    _check(run)


def test_load_against_two_servers_on_redis(redis_url: str) -> None:
    runs = _run("--redis-url", redis_url)["runs"]
    _check(runs[0])
    redis_run = runs[1]
    assert redis_run["label"] == "asynction on Redis (2 servers)"
    _check(redis_run)
    assert redis_run["broadcasts"] == CLIENTS
    assert redis_run["notices_missing"] == 0
    assert redis_run["notices_duplicated"] == 0
