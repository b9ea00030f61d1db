"""asynction under gevent: chat.yaml served with ``async_mode="gevent"`` by a monkey-patched process
of its own (tests/fixtures/server/gevent_app.py: gevent's pywsgi, websockets through
simple-websocket), driven by real python-socketio clients on 127.0.0.1."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask
import pytest
import socketio

from asynction.server import AsynctionSocketIO
from asynction.serving import BoundedWebSocket
from tests.live import STARTUP_TIMEOUT, ServerProcess, oversize_polling_post, server_process
from tests.server.conftest import CHAT_SPEC, CONNECT_TIMEOUT, Clients, chat_app, wait_until

pytest.importorskip("gevent", reason="gevent is not installed (it is in the test extra)")

CALL_TIMEOUT = 5.0
BUFFER_SIZE = 100_000
"""gevent_app.MAX_HTTP_BUFFER_SIZE (not imported: importing gevent_app monkey-patches this process)."""
OVERSIZE = 20_000_000
"""One websocket message 200 times the buffer size: ~40 MB of server memory when buffered whole."""


@contextmanager
def _gevent_server(log: Path, *arguments: str) -> Iterator[ServerProcess]:
    with server_process("tests.fixtures.server.gevent_app", *arguments, stderr=log) as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One gevent server process shared by the module."""
    with _gevent_server(tmp_path_factory.mktemp("gevent") / "stderr.txt") as running:
        yield running


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A gevent server process of this test only (its memory peak is this test's)."""
    with _gevent_server(tmp_path / "stderr.txt") as running:
        yield running


def _error(name: str, path: str, rule: str) -> dict[str, Any]:
    """What chat.yaml's error handler acks for a validation failure."""
    return {"error": name, "path": path, "rule": rule}


def _in_threads(count: int, work: Callable[[int], None], timeout: float = 30.0) -> list[str]:
    """Run ``work(0)`` … ``work(count - 1)`` in threads started together: the failures."""
    start = threading.Barrier(count)
    failures: list[str] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout)
            work(index)
        except Exception as error:  # reported with the others, not lost in a thread
            failures.append(f"{index}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    failures.extend(f"{index}: still running" for index, t in enumerate(threads) if t.is_alive())
    return failures


# -- events and acks ------------------------------------------------------------------------------


def test_event_and_ack_round_trip(server: ServerProcess, clients: Clients) -> None:
    client = clients.connect(server.url)
    payload = {"text": "hello", "count": 3, "at": "2024-05-01T12:00:00Z"}
    assert client.call("echo", payload, timeout=CALL_TIMEOUT) == payload
    assert client.call("status", timeout=CALL_TIMEOUT) == "up"


def test_an_invalid_payload_is_answered_by_the_error_handler(
    server: ServerProcess, clients: Clients
) -> None:
    client = clients.connect(server.url)
    assert client.call("echo", {"text": ""}, timeout=CALL_TIMEOUT) == _error(
        "PayloadValidationException", "$.text", "minLength"
    )
    assert client.call("echo", {"text": "x", "extra": 1}, timeout=CALL_TIMEOUT)["error"] == (
        "PayloadValidationException"
    )
    assert client.call("echo", {"text": "still served"}, timeout=CALL_TIMEOUT) == {
        "text": "still served"
    }


def test_a_wrong_ack_is_refused(server: ServerProcess, clients: Clients) -> None:
    client = clients.connect(server.url)
    assert client.call("bad_ack", "x", timeout=CALL_TIMEOUT) == _error(
        "MessageAckValidationException", "$.ok", "type"
    )


def test_the_empty_ack_is_refused_when_the_client_asked_for_one(
    server: ServerProcess, clients: Clients
) -> None:
    client = clients.connect(server.url)
    client.emit("no_ack", "no callback: nothing to ack")
    assert client.call("no_ack", "asked", timeout=CALL_TIMEOUT) == _error(
        "MessageAckValidationException", "$", "type"
    )


def test_ack_requests_do_not_leak_between_greenlets(
    server: ServerProcess, clients: Clients
) -> None:
    """Each event's "was an ack asked for" is a ContextVar set around python-socketio's handling of
    it; gevent_app's ``no_ack`` and ``echo`` yield mid-handler, so events without an ack run while
    events with one wait. A value seen by the wrong greenlet turns the refused empty ack into an
    accepted one (``None``)."""
    count, rounds = 8, 10
    connected = [clients.connect(server.url) for _ in range(count)]
    refused = _error("MessageAckValidationException", "$", "type")

    def work(index: int) -> None:
        client = connected[index]
        for round_ in range(rounds):
            client.emit("no_ack", f"{index}-{round_} without callback")
            answer = client.call("no_ack", f"{index}-{round_}", timeout=CALL_TIMEOUT)
            assert answer == refused, f"round {round_}: no_ack answered {answer!r}"
            client.emit("no_ack", f"{index}-{round_} without callback, again")
            payload = {"text": f"{index}-{round_}"}
            answer = client.call("echo", payload, timeout=CALL_TIMEOUT)
            assert answer == payload, f"round {round_}: echo answered {answer!r}"

    assert _in_threads(count, work, timeout=60) == []


# -- emits ----------------------------------------------------------------------------------------


def test_an_emit_from_a_handler_reaches_the_client(
    server: ServerProcess, clients: Clients, receiver: Any
) -> None:
    client = clients.connect(server.url)
    echoed = receiver(client, "echoed")
    payload = {"kind": "echoed", "data": {"text": "back"}}
    assert client.call("emit_back", payload, timeout=CALL_TIMEOUT) == "sent"
    assert wait_until(lambda: echoed == [({"text": "back"},)])
    # an invalid emit is refused before anything is sent, and acked by the error handler
    invalid = {"kind": "echoed", "data": {"text": ""}}
    assert client.call("emit_back", invalid, timeout=CALL_TIMEOUT) == _error(
        "PayloadValidationException", "$.text", "minLength"
    )
    assert client.call("echo", {"text": "after"}, timeout=CALL_TIMEOUT) == {"text": "after"}
    assert echoed == [({"text": "back"},)]


def test_a_broadcast_reaches_every_client(
    server: ServerProcess, clients: Clients, receiver: Any
) -> None:
    connected = [clients.connect(server.url) for _ in range(3)]
    inboxes = [receiver(client, "notice") for client in connected]
    payload = {"kind": "broadcast", "data": "to everyone"}
    assert connected[0].call("emit_back", payload, timeout=CALL_TIMEOUT) == "sent"
    assert wait_until(lambda: all(inbox == [("to everyone",)] for inbox in inboxes))


def test_concurrent_clients(server: ServerProcess, clients: Clients) -> None:
    count, calls = 12, 5

    def work(index: int) -> None:
        client = socketio.Client(reconnection=False)
        try:
            client.connect(server.url, transports=["websocket"], wait_timeout=CONNECT_TIMEOUT)
            for call in range(calls):
                payload = {"text": f"client {index}, call {call}", "count": call}
                assert client.call("echo", payload, timeout=CALL_TIMEOUT) == payload
        finally:
            client.disconnect()

    assert _in_threads(count, work, timeout=60) == []
    # and the server is still there for the next one
    assert clients.connect(server.url).call("ping", timeout=CALL_TIMEOUT) == "pong"


def test_websocket_disconnects_do_not_wait(server: ServerProcess) -> None:
    """pywsgi_closing_handler at work: without it pywsgi reads the client's last websocket frames
    as an HTTP request and about one disconnect in two waits 3 s for its close reply."""
    _disconnects_do_not_wait(server)


def test_run_installs_the_closing_handler_in_gevent_mode(tmp_path: Path) -> None:
    """``AsynctionSocketIO.run`` in gevent mode (no gevent-websocket) serves with
    pywsgi_closing_handler unless told otherwise, as it serves werkzeug with its own."""
    with _gevent_server(tmp_path / "stderr.txt", "--run") as running:
        # READY comes just before run() listens: wait for the port.
        host, port = running.url.removeprefix("http://").split(":")
        assert wait_until(lambda: _accepts_connections(host, int(port)), timeout=STARTUP_TIMEOUT)
        _disconnects_do_not_wait(running)


def _accepts_connections(host: str, port: int) -> bool:
    import socket

    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _disconnects_do_not_wait(server: ServerProcess) -> None:
    durations = []
    for _ in range(10):
        client = socketio.Client(reconnection=False)
        client.connect(server.url, transports=["websocket"], wait_timeout=CONNECT_TIMEOUT)
        assert client.call("ping", timeout=CALL_TIMEOUT) == "pong"
        started = time.monotonic()
        client.disconnect()
        durations.append(time.monotonic() - started)
    assert max(durations) < 1.5, [round(duration, 2) for duration in durations]
    assert server.log is not None
    assert "Invalid HTTP method" not in server.log.read_text()


# -- long-polling ---------------------------------------------------------------------------------


def test_long_polling(server: ServerProcess, clients: Clients, receiver: Any) -> None:
    client = clients.new()
    client.connect(server.url, transports=["polling"], wait_timeout=CONNECT_TIMEOUT)
    assert client.transport() == "polling"
    assert client.call("echo", {"text": "polled"}, timeout=CALL_TIMEOUT) == {"text": "polled"}
    assert client.call("echo", {"text": ""}, timeout=CALL_TIMEOUT) == _error(
        "PayloadValidationException", "$.text", "minLength"
    )
    assert client.call("no_ack", "asked", timeout=CALL_TIMEOUT) == _error(
        "MessageAckValidationException", "$", "type"
    )
    echoed = receiver(client, "echoed")
    payload = {"kind": "echoed", "data": {"text": "polled back"}}
    assert client.call("emit_back", payload, timeout=CALL_TIMEOUT) == "sent"
    assert wait_until(lambda: echoed == [({"text": "polled back"},)])


def test_a_polling_post_beyond_the_buffer_size_is_refused(server: ServerProcess) -> None:
    assert oversize_polling_post(server.url, BUFFER_SIZE + 10_000, CALL_TIMEOUT) == 413


# -- websocket message size -----------------------------------------------------------------------


def test_gevent_websockets_are_bounded_with_the_gevent_classes() -> None:
    """The ``gevent`` driver's thread, event and selector classes reach simple-websocket, so that
    it runs without monkey-patching too (this process is not patched); ``threading`` is as it was."""
    import gevent.event  # type: ignore[import-untyped]
    import gevent.selectors  # type: ignore[import-untyped]
    from engineio.async_drivers.gevent import Thread

    sio = AsynctionSocketIO.from_spec(
        CHAT_SPEC, app=flask.Flask(__name__), async_mode="gevent", max_http_buffer_size=BUFFER_SIZE
    )
    driver = sio.server.eio._async["websocket"]
    assert isinstance(driver, functools.partial)
    assert driver.func is BoundedWebSocket
    assert driver.keywords == {
        "thread_class": Thread,
        "event_class": gevent.event.Event,
        "selector_class": gevent.selectors.DefaultSelector,
    }
    bounded = driver(lambda ws: None, sio.server.eio)
    assert bounded.options["max_message_size"] == BUFFER_SIZE
    _, threaded = chat_app()
    assert threaded.server.eio._async["websocket"] is BoundedWebSocket


def test_a_websocket_message_beyond_the_buffer_size_is_refused_as_it_arrives(
    fresh_server: ServerProcess, clients: Clients
) -> None:
    server = fresh_server
    bystander = clients.connect(server.url)
    sender = clients.connect(server.url)
    near_limit = {"text": "x" * (BUFFER_SIZE - 1_000)}
    assert sender.call("echo", near_limit, timeout=CALL_TIMEOUT) == near_limit
    assert bystander.call("echo", {"text": "warm"}, timeout=CALL_TIMEOUT) == {"text": "warm"}
    rss_before, peak_before = server.memory_kb("VmRSS"), server.memory_kb("VmHWM")
    gone = threading.Event()
    sender.on("disconnect", lambda *_: gone.set())
    sender.emit("echo", {"text": "x" * OVERSIZE})
    assert gone.wait(30), "the connection of the oversize message was not closed"
    assert bystander.call("echo", {"text": "fine"}, timeout=CALL_TIMEOUT) == {"text": "fine"}
    newcomer = clients.connect(server.url)
    assert newcomer.call("echo", {"text": "new"}, timeout=CALL_TIMEOUT) == {"text": "new"}
    rss_after, peak_after = server.memory_kb("VmRSS"), server.memory_kb("VmHWM")
    figures = f"VmRSS {rss_before} → {rss_after} kB, VmHWM {peak_before} → {peak_after} kB"
    # Refused as it arrived: held whole, the 20 MB message would raise the peak by 20 MB at least.
    assert peak_after - peak_before < 10_000, figures
    assert rss_after - rss_before < 10_000, figures
