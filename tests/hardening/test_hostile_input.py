"""Hostile input over real websockets: whatever a client sends is answered through the error path or
refused by the transport; never a crash, a hang, or a RecursionError in a worker."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from asynction.exceptions import MessageAckValidationException, PayloadValidationException
from asynction.server import AsynctionSocketIO
from tests.hardening.conftest import (
    CALL_TIMEOUT,
    Clients,
    hardened_app,
    raw_call,
    records,
    wait_until,
)
from tests.hardening.fixtures import handlers
from tests.live import LiveServer, ServerProcess, oversize_polling_post, serve, server_process

Live = tuple[LiveServer, AsynctionSocketIO]
DEEP = 100_000


def _error(rule: str, path: str = "$") -> dict[str, Any]:
    return {"error": "PayloadValidationException", "path": path, "rule": rule}


@pytest.fixture
def no_recursion_errors(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.DEBUG)
    yield caplog
    for record in caplog.records:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        assert "recursion" not in text.lower(), text
        if record.exc_info:
            assert not isinstance(record.exc_info[1], RecursionError)


# -- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("echo", "[" * DEEP + "]" * DEEP),
        ("anything", "[" * DEEP + "]" * DEEP),
        ("anything", '{"a":' * DEEP + "1" + "}" * DEEP),
        # 40 000 levels: 100 000 of these would pass max_http_buffer_size (1 MB)
        ("tree", '{"children":[' * 40_000 + "]}" * 40_000),
    ],
    ids=["declared-object", "any-json", "nested-objects", "recursive-schema"],
)
def test_data_nested_100000_deep_takes_the_error_path(
    hardened: Live, clients: Clients, no_recursion_errors: Any, event: str, data: str
) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    ack = raw_call(client, f'2["{event}",{data}]')
    assert ack == [_error("depth")]
    assert handlers.entries(event) == []
    assert client.call("echo", {"text": "after"}, timeout=CALL_TIMEOUT) == {"text": "after"}


def test_nesting_within_the_limits_is_served(hardened: Live, clients: Clients) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    value: Any = []
    for _ in range(200):
        value = [value]
    assert client.call("anything", value, timeout=CALL_TIMEOUT) == {"types": ["list"]}
    tree: Any = {"children": []}
    for _ in range(200):
        tree = {"children": [tree]}
    assert client.call("tree", tree, timeout=CALL_TIMEOUT) == {"types": ["dict"]}
    assert client.call("tree", {"children": [{"children": 5}]}, timeout=CALL_TIMEOUT) == _error(
        "type", "$.children[0].children"
    )


def test_deep_data_without_error_handler_is_logged_once(
    hardened: Live, clients: Clients, no_recursion_errors: pytest.LogCaptureFixture
) -> None:
    live, _ = hardened
    client = clients.connect(live.url, ("/plain",))
    client.eio.send('2/plain,["anything",' + "[" * DEEP + "]" * DEEP + "]")
    assert wait_until(lambda: bool(records(no_recursion_errors)))
    assert client.call("echo", {"text": "x"}, namespace="/plain", timeout=CALL_TIMEOUT) == {
        "text": "x"
    }
    [record] = records(no_recursion_errors)
    assert "namespace '/plain', event 'anything' at $: invalid payload: data nested too deeply" in (
        record.getMessage()
    )


@pytest.mark.parametrize(
    "packet",
    [
        "[" * DEEP,  # an Engine.IO message that is not Socket.IO at all
        "2" + "[" * DEEP + "]" * DEEP,  # no event name to answer
        '2["x"',
        "2{}",
        "2[]",
        '2[["a"]]',
        "2[1]",
        '2"text"',
        "2",
        "9",
        "2-99999999999[]",
    ],
)
def test_malformed_packets_never_break_the_connection(
    hardened: Live, clients: Clients, no_recursion_errors: Any, packet: str
) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    client.eio.send(packet)
    assert client.call("echo", {"text": "after"}, timeout=CALL_TIMEOUT) == {"text": "after"}
    assert client.connected


# -- not JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("echo", '{"text": "a", "count": NaN}'),
        ("echo", '{"text": "a", "count": Infinity}'),
        ("anything", "-Infinity"),
        ("anything", '{"deep": [1, 2, {"x": NaN}]}'),
        ("echo", '{"text": "a", "count": ' + "9" * 101 + "}"),
        ("echo", '{1: "a"}'),
        ("anything", "{'single': 'quotes'}"),
        ("anything", '"unterminated'),
    ],
)
def test_data_that_is_not_json_takes_the_error_path(
    hardened: Live, clients: Clients, event: str, data: str
) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    assert raw_call(client, f'2["{event}",{data}]') == [_error("json")]
    assert handlers.entries(event) == []


@pytest.mark.parametrize(
    ("event", "args", "path"),
    [
        ("echo", (b"raw",), "$"),
        ("echo", ({"text": b"raw"},), "$"),
        ("anything", ({"a": [1, {"b": b"hidden"}]},), "$"),
        ("anything", ("x", bytearray(b"second")), "$"),
    ],
)
def test_binary_where_json_is_declared_takes_the_error_path(
    hardened: Live, clients: Clients, event: str, args: tuple[Any, ...], path: str
) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    ack = client.call(event, args if len(args) > 1 else args[0], timeout=CALL_TIMEOUT)
    assert ack == _error("json", path)
    assert handlers.entries(event) == []
    [(_, error)] = handlers.entries("error")
    assert "binary data at $[0]" in str(error) or "binary data at $[1]" in str(error)


def test_binary_is_served_where_the_content_type_is_not_json(
    hardened: Live, clients: Clients
) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    assert client.call("blob", b"\x00\x01raw", timeout=CALL_TIMEOUT) == {"types": ["bytes"]}
    assert client.call("bytes", {"raw": b"\x02"}, timeout=CALL_TIMEOUT) == {"types": ["dict"]}
    assert handlers.entries("anything") == [
        ("anything", (b"\x00\x01raw",)),
        ("anything", ({"raw": b"\x02"},)),
    ]


def test_huge_arrays(hardened: Live, clients: Clients) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    values = list(range(100_000))  # ~600 kB of JSON
    assert client.call("numbers", values, timeout=CALL_TIMEOUT) == sum(values)
    assert client.call("numbers", [*values[:-1], "x"], timeout=CALL_TIMEOUT) == _error(
        "type", "$[99999]"
    )
    assert client.call("anything", [[]] * 50_000, timeout=CALL_TIMEOUT) == {"types": ["list"]}


# -- sizes beyond max_http_buffer_size --------------------------------------------------------------


@pytest.fixture(scope="module")
def small_buffer() -> Any:
    app, sio = hardened_app(max_http_buffer_size=64_000)
    with serve(app) as live:
        yield live, sio


def test_websocket_messages_beyond_the_buffer_size_are_refused_by_the_transport(
    small_buffer: Live, clients: Clients, no_recursion_errors: Any
) -> None:
    live, sio = small_buffer
    bystander = clients.connect(live.url)
    for attempt in range(8):  # each refusal closes the connection; none may hang the server
        sender = clients.connect(live.url)
        gone = threading.Event()
        sender.on("disconnect", lambda *_, gone=gone: gone.set())
        assert sender.call("echo", {"text": "x" * 60_000}, timeout=CALL_TIMEOUT) == {
            "text": "x" * 60_000
        }
        sid = sender.get_sid("/")
        sender.emit("echo", {"text": "x" * 70_000})
        assert gone.wait(CALL_TIMEOUT), f"attempt {attempt}: the connection was not closed"
        assert wait_until(lambda sid=sid: not sio.server.manager.is_connected(sid, "/"))
    assert handlers.entries("echo") == [("echo", {"text": "x" * 60_000})] * 8
    assert bystander.call("echo", {"text": "fine"}, timeout=CALL_TIMEOUT) == {"text": "fine"}


@pytest.fixture(scope="module")
def hardened_process() -> Iterator[ServerProcess]:
    """hardened.yaml served by a process of its own."""
    with server_process("tests.hardening.serve_hardened") as running:
        yield running


def test_fifty_megabytes_are_refused_by_the_transport(
    hardened_process: ServerProcess, clients: Clients
) -> None:
    url = hardened_process.url
    sender, bystander = clients.connect(url), clients.connect(url)
    assert bystander.call("echo", {"text": "warm"}, timeout=CALL_TIMEOUT) == {"text": "warm"}
    peak_before = hardened_process.memory_kb("VmHWM")
    gone = threading.Event()
    sender.on("disconnect", lambda *_: gone.set())
    sender.emit("echo", {"text": "x" * 50_000_000})
    assert gone.wait(60)
    assert bystander.call("echo", {"text": "fine"}, timeout=CALL_TIMEOUT) == {"text": "fine"}
    # refused as it arrived: the server never held the 50 MB message (max_http_buffer_size is 1 MB)
    assert hardened_process.memory_kb("VmHWM") - peak_before < 20_000


def test_polling_posts_beyond_the_buffer_size_are_refused(small_buffer: Live) -> None:
    live, _ = small_buffer
    assert oversize_polling_post(live.url, 70_000) == 413
    assert handlers.entries("echo") == []


# -- acks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_answer", "reason"),
    [
        ('[{"answer": "forty-two"}]', "is not of type"),
        ('[{"answer": NaN}]', "NaN is not a JSON number"),
        ('[{"answer": ' + "[" * DEEP + "]" * DEEP + "}]", "nested too deeply"),
        ("[{1: 2}]", "not valid JSON"),
    ],
)
def test_wrong_acks_from_clients_go_to_the_error_handler(
    hardened: Live, clients: Clients, raw_answer: str, reason: str
) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    asked = threading.Event()
    ack_ids: list[int] = []

    def on_packet(packet: Any) -> None:  # the server's question, with its ack id
        ack_ids.append(packet.id)
        asked.set()

    original = client._handle_event

    def handle_event(namespace: str, id: int, data: Any) -> None:
        if data and data[0] == "question":
            on_packet(type("P", (), {"id": id})())
            return
        original(namespace, id, data)

    client._handle_event = handle_event  # type: ignore[method-assign]
    client.emit("ask", "meaning?")
    assert asked.wait(CALL_TIMEOUT)
    client.eio.send(f"3{ack_ids[0]}{raw_answer}")
    [(_, error)] = handlers.wait_for("error")
    assert isinstance(error, MessageAckValidationException)
    assert reason in str(error)
    assert handlers.entries("answer") == []
    assert client.call("echo", {"text": "after"}, timeout=CALL_TIMEOUT) == {"text": "after"}


def test_server_call_refuses_a_wrong_ack(hardened: Live, clients: Clients) -> None:
    live, sio = hardened
    client = clients.connect(live.url)
    client.on("question", lambda question: {"answer": float("inf")})
    with pytest.raises(MessageAckValidationException):
        sio.call("question", "q", to=client.get_sid("/"), timeout=CALL_TIMEOUT)
    client.on("question", lambda question: {"answer": 42})
    assert sio.call("question", "q", to=client.get_sid("/"), timeout=CALL_TIMEOUT) == {"answer": 42}


def test_a_handler_acking_non_string_keys_takes_the_error_path(
    hardened: Live, clients: Clients
) -> None:
    live, _ = hardened
    client = clients.connect(live.url)
    assert client.call("int_keys", "x", timeout=CALL_TIMEOUT) == {
        "error": "MessageAckValidationException",
        "path": "$",
        "rule": "json",
    }


@pytest.mark.parametrize(
    "payload", [{1: "x"}, float("nan"), [b"bytes"], {"a": float("-inf")}], ids=repr
)
def test_server_emits_of_non_json_are_refused_before_sending(hardened: Live, payload: Any) -> None:
    _, sio = hardened
    with pytest.raises(PayloadValidationException) as refused:
        sio.emit("notice", payload)
    assert refused.value.rule in ("json", "type")


# -- connect --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    ["{" * DEEP + "}" * DEEP, '{"token": NaN}', "{bad json", '"' + "x" * 100],
    ids=["deep", "nan", "malformed", "unterminated"],
)
def test_connect_payloads_that_are_not_json_are_refused(
    hardened: Live, no_recursion_errors: Any, auth: str
) -> None:
    live, _ = hardened
    # the Socket.IO handshake by hand: Engine.IO OPEN, then a CONNECT packet carrying `auth`
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{live.port}/socket.io/?EIO=4&transport=websocket", timeout=CALL_TIMEOUT
    )
    try:
        assert ws.recv().startswith("0{")
        ws.send("40" + auth)
        reply = ws.recv()
        assert reply.startswith("44"), reply  # CONNECT_ERROR
        assert json.loads(reply[2:])["message"].startswith("invalid auth payload")
    finally:
        ws.close(timeout=0.1)
