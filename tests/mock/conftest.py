"""Fixtures for the mock-server tests: example specs, validators, free ports, and `asynction mock
run` started as a subprocess (stdin not a terminal) with real python-socketio clients."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import socketio

from asynction.exceptions import MessageAckValidationException
from asynction.spec import Event, load_spec
from asynction.spec.model import Api
from asynction.validation import ArgumentsValidator

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HARD_SPEC = HERE / "specs" / "hard.yaml"
CHAT_SPEC = ROOT / "generated_examples" / "chat" / "asyncapi.yaml"
CHAT_V3_SPEC = ROOT / "generated_examples" / "chat_v3" / "asyncapi.yaml"
TELEMETRY_SPEC = ROOT / "generated_examples" / "telemetry" / "asyncapi.yaml"
OFFICIAL = ROOT / "tests" / "spec" / "official"
OFFICIAL_REFUSED = {"for-3.0.0.yml", "for-3.0.0-with-servers-and-channels-components.yml"}
"""Official examples load_spec refuses (a remote $ref; a $ref to nowhere): see tests/spec."""

EXAMPLE_SPECS = sorted(ROOT.glob("generated_examples/*/asyncapi.yaml"))
OFFICIAL_SPECS = sorted(
    path
    for path in OFFICIAL.glob("[23].*/*")
    if path.suffix in {".yml", ".yaml", ".json"} and path.name not in OFFICIAL_REFUSED
)
CONNECT_TIMEOUT = 10.0


def events_of(api: Api) -> Iterator[tuple[str, Event]]:
    for namespace in api.namespaces:
        for event in (*namespace.incoming, *namespace.outgoing):
            yield namespace.name, event


def validator(namespace: str, event: Event, part: str) -> ArgumentsValidator:
    """The validator the server uses for an event's payload or ack."""
    if part == "ack":
        return ArgumentsValidator(
            event.ack,
            namespace=namespace,
            event=event.name,
            exception_type=MessageAckValidationException,
            what="ack",
        )
    return ArgumentsValidator(event.payload, namespace=namespace, event=event.name)


def as_arguments(data: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a python-socketio client handler received, as Socket.IO arguments."""
    return tuple(data)


def ack_arguments(ack: Any) -> tuple[Any, ...]:
    """The arguments of an ack as ``Client.call`` returns it (None, one value, or a tuple)."""
    if ack is None:
        return ()
    if isinstance(ack, tuple):
        return ack
    return (ack,)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` every 20 ms for at most ``timeout`` seconds."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return True
        pause.wait(0.02)
    return predicate()


@dataclass
class MockProcess:
    """`asynction mock run` in a subprocess, its output in files."""

    process: subprocess.Popen[bytes]
    port: int
    stdout: Path
    stderr: Path
    clients: list[socketio.Client] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def errors(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def client(
        self,
        namespace: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        timeout: float = CONNECT_TIMEOUT,
    ) -> socketio.Client:
        """A client connected to ``namespace``, retried until the server listens."""
        last: Exception | None = None
        for _ in range(int(timeout / 0.05)):
            if self.process.poll() is not None:
                raise AssertionError(f"mock exited with {self.process.returncode}: {self.errors()}")
            client = socketio.Client(reconnection=False)
            try:
                client.connect(
                    self.url + (f"?{query}" if query else ""),
                    namespaces=[namespace],
                    transports=["websocket"],
                    headers=headers or {},
                    wait_timeout=5,
                )
            except socketio.exceptions.ConnectionError as error:
                last = error
                threading.Event().wait(0.05)
                continue
            self.clients.append(client)
            return client
        raise AssertionError(f"could not connect to the mock: {last}; stderr: {self.errors()}")

    def stop(self) -> int:
        for client in self.clients:
            with contextlib.suppress(Exception):  # already gone with the server
                client.disconnect()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


StartMock = Callable[..., MockProcess]


@pytest.fixture
def start_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartMock]:
    """Start `python -m asynction <args>` with a free port (stdin DEVNULL); stopped at teardown."""
    started: list[MockProcess] = []

    def start(*args: str, cwd: Path = ROOT, port: int | None = None) -> MockProcess:
        port = port or free_port()
        directory = tmp_path_factory.mktemp("mock-output")
        stdout, stderr = directory / "stdout.txt", directory / "stderr.txt"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "asynction", *args, "--port", str(port)],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        mock = MockProcess(process, port, stdout, stderr)
        started.append(mock)
        return mock

    yield start
    for mock in started:
        mock.stop()


@pytest.fixture(scope="module")
def chat_api() -> Api:
    return load_spec(CHAT_SPEC)
