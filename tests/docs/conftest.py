"""Fixtures for the docs tests: a live server on 127.0.0.1, headless Chromium driven by Playwright
(the system's browser, never a downloaded one), and the socket.io-client bundle from npm.

Without Chromium, Playwright or npm the tests that need them skip with the reason; with
``ASYNCTION_REQUIRE_BROWSER=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import flask
import pytest

from tests import live

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SPECS = HERE / "specs"
CHAT_SPEC = ROOT / "generated_examples" / "chat" / "asyncapi.yaml"
CHAT_HANDLERS = HERE / "chat_app"
ARTIFACTS = ROOT / "tests" / "artifacts"

CHROMIUM = os.environ.get("ASYNCTION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SOCKET_IO_CLIENT = "socket.io-client@4"
TIMEOUT_MS = 10_000


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail when the environment promises a browser (``ASYNCTION_REQUIRE_BROWSER=1``)."""
    if os.environ.get("ASYNCTION_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (ASYNCTION_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


# -- live server ------------------------------------------------------------------------------


@contextmanager
def serve(app: flask.Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port, threaded) until the block ends; yields its URL."""
    with live.serve(app) as server:
        yield server.url


@pytest.fixture
def chat_handlers_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Makes ``chat_handlers`` (named by the chat example spec) importable, with fresh state."""
    monkeypatch.syspath_prepend(str(CHAT_HANDLERS))
    # Another suite may have imported the example's own chat_handlers under the same name.
    monkeypatch.delitem(sys.modules, "chat_handlers", raising=False)
    import chat_handlers

    chat_handlers.reset()
    yield
    chat_handlers.reset()


# -- browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), for the whole session."""
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Traffic:
    """Every request and websocket a browser context opened, and what its pages reported."""

    urls: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        """The URLs that left 127.0.0.1 (``file:`` and ``data:`` URLs stay on the machine)."""
        outside = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("file", "data", "about", "blob"):
                continue
            if parts.hostname != "127.0.0.1":
                outside.append(url)
        return outside


@dataclass
class Session:
    """Opens pages, each in a browser context of its own options, recording their traffic."""

    browser: Any
    traffic: Traffic = field(default_factory=Traffic)
    contexts: list[Any] = field(default_factory=list)

    def page(self, **options: Any) -> Any:
        """A new page; ``options`` are Playwright's context options (``viewport``, ``is_mobile``…)."""
        options.setdefault("viewport", {"width": 1366, "height": 900})
        context = self.browser.new_context(**options)
        self.contexts.append(context)
        traffic = self.traffic
        context.on("request", lambda request: traffic.urls.append(request.url))
        page = context.new_page()
        page.on("websocket", lambda socket: traffic.urls.append(socket.url))
        page.on(
            "console",
            lambda message: (
                traffic.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: traffic.page_errors.append(str(error)))

        def on_dialog(dialog: Any) -> None:
            traffic.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.set_default_timeout(TIMEOUT_MS)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def session(browser: Any) -> Iterator[Session]:
    """Pages in fresh browser contexts, recording every request they make."""
    made = Session(browser)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/artifacts/ (git-ignored): screenshots for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# -- socket.io-client -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def socketio_client_js(pytestconfig: pytest.Config) -> bytes:
    """``dist/socket.io.min.js`` of the socket.io-client npm package, fetched with ``npm pack``
    once and kept in pytest's cache directory."""
    cache = getattr(pytestconfig, "cache", None)  # None with -p no:cacheprovider
    folder = Path(cache.mkdir("socket.io-client")) if cache is not None else ARTIFACTS
    bundle = folder / "socket.io.min.js"
    if not bundle.is_file():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm is not installed (needed to fetch socket.io-client)")
        folder.mkdir(parents=True, exist_ok=True)
        try:
            packed = subprocess.run(
                [npm, "pack", SOCKET_IO_CLIENT, "--silent", "--pack-destination", str(folder)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            unavailable(f"npm pack {SOCKET_IO_CLIENT} timed out")
        if packed.returncode != 0:
            unavailable(f"npm pack {SOCKET_IO_CLIENT} failed: {packed.stderr.strip()[-500:]}")
        tarball = folder / packed.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as archive:
            member = archive.extractfile("package/dist/socket.io.min.js")
            assert member is not None, f"{tarball} has no dist/socket.io.min.js"
            bundle.write_bytes(member.read())
        tarball.unlink()
    return bundle.read_bytes()
