"""Redis killed and restarted under load: two server processes share a redis-server of this test's
own (never the one on 6379), a client on each, and an emitter process with no app (this one).

Emits during the outage either reach the other server's clients or fail with a logged error ("Cannot
publish to redis"); no handler or emit hangs; nobody is disconnected; and once Redis is back,
broadcasts reach every client again without anyone doing anything.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from asynction.server import AsynctionSocketIO
from tests.hardening.conftest import CALL_TIMEOUT, Clients, RedisServer, wait_until
from tests.live import server_process

ROOT = Path(__file__).resolve().parents[2]
CHAT_SPEC = ROOT / "tests" / "fixtures" / "server" / "chat.yaml"
RECOVERY_TIMEOUT = 40.0
"""python-socketio's listener retries after 1, 2, 4… seconds: recovery takes a few seconds."""


@pytest.fixture
def pair(own_redis: RedisServer, tmp_path: Path) -> Iterator[tuple[list[str], list[Path], str]]:
    """Two server processes on the test's Redis: their URLs, their stderr files, the channel."""
    channel = f"asynction-outage-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    logs = [tmp_path / "server-1.log", tmp_path / "server-2.log"]
    with contextlib.ExitStack() as stack:
        urls = [
            stack.enter_context(
                server_process(
                    "tests.fixtures.server.redis_app", own_redis.url, channel, stderr=log
                )
            ).url
            for log in logs
        ]
        yield urls, logs, channel


def _bounded(action: Any, timeout: float) -> Any:
    """Run ``action`` in a thread; fail if it does not return within ``timeout`` seconds."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(("returned", action()))
        except Exception as error:
            outcome.append(("raised", error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{action} still running after {timeout} s"
    return outcome[0]


def test_redis_killed_and_restarted_under_load(
    own_redis: RedisServer,
    pair: tuple[list[str], list[Path], str],
    clients: Clients,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (first_url, second_url), logs, channel = pair
    sender, receiver = clients.connect(first_url), clients.connect(second_url)
    dropped: list[Any] = []
    for client in (sender, receiver):
        client.on("disconnect", lambda *args: dropped.append(args))
    inbox: list[str] = []
    receiver.on("notice", inbox.append)
    external = AsynctionSocketIO.from_spec(CHAT_SPEC, message_queue=own_redis.url, channel=channel)

    def broadcast(text: str) -> Any:
        return sender.call("emit_back", {"kind": "broadcast", "data": text}, timeout=CALL_TIMEOUT)

    # the listeners of both servers subscribe in the background: wait until Redis delivers
    for attempt in range(100):
        assert broadcast(f"warm {attempt}") == "sent"
        if wait_until(lambda: bool(inbox), timeout=0.2):
            break
    assert inbox, "Redis never delivered"
    wait_until(lambda: False, timeout=0.3)
    inbox.clear()

    before = [f"before {index}" for index in range(20)]
    for text in before:
        assert broadcast(text) == "sent"
    assert wait_until(lambda: all(text in inbox for text in before))

    caplog.set_level(logging.ERROR)
    own_redis.kill()
    during = [f"during {index}" for index in range(10)]
    for text in during:  # every handler answers: none hangs on the dead Redis
        assert _bounded(lambda text=text: broadcast(text), 2 * CALL_TIMEOUT) == ("returned", "sent")
    assert (
        _bounded(lambda: external.emit("notice", "external during"), CALL_TIMEOUT)[0] == "returned"
    )
    own_redis.start()
    restarted = time.monotonic()

    after: list[str] = []
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while time.monotonic() < deadline:
        text = f"after {len(after)}"
        after.append(text)
        assert broadcast(text) == "sent"
        if wait_until(lambda text=text: text in inbox, timeout=0.5):
            break
    assert after[-1] in inbox, "broadcasts never reached the other server again"
    recovery = time.monotonic() - restarted
    assert (
        _bounded(lambda: external.emit("notice", "external after"), CALL_TIMEOUT)[0] == "returned"
    )
    assert wait_until(lambda: "external after" in inbox)

    assert dropped == []
    assert sender.connected
    assert receiver.connected
    assert len(inbox) == len(set(inbox)), "a broadcast arrived twice"
    lost = [text for text in during if text not in inbox]
    if lost:  # what did not arrive was reported as not published, by the server that sent it
        assert "Cannot publish to redis" in logs[0].read_text()
    external_lost = "external during" not in inbox
    if external_lost:
        assert any("Cannot publish to redis" in record.getMessage() for record in caplog.records)
    # the other server noticed the outage, and came back by itself
    assert "Cannot receive from redis" in logs[1].read_text()
    print(  # figures for bench/README.md (pytest -s)
        f"\nredis outage: {len(during)} broadcasts during it, {len(during) - len(lost)} delivered "
        f"after it, {len(lost)} refused with a logged error; external emit "
        f"{'refused with a logged error' if external_lost else 'delivered'}; broadcasts reached "
        f"the other server again {recovery:.1f} s after the restart ({len(after)} tries)"
    )


def test_an_emit_to_an_unreachable_redis_returns(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = own_redis.url
    own_redis.kill()
    external = AsynctionSocketIO.from_spec(CHAT_SPEC, message_queue=url, channel="nobody")
    caplog.set_level(logging.ERROR)
    assert _bounded(lambda: external.emit("notice", "into the void"), CALL_TIMEOUT)[0] == "returned"
    assert any("Cannot publish to redis" in record.getMessage() for record in caplog.records)
