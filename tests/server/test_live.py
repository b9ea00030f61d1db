"""End to end over real websockets: python-socketio clients against a threaded server on
127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import socketio

from asynction.exceptions import MessageAckValidationException, PayloadValidationException
from asynction.server import AsynctionSocketIO
from tests.fixtures.server import handlers
from tests.server.conftest import Clients, LiveServer, wait_until

Live = tuple[LiveServer, AsynctionSocketIO]
Receiver = Callable[[socketio.Client, str, str], list[Any]]


def test_event_and_ack_round_trip(live_chat: Live, clients: Clients) -> None:
    live, _ = live_chat
    client = clients.connect(live.url)
    assert client.call("echo", {"text": "hi", "count": 1}, timeout=5) == {"text": "hi", "count": 1}
    assert client.call("pair", ("a", 2), timeout=5) == (2, "a")  # two ack arguments
    assert client.call("numbers", [1, 2, 3], timeout=5) == 6
    assert client.call("numbers", (1, 2, 3), timeout=5) == 6


@pytest.mark.parametrize(
    ("event", "data", "path", "rule"),
    [
        pytest.param("echo", {"text": 1}, "$.text", "type", id="wrong-type"),
        pytest.param("echo", {}, "$", "required", id="missing-field"),
        pytest.param("echo", {"text": "a", "x": 1}, "$", "additionalProperties", id="extra"),
        pytest.param("pair", ["a", 1], "$", "minItems", id="list-for-a-tuple"),
        pytest.param("numbers", ("1", 2), "$[0]", "type", id="array-item"),
    ],
)
def test_invalid_payload_is_answered_by_the_error_handler(
    live_chat: Live, clients: Clients, event: str, data: Any, path: str, rule: str
) -> None:
    live, _ = live_chat
    client = clients.connect(live.url)
    ack = client.call(event, data, timeout=5)
    assert ack == {"error": "PayloadValidationException", "path": path, "rule": rule}
    assert handlers.entries(event) == []


def test_bad_ack_over_the_wire(live_chat: Live, clients: Clients) -> None:
    live, _ = live_chat
    client = clients.connect(live.url)
    ack = client.call("bad_ack", "x", timeout=5)
    assert ack == {"error": "MessageAckValidationException", "path": "$.ok", "rule": "type"}


def test_missing_ack_over_the_wire(live_chat: Live, clients: Clients) -> None:
    """A handler returning None to a client waiting for an ack: the empty ack is refused."""
    live, _ = live_chat
    client = clients.connect(live.url)
    ack = client.call("no_ack", "x", timeout=5)
    assert ack == {"error": "MessageAckValidationException", "path": "$", "rule": "type"}
    # Without a callback the client expects nothing and the server reports nothing.
    client.emit("no_ack", "y")
    assert client.call("bad_ack", "z", timeout=5)["path"] == "$.ok"  # still serving, in order


def test_one_clients_failures_do_not_disturb_others(live_chat: Live, clients: Clients) -> None:
    live, _ = live_chat
    good, bad = clients.connect(live.url), clients.connect(live.url)
    results: list[Any] = []

    def hammer(client: socketio.Client, data: Any) -> None:
        for index in range(20):
            results.append(client.call("echo", {**data, "count": index}, timeout=5))

    threads = [
        threading.Thread(target=hammer, args=(good, {"text": "ok"})),
        threading.Thread(target=hammer, args=(bad, {"text": 0})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sum(1 for ack in results if ack.get("text") == "ok") == 20
    assert sum(1 for ack in results if ack.get("error") == "PayloadValidationException") == 20


def test_without_error_handler_failures_are_logged_and_serving_goes_on(
    live_chat: Live, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    live, _ = live_chat
    client = clients.connect(live.url, "/strict")
    client.emit("echo", {"text": 5}, namespace="/strict")
    assert wait_until(lambda: "namespace '/strict', event 'echo' at $.text" in caplog.text)
    assert client.call("echo", {"text": "still here"}, namespace="/strict", timeout=5) == {
        "text": "still here"
    }


def test_emit_callback_gets_validated_ack_arguments(live_chat: Live, clients: Clients) -> None:
    live, _ = live_chat
    client = clients.connect(live.url)
    answers = iter([{"answer": 42}, {"answer": "forty-two"}])
    client.on("question", lambda question: next(answers))
    client.emit("ask", "meaning?")
    assert handlers.wait_for("answer") == [("answer", {"answer": 42})]
    client.emit("ask", "again?")
    [(_, namespace, error)] = handlers.wait_for("error")
    assert namespace == "/"
    assert isinstance(error, MessageAckValidationException)
    assert (error.event, error.path, error.rule) == ("question", "$.answer", "type")
    assert handlers.entries("answer") == [("answer", {"answer": 42})]  # callback not called


def test_server_emit_callback_outside_a_handler(live_chat: Live, clients: Clients) -> None:
    live, sio = live_chat
    client = clients.connect(live.url)
    client.on("question", lambda question: {"answer": "no"})
    got: list[Any] = []
    sio.emit("question", "q", to=client.get_sid("/"), callback=lambda *args: got.append(args))
    [(_, namespace, error)] = handlers.wait_for("error")
    assert namespace is None  # no request context: the emit came from outside any handler
    assert isinstance(error, MessageAckValidationException)
    assert got == []


def test_server_call_validates_payload_and_ack(live_chat: Live, clients: Clients) -> None:
    live, sio = live_chat
    client = clients.connect(live.url)
    replies = iter([{"answer": 1}, {"answer": None}])
    client.on("question", lambda question: next(replies))
    sid = client.get_sid("/")
    assert sio.call("question", "q1", to=sid, timeout=5) == {"answer": 1}
    with pytest.raises(MessageAckValidationException) as raised:
        sio.call("question", "q2", to=sid, timeout=5)
    assert raised.value.path == "$.answer"
    with pytest.raises(PayloadValidationException):
        sio.call("question", 3, to=sid, timeout=5)


def test_broadcast_and_background_task_reach_every_client(
    live_chat: Live, clients: Clients, receiver: Receiver
) -> None:
    live, sio = live_chat
    first, second = clients.connect(live.url), clients.connect(live.url)
    got = [receiver(first, "notice", "/"), receiver(second, "notice", "/")]
    sio.emit("notice", "everyone")
    task = sio.start_background_task(sio.emit, "notice", "from a task")
    task.join(timeout=5)
    assert wait_until(lambda: all(len(each) == 2 for each in got))
    assert got[0] == got[1] == [("everyone",), ("from a task",)]
    with pytest.raises(PayloadValidationException):
        sio.emit("notice", {"not": "a string"})


def test_handler_broadcast_and_rooms(live_chat: Live, clients: Clients, receiver: Receiver) -> None:
    live, _ = live_chat
    first, second = clients.connect(live.url), clients.connect(live.url)
    got = [receiver(first, "notice", "/"), receiver(second, "notice", "/")]
    assert first.call("join", "blue", timeout=5) == "blue"
    first.call("emit_back", {"kind": "room", "data": {"room": "blue", "text": "blue only"}})
    second.call("emit_back", {"kind": "broadcast", "data": "all"}, timeout=5)
    assert wait_until(lambda: len(got[0]) == 2 and len(got[1]) == 1)
    assert got[0] == [("blue only",), ("all",)]
    assert got[1] == [("all",)]
