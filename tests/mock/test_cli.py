"""`asynction mock run` as users run it: a subprocess (stdin not a terminal) on a free port, real
python-socketio clients over websockets."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from asynction.mock.fakes import FakeData
from asynction.spec import load_spec
from asynction.spec.model import Api
from tests.mock.conftest import (
    CHAT_SPEC,
    ROOT,
    TELEMETRY_SPEC,
    MockProcess,
    StartMock,
    ack_arguments,
    free_port,
    validator,
    wait_until,
)

INTERVAL = 0.2
CHAT_QUERY = "username=ann"


@pytest.fixture(scope="module")
def chat_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockProcess]:
    """One `asynction mock run` of the chat example shared by this module's tests."""
    directory = tmp_path_factory.mktemp("chat-mock")
    stdout, stderr = directory / "stdout.txt", directory / "stderr.txt"
    port = free_port()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "asynction",
                "mock",
                "run",
                str(CHAT_SPEC),
                "--port",
                str(port),
                "--interval",
                str(INTERVAL),
                "--seed",
                "5",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    mock = MockProcess(process, port, stdout, stderr)
    yield mock
    mock.stop()


def _collect(client: socketio.Client, api: Api, namespace: str) -> dict[str, list[tuple[Any, ...]]]:
    """Record what a client receives for every outgoing event of a namespace (a live dict)."""
    received: dict[str, list[tuple[Any, ...]]] = {}
    outgoing = api.namespace(namespace)
    assert outgoing is not None
    for event in outgoing.outgoing:
        bucket = received.setdefault(event.name, [])
        client.on(event.name, lambda *args, bucket=bucket: bucket.append(args), namespace=namespace)
    return received


def test_it_prints_where_it_listens_and_what_it_emits(chat_mock: MockProcess) -> None:
    assert wait_until(lambda: "Press Ctrl-C" in chat_mock.output())
    output = chat_mock.output()
    assert f"Listening on http://127.0.0.1:{chat_mock.port}" in output
    assert "Fake data seed: 5" in output
    assert "/chat: 'new message', 'user joined', 'user typing'" in output
    assert "'join room' (fake ack)" in output


def test_a_client_receives_every_outgoing_event_at_about_the_rate(
    chat_mock: MockProcess, chat_api: Api
) -> None:
    client = socketio.Client(reconnection=False)
    received = _collect(client, chat_api, "/chat")
    _connect_with(chat_mock, client, "/chat", CHAT_QUERY)
    started = time.monotonic()
    threading.Event().wait(2.0)
    elapsed = time.monotonic() - started
    client.disconnect()
    expected = elapsed / INTERVAL  # about 10 of each
    events = {event.name: event for event in chat_api.namespace("/chat").outgoing}  # type: ignore[union-attr]
    assert set(received) == set(events)
    for name, payloads in received.items():
        assert expected * 0.3 <= len(payloads) <= expected * 2 + 2, (name, len(payloads))
        check = validator("/chat", events[name], "payload")
        for arguments in payloads:
            check.validate(arguments)


