"""Live servers on 127.0.0.1 for end-to-end tests: a Flask app served by werkzeug in a thread of
the test process (:func:`serve`), or a server process of its own (:func:`server_process`)."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import flask
import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from asynction.serving import WebSocketClosingHandler


class QuietHandler(WebSocketClosingHandler):
    """asynction's werkzeug handler, without request logs."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class LiveServer:
    """A Flask app served by werkzeug in a daemon thread."""

    app: flask.Flask
    port: int
    wsgi: BaseWSGIServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serve(app: flask.Flask) -> Iterator[LiveServer]:
    """Serve ``app`` (websockets through simple-websocket) until the block ends."""
    wsgi = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    wsgi.daemon_threads = True
    thread = threading.Thread(target=wsgi.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield LiveServer(app, wsgi.server_port, wsgi)
    finally:
        wsgi.shutdown()
        wsgi.server_close()
        thread.join(timeout=5)


ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class ServerProcess:
    """A server running in a process of its own."""

    url: str
    pid: int
    log: Path | None = None
    """Where its stderr goes, if anywhere."""

    def memory_kb(self, field: str) -> int:
        """A memory figure of the process (``VmRSS``; ``VmHWM``, its peak), in kB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        found = re.search(rf"^{field}:\s+(\d+)", status, re.MULTILINE)
        assert found is not None, f"no {field} in /proc/{self.pid}/status"
        return int(found[1])


@contextmanager
def server_process(
    module: str, *arguments: str, stderr: Path | None = None
) -> Iterator[ServerProcess]:
    """Run ``python -m module arguments`` from the repository root until the block ends.

    The module prints ``READY <port>`` once it listens on 127.0.0.1; the test fails if it does
    not within :data:`STARTUP_TIMEOUT` seconds (with the end of ``stderr``, where its errors go).
    The process is stopped by its PID: terminated, killed if it lingers.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    with stderr.open("w") if stderr is not None else open(os.devnull, "w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *arguments],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert process.stdout is not None
    try:
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            said = stderr.read_text()[-2000:] if stderr is not None else ""
            pytest.fail(f"{module} did not start (said {line!r}) {said}")
        yield ServerProcess(f"http://127.0.0.1:{int(line.split()[1])}", process.pid, stderr)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()


def oversize_polling_post(url: str, text_size: int, timeout: float = 10.0) -> int:
    """Open an Engine.IO long-polling session at ``url`` and POST one ``echo`` event whose text has
    ``text_size`` characters: the HTTP status of the POST."""
    with urllib.request.urlopen(
        f"{url}/socket.io/?EIO=4&transport=polling", timeout=timeout
    ) as reply:
        handshake = json.loads(reply.read().decode()[1:])
    body = ('42["echo",{"text":"' + "x" * text_size + '"}]').encode()
    request = urllib.request.Request(
        f"{url}/socket.io/?EIO=4&transport=polling&sid={handshake['sid']}",
        data=body,
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return int(reply.status)
    except HTTPError as error:
        return error.code
