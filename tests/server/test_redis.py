"""Scale-out on a real message queue: two server processes sharing Redis on 127.0.0.1, clients on
each, and an external emitter process (this one) with no app."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import socketio

from asynction.exceptions import PayloadValidationException, ValidationException
from asynction.server import AsynctionSocketIO
from tests.live import server_process
from tests.server.conftest import CHAT_SPEC, Clients, wait_until


@pytest.fixture(scope="module")
def channel() -> str:
    """A Redis pub/sub channel of this test run only, so parallel runs don't collide."""
    return f"asynction-test-{os.getpid()}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def servers(redis_url: str, channel: str) -> Iterator[list[str]]:
    """Two server processes on two ports sharing Redis: their base URLs."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                server_process("tests.fixtures.server.redis_app", redis_url, channel)
            ).url
            for _ in range(2)
        ]


@pytest.fixture(scope="module")
def external(redis_url: str, channel: str) -> AsynctionSocketIO:
    """An external process's emitter: no app, emits through Redis."""
    return AsynctionSocketIO.from_spec(CHAT_SPEC, message_queue=redis_url, channel=channel)


Inbox = list[Any]


@pytest.fixture
def connected(
    servers: list[str], external: AsynctionSocketIO, clients: Clients
) -> Callable[[], tuple[list[socketio.Client], list[Inbox]]]:
    """Connect one client to each server; wait until Redis delivers to both (each server's
    listener subscribes in the background once its first client connects)."""

    def connect() -> tuple[list[socketio.Client], list[Inbox]]:
        made, inboxes = [], []
        for url in servers:
            client = clients.connect(url)
            inbox: Inbox = []
            client.on("notice", inbox.append)
            made.append(client)
            inboxes.append(inbox)
        for attempt in range(100):
            external.emit("notice", f"warm-up {attempt}")
            if wait_until(lambda: all(inboxes), timeout=0.1):
                break
        assert all(inboxes), "Redis never delivered to both servers"
        wait_until(lambda: False, timeout=0.2)  # let stragglers of the warm-up arrive
        for inbox in inboxes:
            inbox.clear()
        return made, inboxes

    return connect


def test_broadcast_from_each_server_reaches_every_client(connected: Any) -> None:
    (first, second), inboxes = connected()
    assert first.call("emit_back", {"kind": "broadcast", "data": "from one"}, timeout=5) == "sent"
    assert second.call("emit_back", {"kind": "broadcast", "data": "from two"}, timeout=5) == "sent"
    assert wait_until(lambda: all(len(inbox) == 2 for inbox in inboxes))
    for inbox in inboxes:
        assert sorted(inbox) == ["from one", "from two"]


def test_external_emit_reaches_every_client(connected: Any, external: AsynctionSocketIO) -> None:
    _, inboxes = connected()
    external.emit("notice", "from outside")
    assert wait_until(lambda: all(inbox == ["from outside"] for inbox in inboxes))


def test_room_emit_reaches_only_the_room(connected: Any, external: AsynctionSocketIO) -> None:
    (first, second), (first_inbox, second_inbox) = connected()
    room = f"room-{uuid.uuid4().hex[:8]}"
    assert second.call("join", room, timeout=5) == room
    external.emit("notice", "room, outside", to=room)
    payload = {"kind": "room", "data": {"room": room, "text": "room, server 1"}}
    assert first.call("emit_back", payload, timeout=5) == "sent"
    external.emit("notice", "everyone")  # sent last: once it arrives, the room emits have too
    assert wait_until(lambda: "everyone" in first_inbox and len(second_inbox) == 3)
    assert first_inbox == ["everyone"]
    assert sorted(second_inbox) == ["everyone", "room, outside", "room, server 1"]


def test_invalid_external_emit_raises_before_publishing(
    redis_url: str, channel: str, external: AsynctionSocketIO
) -> None:
    import redis

    connection = redis.Redis.from_url(redis_url)
    subscriber = connection.pubsub()
    subscriber.subscribe(channel)
    try:
        confirmation = subscriber.get_message(timeout=5)
        assert confirmation is not None
        assert confirmation["type"] == "subscribe"
        with pytest.raises(PayloadValidationException):
            external.emit("notice", {"not": "a string"})
        with pytest.raises(ValidationException, match="not declared"):
            external.emit("no_such_event", "x")
        with pytest.raises(ValidationException, match="namespace '/elsewhere'"):
            external.emit("notice", "x", namespace="/elsewhere")
        external.emit("notice", "the valid one")
        published: list[dict[str, Any]] = []
        for _ in range(100):
            message = subscriber.get_message(timeout=0.1)
            if message is not None and message["type"] == "message":
                published.append(json.loads(message["data"]))
                if published[-1].get("data") == ["the valid one"]:
                    break
        assert [(m.get("event"), m.get("data")) for m in published][-1:] == [
            ("notice", ["the valid one"])
        ]
        assert all(m.get("event") == "notice" for m in published)
        assert all(m.get("data") != [{"not": "a string"}] for m in published)
    finally:
        subscriber.close()
        connection.close()