def _connect_with(
    mock: MockProcess, client: socketio.Client, namespace: str, query: str = "", **kwargs: Any
) -> socketio.Client:
    """Connect a client that already has its handlers (retrying until the server listens)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            client.connect(
                mock.url + (f"?{query}" if query else ""),
                namespaces=[namespace],
                transports=["websocket"],
                wait_timeout=5,
                **kwargs,
            )
        except socketio.exceptions.ConnectionError:
            if time.monotonic() > deadline or mock.process.poll() is not None:
                raise
            threading.Event().wait(0.05)
            continue
        mock.clients.append(client)
        return client


def test_every_incoming_event_gets_a_valid_fake_ack(chat_mock: MockProcess, chat_api: Api) -> None:
    client = chat_mock.client("/chat", query=CHAT_QUERY)
    payloads = FakeData(chat_api, seed=1)
    namespace = chat_api.namespace("/chat")
    assert namespace is not None
    for event in namespace.incoming:
        arguments = payloads.payload("/chat", event)
        assert arguments is not None
        ack = client.call(
            event.name,
            arguments[0] if len(arguments) == 1 else arguments,
            namespace="/chat",
            timeout=5,
        )
        if event.ack is None:
            assert ack is None
        else:
            validator("/chat", event, "ack").validate(ack_arguments(ack))


def test_a_bad_payload_reaches_the_error_path_and_the_mock_keeps_serving(
    chat_mock: MockProcess,
) -> None:
    client = chat_mock.client("/chat", query=CHAT_QUERY)
    answered: list[Any] = []
    client.emit("join room", {"room": "NOT a room"}, namespace="/chat", callback=answered.append)
    assert wait_until(lambda: "at $.room: invalid payload" in chat_mock.errors())
    assert "'join room'" in chat_mock.errors()
    ack = client.call("join room", {"room": "lobby"}, namespace="/chat", timeout=5)
    assert set(ack) == {"room", "members"}
    assert answered == []  # no error handler: the bad event got no ack


def test_bindings_are_enforced(chat_mock: MockProcess) -> None:
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            chat_mock.url, namespaces=["/chat"], transports=["websocket"], wait_timeout=5
        )


def _first_data(mock: MockProcess, api: Api) -> tuple[dict[str, list[Any]], list[Any]]:
    client = socketio.Client(reconnection=False)
    received = _collect(client, api, "/chat")
    _connect_with(mock, client, "/chat", CHAT_QUERY)
    acks = [
        client.call("join room", {"room": "lobby"}, namespace="/chat", timeout=5) for _ in range(3)
    ]
    assert wait_until(lambda: all(len(payloads) >= 2 for payloads in received.values()))
    client.disconnect()
    return {name: payloads[:2] for name, payloads in received.items()}, acks


def test_the_same_seed_gives_the_same_data(start_mock: StartMock, chat_api: Api) -> None:
    # (different seeds giving different data: tests/mock/test_fakes.py)
    # The first emit comes a third of an interval after a client connects: long enough for its
    # CONNECT to be sent first, so each client sees every event from its first value.
    first = start_mock("mock", "run", str(CHAT_SPEC), "--seed", "77", "--interval", "0.3")
    second = start_mock("mock", "run", str(CHAT_SPEC), "--seed", "77", "--interval", "0.3")
    payloads, acks = _first_data(first, chat_api)
    assert (payloads, acks) == _first_data(second, chat_api)
    assert len({str(ack) for ack in acks}) == 3  # three calls, three different acks


def test_the_predecessors_spec_option_form_works_and_sigterm_stops_it(
    start_mock: StartMock,
) -> None:
    mock = start_mock("--spec", str(CHAT_SPEC), "mock", "run", "--interval", "0.5")
    client = mock.client("/chat", query=CHAT_QUERY)
    assert client.call("join room", {"room": "lobby"}, namespace="/chat", timeout=5)
    assert mock.stop() == 0
    assert "Mock server stopped." in mock.output()


TELEMETRY_HANDLERS = """
def device_key_info(api_key, required_scopes):
    return {"sub": "device-7", "scopes": []} if api_key == "device-key" else None


def operator_token_info(token, required_scopes, bearer_format):
    return {"sub": "operator", "scopes": []} if token == "operator-token" else None
"""


def test_security_modules_import_from_the_working_directory(
    start_mock: StartMock, tmp_path: Path
) -> None:
    # The info functions live in the working directory, not beside the spec.
    (tmp_path / "telemetry_handlers.py").write_text(TELEMETRY_HANDLERS, encoding="utf-8")
    spec = tmp_path / "specs" / "asyncapi.yaml"
    spec.parent.mkdir()
    spec.write_text(TELEMETRY_SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    mock = start_mock("mock", "run", str(spec), "--interval", "0.1", cwd=tmp_path)
    api = load_spec(TELEMETRY_SPEC)
    client = socketio.Client(reconnection=False)
    received = _collect(client, api, "/devices")
    headers = {"X-Device-Key": "device-key", "X-Firmware-Version": "1.2.3"}
    _connect_with(mock, client, "/devices", headers=headers)
    assert wait_until(lambda: len(received["command"]) >= 2)
    command = api.namespace("/devices").outgoing[0]  # type: ignore[union-attr]
    for arguments in received["command"]:
        validator("/devices", command, "payload").validate(arguments)
    intruder = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        intruder.connect(
            mock.url,
            namespaces=["/devices"],
            transports=["websocket"],
            headers={"X-Device-Key": "wrong", "X-Firmware-Version": "1.2.3"},
            wait_timeout=5,
        )


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asynction", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_or_broken_spec_is_reported() -> None:
    missing = _run_cli("mock", "run")
    assert missing.returncode == 2
    assert "Missing the AsyncAPI document" in missing.stderr
    absent = _run_cli("mock", "run", "no/such/spec.yaml")
    assert absent.returncode == 1
    assert "no/such/spec.yaml" in absent.stderr
    unknown_server = _run_cli("mock", "run", str(CHAT_SPEC), "--server", "nope")
    assert unknown_server.returncode == 1
    assert "unknown server 'nope'" in unknown_server.stderr
