"""The docs page without a browser: what it shows, that spec text stays inert, the blueprint route,
and ``asynction docs``."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import flask
import pytest

from asynction._templates import template_dir
from asynction.docs import make_docs_blueprint
from asynction.docs.examples import NoExample, generate_example
from asynction.docs.page import build_page, highlight_json, render_page
from asynction.exceptions import SpecError
from asynction.server import AsynctionSocketIO
from asynction.spec import load_spec
from asynction.spec.model import Api, Direction, Event, Namespace
from asynction.validation import CompiledSchema
from tests.docs.conftest import CHAT_SPEC, ROOT, SPECS

EXAMPLE_SPECS = sorted((ROOT / "generated_examples").glob("*/asyncapi.yaml"))
OFFICIAL_SPECS = sorted(
    path
    for path in (ROOT / "tests" / "spec" / "official").glob("*/*.yml")
    if path.parent.name != "invalid"
)


class Document(HTMLParser):
    """Every element of a page: tag, attributes, and the text inside ``<script>``/``<style>``."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self.text: list[str] = []
        self._in: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in self.raw:
            self._in = tag
            self.raw[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self.raw[self._in][-1] += data
        else:
            self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]

    def all_text(self) -> str:
        return "".join(self.text)


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture(scope="module")
def chat_html() -> str:
    return render_page(load_spec(CHAT_SPEC), json_url="/docs/asyncapi.json")


def test_template_dir_is_the_repositorys_templates_folder() -> None:
    assert template_dir() == ROOT / "templates"
    assert (template_dir() / "docs" / "page.html.j2").is_file()


def test_the_chat_page_shows_info_servers_namespaces_and_events(chat_html: str) -> None:
    document = Document(chat_html)
    text = document.all_text()
    assert "<title>Chat 1.0.0 · API documentation</title>" in chat_html
    assert "A small chat service: clients join rooms" in text
    assert "ws://127.0.0.1:5000/socket.io" in text
    assert "/chat" in text
    for event in ("join room", "send message", "typing", "new message", "user joined"):
        assert event in text
    assert "Events the client emits" in text
    assert "Events the server emits" in text
    # the example from the document, and a generated one for an event without examples
    assert '"Hello!"' in text
    assert '"sentAt": "2024-01-01T12:00:00Z"' in text
    # connect bindings: the query parameter and its constraints
    assert "username" in text
    assert "max length" in text
    # the sidebar links every event to its card
    all_ids = [attrs["id"] for _, attrs in document.elements if attrs.get("id")]
    ids = set(all_ids)
    links = [attrs["href"] for attrs in document.tags("a") if (attrs.get("href") or "")[:1] == "#"]
    assert links
    assert all(link[1:] in ids for link in links)
    assert len(ids) == len(all_ids)  # unique


