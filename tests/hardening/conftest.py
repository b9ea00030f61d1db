"""Fixtures of the hardening tests: hardened.yaml served live, python-socketio clients, raw
Socket.IO packets, and a Redis server of the test's own."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask
import pytest
import socketio

from asynction.server import AsynctionSocketIO
from tests.hardening.fixtures import handlers
from tests.live import LiveServer, serve

HARDENED = Path(__file__).parent / "fixtures" / "hardened.yaml"
CALL_TIMEOUT = 10.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A worker thread that dies with an exception fails the hardening test it happened in.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(
                pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
            )


@pytest.fixture(autouse=True)
def _fresh_record() -> Iterator[None]:
    handlers.clear()
    yield
    handlers.RELEASE.set()  # no handler stays blocked past its test


def hardened_app(**kwargs: Any) -> tuple[flask.Flask, AsynctionSocketIO]:
    app = flask.Flask(__name__)
    kwargs.setdefault("async_mode", "threading")
    sio = AsynctionSocketIO.from_spec(HARDENED, app=app, **kwargs)
    return app, sio


@pytest.fixture(scope="module")
def hardened() -> Iterator[tuple[LiveServer, AsynctionSocketIO]]:
    """hardened.yaml served over real websockets, shared by a module."""
    app, sio = hardened_app()
    with serve(app) as live:
        yield live, sio


class Clients:
    """python-socketio clients over websockets, all disconnected at the end of the test."""

    def __init__(self) -> None:
        self._made: list[socketio.Client] = []

    def connect(
        self, url: str, namespaces: tuple[str, ...] = ("/",), **kwargs: Any
    ) -> socketio.Client:
        client = socketio.Client(reconnection=False)
        self._made.append(client)
        client.connect(
            url,
            transports=["websocket"],
            namespaces=list(namespaces),
            wait_timeout=CALL_TIMEOUT,
            **kwargs,
        )
        return client

    def close(self) -> None:
        for client in self._made:
            with contextlib.suppress(Exception):
                client.disconnect()


@pytest.fixture
def clients() -> Iterator[Clients]:
    made = Clients()
    yield made
    made.close()


def raw_call(
    client: socketio.Client, packet: str, namespace: str = "/", timeout: float = CALL_TIMEOUT
) -> list[Any] | None:
    """Send a raw Socket.IO packet of type ``packet[0]`` with an ack id inserted after its
    header (``2["echo", ...]`` → ``2/ns,17["echo", ...]``); the ack's arguments, or ``None``."""
    done = threading.Event()
    got: list[Any] = []

    def on_ack(*args: Any) -> None:
        got.extend(args)
        done.set()

    ack_id = client._generate_ack_id(namespace, on_ack)
    prefix = "" if namespace == "/" else f"{namespace},"
    client.eio.send(f"{packet[0]}{prefix}{ack_id}{packet[1:]}")
    return got if done.wait(timeout) else None


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` every 10 ms, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def records(
    caplog: pytest.LogCaptureFixture, level: int = logging.WARNING
) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= level]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A redis-server of this test's own on a spare port, which the test may kill and restart."""

    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        def ready() -> bool:
            try:
                return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2).ping())
            except redis.RedisError:
                return False

        if not wait_until(ready, timeout=10):
            self.kill()
            pytest.fail(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server started for this test; skipped when there is none (a failure with
    ASYNCTION_REQUIRE_REDIS=1)."""
    executable = shutil.which("redis-server")
    try:
        import redis  # noqa: F401
    except ImportError:
        executable = None
    if executable is None:
        reason = "redis-server (or redis-py) is not installed"
        if os.environ.get("ASYNCTION_REQUIRE_REDIS") == "1":
            pytest.fail(f"ASYNCTION_REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)
    server = RedisServer(executable, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()
