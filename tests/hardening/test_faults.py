"""Faults in handlers and clients: the server keeps serving everyone else, and each fault is logged
once, naming where it happened."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from asynction.server import AsynctionSocketIO
from tests.hardening.conftest import CALL_TIMEOUT, Clients, records, wait_until
from tests.hardening.fixtures import handlers
from tests.live import LiveServer

Live = tuple[LiveServer, AsynctionSocketIO]


def _serving(client: Any, namespace: str = "/") -> None:
    """The server still answers this client."""
    ack = client.call("echo", {"text": "still here"}, namespace=namespace, timeout=CALL_TIMEOUT)
    assert ack == {"text": "still here"}


def test_handler_that_raises_without_error_handler_is_logged_once(
    hardened: Live, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    live, _ = hardened
    failing = clients.connect(live.url, ("/plain",))
    other = clients.connect(live.url, ("/plain",))
    caplog.set_level(logging.WARNING)
    failing.emit("raise", "boom", namespace="/plain")
    assert handlers.wait_for("raise")
    assert wait_until(lambda: bool(records(caplog)))
    _serving(other, "/plain")
    _serving(failing, "/plain")
    [record] = records(caplog)
    assert record.name == "asynction.server"
    message = record.getMessage()
    sid = failing.get_sid("/plain")
    assert f"namespace '/plain', event 'raise', client {sid}: the handler raised" in message
    assert "RuntimeError: raised on boom" in message
    assert record.exc_info is not None


def test_handler_that_raises_goes_to_the_error_handler(
    hardened: Live, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    caplog.set_level(logging.WARNING)
    assert client.call("raise", "boom", timeout=CALL_TIMEOUT) == {"error": "RuntimeError"}
    [(_, error)] = handlers.entries("error")
    assert str(error) == "raised on boom"
    _serving(client)
    assert records(caplog) == []  # the error handler took it


def test_error_handler_that_raises_is_logged_once(
    hardened: Live, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    live, _ = hardened
    failing, other = clients.connect(live.url), clients.connect(live.url)
    caplog.set_level(logging.WARNING)
    failing.emit("doom", "now")
    assert handlers.wait_for("error")
    assert wait_until(lambda: bool(records(caplog)))
    _serving(other)
    _serving(failing)
    [record] = records(caplog)
    sid = failing.get_sid("/")
    assert (
        f"namespace '/', event 'doom', client {sid}: the error handler failed on Doom('now')"
        in (record.getMessage())
    )
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], KeyError)


def test_a_blocked_handler_blocks_nobody_else(hardened: Live, clients: Clients) -> None:
    live, _ = hardened
    blocked, others = clients.connect(live.url), [clients.connect(live.url) for _ in range(3)]
    answer: list[Any] = []
    waiting = threading.Thread(
        target=lambda: answer.append(blocked.call("block", 20, timeout=25)), daemon=True
    )
    waiting.start()
    assert handlers.wait_for("block")
    for round_ in range(10):  # served while the handler is blocked
        for client in (*others, blocked):
            ack = client.call("echo", {"text": f"round {round_}"}, timeout=CALL_TIMEOUT)
            assert ack == {"text": f"round {round_}"}
    assert answer == []
    assert handlers.entries("unblocked") == []
    handlers.RELEASE.set()
    waiting.join(timeout=CALL_TIMEOUT)
    assert answer == ["released"]


def test_client_gone_while_its_ack_is_pending(
    hardened: Live, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    live, sio = hardened
    leaving, other = clients.connect(live.url), clients.connect(live.url)
    sid = leaving.get_sid("/")
    caplog.set_level(logging.WARNING)
    late: list[Any] = []
    leaving.emit("block", 20, callback=lambda *args: late.append(args))
    assert handlers.wait_for("block")
    leaving.disconnect()
    assert wait_until(lambda: not sio.server.manager.is_connected(sid, "/"))
    handlers.RELEASE.set()
    assert handlers.wait_for("unblocked") == [("unblocked", True)]  # the handler finished
    _serving(other)
    assert late == []
    assert records(caplog) == []
    assert wait_until(lambda: sid not in sio.server.manager.rooms.get("/", {}).get(None, {}))


def test_disconnect_handler_that_raises_still_forgets_the_client(
    hardened: Live, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    live, sio = hardened
    caplog.set_level(logging.WARNING)
    sids = []
    for _ in range(3):
        client = clients.connect(live.url, ("/", "/plain"))
        sids.append((client.get_sid("/"), client.get_sid("/plain")))
        client.disconnect()
    assert wait_until(lambda: len(handlers.entries("disconnect")) == 3)
    manager = sio.server.manager
    for main_sid, plain_sid in sids:
        assert wait_until(lambda sid=plain_sid: not manager.is_connected(sid, "/plain"))
        # the other namespace went too
        assert wait_until(lambda sid=main_sid: not manager.is_connected(sid, "/"))
        # python-socketio marks a client disconnected before it leaves its rooms: wait for both.
        assert wait_until(
            lambda sid=plain_sid: sid not in manager.rooms.get("/plain", {}).get(None, {})
        )
    assert wait_until(lambda: len(records(caplog)) >= 3)  # each logs after its record
    failures = records(caplog)
    assert len(failures) == 3
    messages = sorted(record.getMessage() for record in failures)
    for _, plain_sid in sids:  # one each, in whatever order the server threads logged them
        expected = f"namespace '/plain', client {plain_sid}: the disconnect handler raised"
        assert sum(expected in message for message in messages) == 1
    _serving(clients.connect(live.url))


def test_many_faults_at_once_leave_the_server_serving(
    hardened: Live, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    live, _ = hardened
    caplog.set_level(logging.WARNING)
    faulty = [clients.connect(live.url, ("/", "/plain")) for _ in range(4)]
    good = clients.connect(live.url)
    results: list[Any] = []

    def misbehave(client: Any) -> None:
        for round_ in range(5):
            client.emit("raise", f"r{round_}", namespace="/plain")
            client.emit("doom", f"d{round_}")
            client.emit("echo", {"text": 5})  # invalid, answered by the error handler
            results.append(client.call("echo", {"text": "ok"}, timeout=CALL_TIMEOUT))

    threads = [threading.Thread(target=misbehave, args=(client,)) for client in faulty]
    for thread in threads:
        thread.start()
    for round_ in range(20):
        assert good.call("echo", {"text": f"{round_}"}, timeout=CALL_TIMEOUT) == {
            "text": f"{round_}"
        }
    for thread in threads:
        thread.join(timeout=30)
    assert results == [{"text": "ok"}] * 20
    # 20 handlers raised with no error handler, 20 error handlers raised: each logged once
    assert wait_until(lambda: len(records(caplog)) >= 40)
    messages = [record.getMessage() for record in records(caplog)]
    assert sum("the handler raised RuntimeError" in message for message in messages) == 20
    assert sum("the error handler failed on Doom" in message for message in messages) == 20
    assert len(messages) == 40
