"""Each example app, served over real websockets on 127.0.0.1 and driven by python-socketio
clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import chat_app
import chat_v3_app
import pytest
import socketio
import telemetry_app
import telemetry_events

from tests.codegen.support import Clients, LiveServer, collect, serve, wait_until

NOW = "2024-05-01T12:00:00Z"
TIMEOUT = 5


@pytest.fixture(scope="module")
def chat() -> Iterator[LiveServer]:
    app, _ = chat_app.create_app(async_mode="threading")
    with serve(app) as live:
        yield live


@pytest.fixture(scope="module")
def chat_v3() -> Iterator[LiveServer]:
    app, _ = chat_v3_app.create_app(async_mode="threading")
    with serve(app) as live:
        yield live


@pytest.fixture(scope="module")
def telemetry() -> Iterator[tuple[LiveServer, telemetry_app.Telemetry]]:
    app, server = telemetry_app.create_app(async_mode="threading")
    with serve(app) as live:
        yield live, server


def test_chat_rooms_messages_and_typing(chat: LiveServer, clients: Clients) -> None:
    ann = clients.connect(chat.url, "/chat", query="username=ann")
    bob = clients.connect(chat.url, "/chat", query="username=bob")
    joined = collect(ann, "user joined", "/chat")
    messages = collect(ann, "new message", "/chat")
    typing_seen_by_ann = collect(ann, "user typing", "/chat")
    typing_seen_by_bob = collect(bob, "user typing", "/chat")

    ack = ann.call("join room", {"room": "lobby"}, namespace="/chat", timeout=TIMEOUT)
    assert ack == {"room": "lobby", "members": ["ann"]}
    ack = bob.call("join room", {"room": "lobby"}, namespace="/chat", timeout=TIMEOUT)
    assert ack == {"room": "lobby", "members": ["ann", "bob"]}
    assert wait_until(lambda: ({"room": "lobby", "username": "bob"},) in joined)

    receipt = bob.call(
        "send message", {"room": "lobby", "text": "hello"}, namespace="/chat", timeout=TIMEOUT
    )
    assert set(receipt) == {"id", "sentAt"}
    assert wait_until(lambda: len(messages) == 1)
    (message,) = messages[0]
    assert message["id"] == receipt["id"]
    assert (message["author"], message["text"], message["room"]) == ("bob", "hello", "lobby")

    bob.emit("typing", {"room": "lobby"}, namespace="/chat")
    assert wait_until(lambda: len(typing_seen_by_ann) == 1)
    assert typing_seen_by_ann[0] == ({"room": "lobby", "username": "bob"},)
    assert typing_seen_by_bob == []


def test_chat_refuses_a_client_without_a_username(chat: LiveServer, clients: Clients) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients.connect(chat.url, "/chat")


def test_chat_v3_echoes_to_the_room(chat_v3: LiveServer, clients: Clients) -> None:
    eve = clients.connect(chat_v3.url, "/chat", query="username=eve")
    messages = collect(eve, "new message", "/chat")
    ack = eve.call("join room", {"room": "v3"}, namespace="/chat", timeout=TIMEOUT)
    assert ack == {"room": "v3", "members": ["eve"]}
    receipt = eve.call(
        "send message", {"room": "v3", "text": "hi"}, namespace="/chat", timeout=TIMEOUT
    )
    assert wait_until(lambda: len(messages) == 1)
    assert messages[0][0]["id"] == receipt["id"]
    assert messages[0][0]["author"] == "eve"


DEVICE_HEADERS = {"X-Device-Key": "key-thermo-1", "X-Firmware-Version": "1.2.3"}
OPERATOR = {"Authorization": "Bearer token-alice"}


def _connect(live: LiveServer, clients: Clients, namespace: str, headers: dict[str, str]) -> Any:
    return clients.connect(live.url, namespace, headers=headers, socketio_path="iot/socket.io")


def test_telemetry_devices_report_and_dashboards_watch(
    telemetry: tuple[LiveServer, telemetry_app.Telemetry], clients: Clients
) -> None:
    live, server = telemetry
    dashboard = _connect(live, clients, "/dashboard", OPERATOR)
    statuses = collect(dashboard, "device status", "/dashboard")
    updates = collect(dashboard, "reading update", "/dashboard")
    ack = dashboard.call(
        "watch", {"devices": ["thermo-1"]}, namespace="/dashboard", timeout=TIMEOUT
    )
    assert ack == {"watching": 1}

    device = _connect(live, clients, "/devices", DEVICE_HEADERS)
    assert wait_until(lambda: ({"device": "thermo-1", "online": True},) in statuses)
    assert server.firmware["thermo-1"] == "1.2.3"

    # A reading is four positional arguments; its ack is two.
    accepted, stored = device.call(
        "reading", ("temp", 21.5, "celsius", NOW), namespace="/devices", timeout=TIMEOUT
    )
    assert accepted is True
    assert stored >= 1
    assert wait_until(lambda: len(updates) >= 1)
    assert updates[0][0] == {
        "device": "thermo-1",
        "sensor": "temp",
        "value": 21.5,
        "unit": "celsius",
        "takenAt": NOW,
    }

    # A batch is one list argument.
    sample = {"device": "thermo-1", "sensor": "rh", "value": 40, "unit": "percent", "takenAt": NOW}
    other = {**sample, "device": "hygro-2"}
    ack = device.call("batch", [sample, other], namespace="/devices", timeout=TIMEOUT)
    assert ack == {"stored": 1, "rejected": 1}
    device.emit("heartbeat", namespace="/devices")

    # The server sends a typed command; the device's ack reaches the callback as a model.
    device.on(
        "command", lambda payload: {"done": payload["action"] == "calibrate"}, namespace="/devices"
    )
    acks: list[Any] = []
    sid = next(sid for sid, name in server.devices.items() if name == "thermo-1")
    server.emit_devices_command(
        telemetry_events.Command(action="calibrate", seconds=30), to=sid, callback=acks.append
    )
    assert wait_until(lambda: len(acks) == 1)
    assert isinstance(acks[0], telemetry_events.CommandAck)
    assert acks[0].done is True

    device.disconnect()
    assert wait_until(lambda: ({"device": "thermo-1", "online": False},) in statuses)


@pytest.mark.parametrize(
    ("namespace", "headers"),
    [
        ("/devices", {**DEVICE_HEADERS, "X-Device-Key": "stolen"}),
        ("/devices", {"X-Device-Key": "key-thermo-1"}),
        ("/devices", {**DEVICE_HEADERS, "X-Firmware-Version": "latest"}),
        ("/dashboard", {"Authorization": "Bearer nope"}),
        ("/dashboard", {}),
    ],
    ids=["bad key", "no firmware", "bad firmware", "bad token", "no token"],
)
def test_telemetry_refuses_bad_credentials_and_bindings(
    telemetry: tuple[LiveServer, telemetry_app.Telemetry],
    clients: Clients,
    namespace: str,
    headers: dict[str, str],
) -> None:
    live, _ = telemetry
    with pytest.raises(socketio.exceptions.ConnectionError):
        _connect(live, clients, namespace, headers)
