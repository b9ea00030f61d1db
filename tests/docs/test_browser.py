"""The docs page in headless Chromium, served by a live asynction server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flask
import pytest

from asynction.docs import make_docs_blueprint
from asynction.docs.page import render_page
from asynction.server import AsynctionSocketIO
from asynction.spec import load_spec
from tests.docs.conftest import CHAT_SPEC, SPECS, Session, serve

pytestmark = pytest.mark.timeout(90)

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def chat_docs_url() -> Iterator[str]:
    """The chat example served by AsynctionSocketIO (docs on), at ``…/docs``."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "chat_app"))
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(CHAT_SPEC, app=app, async_mode="threading", docs=True)
    try:
        with serve(app) as url:
            yield f"{url}/docs"
    finally:
        monkeypatch.undo()


@pytest.fixture(scope="module")
def probe_docs_url() -> Iterator[str]:
    """The XSS probe spec's page, from the docs blueprint alone (the probe has no handlers)."""
    app = flask.Flask(__name__)
    app.register_blueprint(make_docs_blueprint(load_spec(SPECS / "xss.yaml")))
    with serve(app) as url:
        yield f"{url}/docs"


def test_the_page_renders_and_stays_on_this_machine(
    session: Session, chat_docs_url: str, artifacts: Path
) -> None:
    page = session.page(viewport=WIDE)
    response = page.goto(chat_docs_url, wait_until="load")
    assert response is not None
    assert response.status == 200
    assert page.title() == "Chat 1.0.0 · API documentation"
    assert page.locator("main h1").inner_text() == "Chat"
    assert page.locator(".ns-title code").all_inner_texts() == ["/chat"]
    names = page.locator("article.event .event-name").all_inner_texts()
    assert names == [
        "join room",
        "send message",
        "typing",
        "new message",
        "user joined",
        "user typing",
    ]
    assert page.locator("article.event.incoming").count() == 3
    assert (
        page.locator("#ns-chat-in-send-message .example pre.json")
        .first.inner_text()
        .count("Hello!")
        == 1
    )
    page.screenshot(path=str(artifacts / "docs-chat-wide.png"), full_page=True)

    # a sidebar link scrolls to its event
    page.locator(".sidebar a", has_text="user joined").click()
    assert page.evaluate("location.hash") == "#ns-chat-out-user-joined"
    top = page.evaluate(
        "document.getElementById('ns-chat-out-user-joined').getBoundingClientRect().top"
    )
    assert 0 <= top < 200

    # the JSON document is linked and served
    href = page.locator("a.download").get_attribute("href")
    assert href == "/docs/asyncapi.json"
    assert page.request.get(chat_docs_url + "/asyncapi.json").json()["info"]["title"] == "Chat"

    traffic = session.traffic
    assert traffic.urls, "no request was recorded"
    assert traffic.foreign() == []
    # a Content-Security-Policy violation (a blocked inline style or script) is a console error
    assert traffic.console_errors == []
    assert traffic.page_errors == []


def test_filter_box_narrows_the_contents(session: Session, chat_docs_url: str) -> None:
    page = session.page(viewport=WIDE)
    page.goto(chat_docs_url)
    box = page.locator("#nav-filter")
    assert box.is_visible()  # shown by the script, hidden without it
    box.fill("user")
    visible = [text for text in page.locator(".toc-event").all_inner_texts() if text.strip()]
    shown = page.locator(".toc-event:not(.hidden)").all_inner_texts()
    assert len(visible) == 6
    assert [text.strip().split(maxsplit=1)[1] for text in shown] == ["user joined", "user typing"]
    box.fill("")
    assert page.locator(".toc-event:not(.hidden)").count() == 6


def test_phone_layout_has_a_menu_and_no_sideways_scrolling(
    session: Session, chat_docs_url: str, artifacts: Path
) -> None:
    page = session.page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(chat_docs_url)
    assert not page.locator(".sidebar").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    page.screenshot(path=str(artifacts / "docs-chat-phone.png"))
    page.locator(".nav-button").click()
    assert page.locator(".sidebar").is_visible()
    page.screenshot(path=str(artifacts / "docs-chat-phone-menu.png"))
    page.locator(".sidebar a", has_text="send message").click()
    assert not page.locator(".sidebar").is_visible()  # choosing a link closes the menu
    assert page.evaluate("location.hash") == "#ns-chat-in-send-message"
    assert session.traffic.foreign() == []


def test_print_hides_navigation(session: Session, chat_docs_url: str, artifacts: Path) -> None:
    page = session.page(viewport=WIDE)
    page.goto(chat_docs_url)
    page.emulate_media(media="print")
    assert not page.locator(".sidebar").is_visible()
    assert not page.locator(".topbar").is_visible()
    assert page.locator("article.event").first.is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    (artifacts / "docs-chat.pdf").write_bytes(pdf)


def test_xss_probe_runs_no_script(session: Session, probe_docs_url: str, artifacts: Path) -> None:
    page = session.page(viewport=WIDE)
    page.goto(probe_docs_url, wait_until="load")
    # give any onerror/onload a chance to fire, then look
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert session.traffic.dialogs == []
    text = page.locator("main").inner_text()
    assert "<script>window.__xss=1</script>" in text
    assert "<img src=x onerror=window.__xss=1>" in text
    assert page.locator("main img, main svg, main iframe").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert not [href for href in hrefs if href.lower().startswith(("javascript:", "data:text"))]
    # hover and click everything that the probe hoped would react
    for element in page.locator("main .md").all()[:10]:
        element.hover()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.title().startswith("XSS probe </title><script>")
    page.screenshot(path=str(artifacts / "docs-xss-probe.png"), full_page=True)
    assert session.traffic.foreign() == []


def test_the_static_file_is_the_same_page(
    session: Session, tmp_path: Path, artifacts: Path
) -> None:
    target = tmp_path / "api.html"
    target.write_text(render_page(load_spec(SPECS / "showcase.yaml")), encoding="utf-8")
    page = session.page(viewport=WIDE)
    page.goto(target.as_uri())
    assert page.locator("main h1").inner_text() == "Showcase API"
    assert page.locator("a.download").count() == 0  # no server, no JSON link
    assert page.locator("article.event").count() == 7
    recursive = page.locator(".ref.recursive a").first
    recursive.click()
    assert page.evaluate("location.hash").startswith("#ns-documents-in-save-document-payload-def")
    page.screenshot(path=str(artifacts / "docs-showcase-wide.png"), full_page=True)
    phone = session.page(viewport=PHONE, is_mobile=True, device_scale_factor=2)
    phone.goto(target.as_uri())
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert session.traffic.urls == [target.as_uri(), target.as_uri()]
    assert session.traffic.console_errors == []
