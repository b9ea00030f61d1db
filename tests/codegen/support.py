"""Helpers of the codegen tests: example paths, generating and importing modules, live servers
over real websockets, python-socketio clients."""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import socketio

from tests.live import LiveServer, serve

__all__ = ["LiveServer", "serve"]  # the codegen tests import them from here

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "generated_examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OFFICIAL = ROOT / "tests" / "spec" / "official"


@dataclass(frozen=True)
class Example:
    """One example of generated_examples/: its spec, generated module and app."""

    name: str
    module: str

    @property
    def directory(self) -> Path:
        return EXAMPLES / self.name

    @property
    def spec(self) -> Path:
        return self.directory / "asyncapi.yaml"

    @property
    def output(self) -> Path:
        return self.directory / f"{self.module}.py"

    @property
    def app(self) -> Path:
        return self.directory / f"{self.name}_app.py"


CHAT = Example("chat", "chat_events")
CHAT_V3 = Example("chat_v3", "chat_v3_events")
TELEMETRY = Example("telemetry", "telemetry_events")
EXAMPLE_LIST = (CHAT, CHAT_V3, TELEMETRY)


def put_examples_on_path() -> None:
    """Make the example modules importable by name (their specs name ``chat_handlers.*`` and
    ``telemetry_handlers.*``; their apps import their generated modules by name)."""
    for example in EXAMPLE_LIST:
        directory = str(example.directory)
        if directory not in sys.path:
            sys.path.insert(0, directory)


_loaded = 0


def load_module(path: Path, name: str | None = None) -> ModuleType:
    """Import the file at ``path`` as a module of a fresh name."""
    global _loaded
    _loaded += 1
    module_name = name or f"_codegen_test_{path.stem}_{_loaded}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def generate_module(spec: Path, directory: Path, name: str, **options: Any) -> ModuleType:
    """Generate the module for ``spec`` into ``directory`` and import it."""
    from asynction.codegen.generator import generate

    output = directory / f"{name}.py"
    (file,) = generate(spec, output, **options)
    output.write_text(file.text, encoding="utf-8")
    return load_module(output)


class Clients:
    """python-socketio clients over websockets only, all disconnected at the end."""

    def __init__(self) -> None:
        self._clients: list[socketio.Client] = []

    def connect(
        self,
        url: str,
        namespace: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        auth: Any = None,
        socketio_path: str = "socket.io",
    ) -> socketio.Client:
        """A connected client (raises ``socketio.exceptions.ConnectionError`` when refused)."""
        client = socketio.Client(reconnection=False)
        self._clients.append(client)
        client.connect(
            url + (f"?{query}" if query else ""),
            headers=headers or {},
            auth=auth,
            transports=["websocket"],
            namespaces=[namespace],
            socketio_path=socketio_path,
            wait_timeout=5,
        )
        return client

    def close(self) -> None:
        for client in self._clients:
            try:
                client.disconnect()
            except Exception:  # a refused client may be half-connected
                logging.getLogger(__name__).debug("disconnect failed", exc_info=True)


def collect(client: socketio.Client, event: str, namespace: str) -> list[tuple[Any, ...]]:
    """The (live) list of the argument tuples ``client`` receives for ``event``."""
    received: list[tuple[Any, ...]] = []
    client.on(event, lambda *args: received.append(args), namespace=namespace)
    return received


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` every 10 ms, for at most ``timeout`` seconds."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return True
        pause.wait(0.01)
    return predicate()