def test_the_page_needs_nothing_from_outside(chat_html: str) -> None:
    document = Document(chat_html)
    for tag, attrs in document.elements:
        for name in ("src", "srcset", "poster", "data"):
            assert name not in attrs, f"<{tag} {name}=…> would fetch something"
        if tag == "link":
            assert attrs.get("href") == "data:,"  # the empty favicon, so none is requested
    policy = next(
        attrs["content"]
        for attrs in document.tags("meta")
        if attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert policy is not None
    assert "default-src 'none'" in policy
    # the inline style and script are allowed by their hashes, nothing else is
    [style] = document.raw["style"]
    [script] = document.raw["script"]
    assert f"style-src {csp_hash(style)}" in policy
    assert f"script-src {csp_hash(script)}" in policy
    assert "@import" not in style
    assert "url(" not in style


@pytest.fixture(scope="module")
def apis() -> list[tuple[str, Api]]:
    """Every example and official spec that loads (some official ones use features asynction
    refuses), and the showcase."""
    loaded = []
    for path in [*EXAMPLE_SPECS, *OFFICIAL_SPECS, SPECS / "showcase.yaml"]:
        try:
            loaded.append((f"{path.parent.name}/{path.name}", load_spec(path)))
        except SpecError:
            continue
    assert len(loaded) > 20
    return loaded


def test_every_spec_renders(apis: list[tuple[str, Api]]) -> None:
    for name, api in apis:
        page = build_page(api)
        html = render_page(api)
        assert api.title in Document(html).all_text(), name
        for namespace_view, namespace in zip(page.namespaces, api.namespaces, strict=True):
            views = (*namespace_view.incoming, *namespace_view.outgoing)
            events = (*namespace.incoming, *namespace.outgoing)
            assert [view.name for view in views] == [event.name for event in events]


def test_generated_examples_match_their_schemas(apis: list[tuple[str, Api]]) -> None:
    checked = 0
    failed = set()
    for name, api in apis:
        for namespace in api.namespaces:
            schemas = [
                schema
                for event in (*namespace.incoming, *namespace.outgoing)
                for schema in (event.payload, event.ack)
                if schema is not None
            ]
            if namespace.bindings is not None:
                schemas += [s for s in (namespace.bindings.query, namespace.bindings.headers) if s]
            for schema in schemas:
                try:
                    value = generate_example(schema)
                except NoExample:
                    failed.add(name)
                    continue
                assert CompiledSchema(schema).is_valid(value), (name, schema, value)
                assert generate_example(schema) == value  # deterministic
                checked += 1
    assert checked > 40
    # its two oneOf options accept each other's objects: only a value neither would make
    # (``{"key": 5}``) matches exactly one of them
    assert failed <= {"2.5.0/oneof.yml"}


def test_showcase_shows_every_kind_of_schema_piece() -> None:
    api = load_spec(SPECS / "showcase.yaml")
    page = build_page(api)
    documents = next(ns for ns in page.namespaces if ns.name == "/documents")
    events = {event.name: event for event in (*documents.incoming, *documents.outgoing)}

    save = events["save document"]
    assert save.payload is not None
    rows = {row.name: row for row in save.payload.table.rows}
    assert rows["root"].ref == "Node"
    recursive = [row for row in save.payload.table.rows if row.recursive]
    assert [row.ref for row in recursive] == ["Node"]
    assert recursive[0].ref_anchor == rows["root"].anchor  # links back to the expansion
    assert rows["status"].constraints[0].label == "enum"
    assert rows["status"].constraints[0].values == ('"draft"', '"published"', '"archived"')
    assert rows["id"].required
    assert not rows["status"].required
    assert save.security is not None
    assert [[(use.name, use.scopes) for use in req] for req in save.security] == [
        [("oauth", ("docs:write",))]
    ]

    move = events["move"]
    assert move.deprecated
    assert move.payload is not None
    assert move.payload.shape.startswith("Positional arguments")
    assert [row.name for row in move.payload.table.rows] == [
        "argument 1",
        "argument 2",
        "argument 3",
    ]

    search = events["search"]
    assert search.payload is not None
    names = [row.name for row in search.payload.table.rows]
    assert names[:5] == ["query", "any of #1", "any of #2", "field", "equals"]
    assert search.payload.table.rows[0].type == "any of"

    changed = events["document changed"]
    assert changed.payload is not None
    assert changed.payload.table.type == "all of"
    assert changed.payload.example_source == "generated"

    notice = events["notice"]
    assert notice.payload is not None
    assert "(any other key)" in [row.name for row in notice.payload.table.rows]

    # connect bindings, security: explicit on /documents, inherited on /, public on /status
    assert documents.bindings is not None
    assert documents.bindings.method == "GET"
    assert documents.security.mode == "explicit"
    root = next(ns for ns in page.namespaces if ns.name == "/")
    assert root.security.mode == "inherited"
    assert [name for name, _ in root.security.servers] == ["production"]
    status = next(ns for ns in page.namespaces if ns.name == "/status")
    assert status.security.mode == "public"
    assert '"tenant": "acme"' in documents.connect_snippet
    assert '"token": "…"' in documents.connect_snippet
    assert 'path: "/events/socket.io"' in documents.connect_snippet


def test_spec_text_is_inert() -> None:
    html = render_page(load_spec(SPECS / "xss.yaml"), json_url="/docs/asyncapi.json")
    document = Document(html)
    # one script: ours; no spec text in it or in the style
    assert len(document.raw["script"]) == 1
    assert "__xss" not in document.raw["script"][0]
    assert "__xss" not in document.raw["style"][0]
    for tag, attrs in document.elements:
        assert tag not in ("img", "svg", "iframe", "object", "embed", "form"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name == "href":
                assert value is not None
                assert re.match(r"(https?:|mailto:|#|/|\.|data:,$|[^:]*$)", value), value
            if value and name not in ("id", "href", "content"):
                assert "__xss" not in value, (tag, name, value)
    text = document.all_text()
    # the markup shows as text
    assert "<script>window.__xss=1</script>" in text
    assert "<img src=x onerror=window.__xss=1>" in text
    assert "[javascript link](javascript:window.__xss=1)" in text


def test_markdown_is_rendered_safely() -> None:
    from asynction.docs.markdown import is_safe_link, render_markdown

    html = str(
        render_markdown(
            "# Title\n\n**bold** <b>raw</b> [ok](https://a.example/x) ![i](https://t.example/p.png)"
        )
    )
    assert "<h4>Title</h4>" in html
    assert "<strong>bold</strong>" in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html
    assert '<a href="https://a.example/x" rel="nofollow noopener noreferrer">ok</a>' in html
    assert "<img" not in html
    for url in (
        "https://x.example",
        "http://x",
        "mailto:a@b.c",
        "/rel",
        "../up",
        "#frag",
        "page?x=1:2",
    ):
        assert is_safe_link(url), url
    for url in (
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "java%09script:x",
        "file:///etc/passwd",
    ):
        assert not is_safe_link(url), url


def test_highlight_json_escapes() -> None:
    html = str(highlight_json({"<k>": "</pre><script>", "n": [1, -2.5e3, True, None]}))
    assert "<script>" not in html
    assert '<span class="j-key">&#34;&lt;k&gt;&#34;</span>' in html
    assert '<span class="j-number">-2500.0</span>' in html
    assert '<span class="j-literal">true</span>' in html


def test_a_hand_built_api_renders() -> None:
    api = Api(
        title="Hand made",
        version="0",
        namespaces=(
            Namespace(
                "/",
                incoming=(Event("hello", Direction.INCOMING, None),),
                outgoing=(
                    Event(
                        "tuple",
                        Direction.OUTGOING,
                        {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
                    ),
                ),
            ),
        ),
    )
    text = Document(render_page(api)).all_text()
    assert "No payload schema: the arguments are not validated." in text
    assert "argument 1" in text
    assert "no further items" in text


# -- the blueprint ------------------------------------------------------------------------------


def test_the_server_serves_the_page_beside_the_json(chat_handlers_path: None) -> None:
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(CHAT_SPEC, app=app, async_mode="threading", path="events/socket.io")
    client = app.test_client()
    response = client.get("/events/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert 'href="/events/docs/asyncapi.json"' in html
    assert client.get("/events/docs/").data == response.data
    assert client.get("/events/docs").data == response.data  # rendered once, served again
    assert client.get("/events/docs/asyncapi.json").status_code == 200
    assert client.get("/docs").status_code == 404


def test_docs_false_removes_both_routes(chat_handlers_path: None) -> None:
    app = flask.Flask(__name__)
    AsynctionSocketIO.from_spec(CHAT_SPEC, app=app, async_mode="threading", docs=False)
    client = app.test_client()
    assert client.get("/docs").status_code == 404
    assert client.get("/docs/asyncapi.json").status_code == 404


def test_the_json_link_follows_the_script_root() -> None:
    app = flask.Flask(__name__)
    app.register_blueprint(make_docs_blueprint(load_spec(SPECS / "vault.yaml"), "/api"))
    client = app.test_client()
    html = client.get("/api/docs", environ_overrides={"SCRIPT_NAME": "/mounted"}).get_data(
        as_text=True
    )
    assert 'href="/mounted/api/docs/asyncapi.json"' in html
    plain = client.get("/api/docs").get_data(as_text=True)
    assert 'href="/api/docs/asyncapi.json"' in plain


# -- the command line ---------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asynction", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_cli_writes_the_same_page_as_one_file(tmp_path: Path) -> None:
    out = tmp_path / "api.html"
    result = run_cli("docs", str(SPECS / "showcase.yaml"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    assert out.read_text(encoding="utf-8") == render_page(load_spec(SPECS / "showcase.yaml"))


def test_cli_prints_the_page_without_output(tmp_path: Path) -> None:
    result = run_cli("docs", str(CHAT_SPEC))
    assert result.returncode == 0, result.stderr
    assert result.stdout == render_page(load_spec(CHAT_SPEC))


def test_cli_reports_a_broken_spec(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("asyncapi: 2.6.0\ninfo: {version: 1}\nchannels: {}\n")
    result = run_cli("docs", str(broken), "-o", str(tmp_path / "out.html"))
    assert result.returncode == 1
    assert "broken.yaml" in result.stderr
    assert not (tmp_path / "out.html").exists()
