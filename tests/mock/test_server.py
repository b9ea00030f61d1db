"""MockAsynctionSocketIO in process: Flask-SocketIO's test client, and the subscription workers."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import flask
import pytest
from flask_socketio import SocketIOTestClient

from asynction import MockAsynctionSocketIO
from asynction.exceptions import PayloadValidationException, SecurityException, SpecError
from asynction.mock.scheduler import Subscriptions, SubscriptionTask
from asynction.spec import load_spec
from tests.mock.conftest import (
    CHAT_SPEC,
    CHAT_V3_SPEC,
    HARD_SPEC,
    ROOT,
    events_of,
    validator,
    wait_until,
)

SECURED_SPEC = ROOT / "tests" / "fixtures" / "security" / "secured.yaml"


def mock_app(spec: Any, **kwargs: Any) -> tuple[flask.Flask, MockAsynctionSocketIO]:
    app = flask.Flask(__name__)
    kwargs.setdefault("async_mode", "threading")
    mock = MockAsynctionSocketIO.from_spec(spec, app=app, **kwargs)
    return app, mock


def chat_client(app: flask.Flask, mock: MockAsynctionSocketIO) -> SocketIOTestClient:
    return mock.test_client(app, namespace="/chat", query_string="username=ann")


# -- incoming events ------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [CHAT_SPEC, CHAT_V3_SPEC], ids=["2.6", "3.0"])
def test_every_incoming_event_gets_a_valid_fake_ack_without_importing_handlers(
    spec: Path,
) -> None:
    # The chat specs name handlers in a module that does not exist (chat_handlers): the mock
    # imports none.
    app, mock = mock_app(spec, seed=1)
    client = chat_client(app, mock)
    api = mock.spec
    payloads = mock.fake_data
    for namespace, event in events_of(api):
        if event not in api.namespace(namespace).incoming:  # type: ignore[union-attr]
            continue
        payload = payloads.payload(namespace, event)
        assert payload is not None
        ack = client.emit(event.name, *payload, namespace=namespace, callback=True)
        if event.ack is None:
            assert not ack  # an empty ack
        else:
            validator(namespace, event, "ack").validate(ack if isinstance(ack, tuple) else (ack,))


def test_tuple_acks_are_several_ack_arguments() -> None:
    app, mock = mock_app(HARD_SPEC, seed=2)
    client = mock.test_client(app, namespace="/people")
    # the test client gives several ack arguments as a list (over the wire: tests/mock/test_cli)
    ack = client.emit("locate", "ABC", namespace="/people", callback=True)
    assert isinstance(ack, list)
    assert len(ack) == 3
    assert isinstance(ack[0], float)
    assert isinstance(ack[2], str)
    assert client.emit("ping", namespace="/people", callback=True) == "pong"


def test_a_bad_payload_reaches_the_error_path_and_the_mock_keeps_serving() -> None:
    seen: list[Exception] = []

    def on_error(error: Exception) -> Any:
        seen.append(error)
        return {"error": type(error).__name__}

    app, mock = mock_app(CHAT_SPEC, seed=3, default_error_handler=on_error)
    client = chat_client(app, mock)
    bad = client.emit("join room", {"room": "Not A Room!"}, namespace="/chat", callback=True)
    assert bad == {"error": "PayloadValidationException"}
    assert isinstance(seen[0], PayloadValidationException)
    assert seen[0].path == "$.room"
    assert seen[0].rule == "pattern"
    good = client.emit("join room", {"room": "lobby"}, namespace="/chat", callback=True)
    assert set(good) == {"room", "members"}


def test_an_ack_no_valid_value_can_be_made_for_is_not_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = {
        "asyncapi": "2.6.0",
        "info": {"title": "T", "version": "1"},
        "channels": {
            "/": {
                "publish": {
                    "message": {
                        "name": "ask",
                        "payload": {"type": "string"},
                        "x-ack": {"args": {"type": "string", "minLength": 5, "maxLength": 2}},
                    }
                }
            }
        },
    }
    app, mock = mock_app(document)
    client = mock.test_client(app)
    with caplog.at_level(logging.WARNING):
        # the test client says None for no ack at all ([] for an ack without arguments)
        assert client.emit("ask", "hi", callback=True) is None
        assert client.emit("ask", "hi", callback=True) is None
    assert [record.getMessage() for record in caplog.records if "ack" in record.getMessage()] == [
        "namespace '/', event 'ask': no valid fake ack can be made from its schema "
        "(<mapping>#/channels/~1/publish/message); it is skipped"
    ]


def test_without_validation_bad_payloads_are_answered_too() -> None:
    app, mock = mock_app(CHAT_SPEC, seed=3, validation=False)
    client = mock.test_client(app, namespace="/chat")  # no query binding checked either
    assert client.is_connected("/chat")
    ack = client.emit("join room", {"room": 42}, namespace="/chat", callback=True)
    assert set(ack) == {"room", "members"}


def test_connect_bindings_are_enforced() -> None:
    app, mock = mock_app(CHAT_SPEC)
    refused = mock.test_client(app, namespace="/chat")  # the username query is required
    assert not refused.is_connected("/chat")
    assert mock.test_client(app, namespace="/chat", query_string="username=ann").is_connected(
        "/chat"
    )


def test_security_is_enforced_at_connect_and_per_event() -> None:
    app, mock = mock_app(SECURED_SPEC, seed=4)
    assert not mock.test_client(app, namespace="/chat").is_connected("/chat")
    reader = mock.test_client(app, namespace="/chat", auth={"token": "reader"})
    writer = mock.test_client(app, namespace="/chat", auth={"token": "writer"})
    assert reader.is_connected("/chat")
    assert writer.is_connected("/chat")
    # `say` needs chat:write: the reader gets the error path (no error handler: refused)
    with pytest.raises(SecurityException):
        reader.emit("say", "hello", namespace="/chat", callback=True)
    ack = writer.emit("say", "hello", namespace="/chat", callback=True)
    assert isinstance(ack, str)


def test_security_info_functions_must_import(tmp_path: Path) -> None:
    spec = load_spec(SECURED_SPEC).document
    broken = {
        **spec,
        "components": {
            **spec["components"],
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "x-bearerInfoFunc": "no_such_module.info",
                }
            },
        },
        "servers": {
            "production": {
                "url": "ws://127.0.0.1/socket.io",
                "protocol": "ws",
                "security": [{"bearer": []}],
            }
        },
        "channels": {
            "/": {"publish": {"message": {"name": "ping", "payload": {"type": "string"}}}}
        },
    }
    with pytest.raises(SpecError, match=r"no_such_module\.info"):
        mock_app(broken)


# -- outgoing events ------------------------------------------------------------------------


def _received(client: SocketIOTestClient, namespace: str) -> list[dict[str, Any]]:
    return list(client.get_received(namespace))


def test_every_outgoing_event_is_broadcast_with_valid_fake_data() -> None:
    app, mock = mock_app(CHAT_SPEC, seed=5)
    first, second = chat_client(app, mock), chat_client(app, mock)
    mock.start_subscription_tasks(subscription_task_interval=0.05, max_worker_number=8)
    try:
        packets: list[dict[str, Any]] = []
        names = {event.name for event in mock.spec.namespace("/chat").outgoing}  # type: ignore[union-attr]

        def every_event_seen() -> bool:
            packets.extend(_received(first, "/chat"))
            return {packet["name"] for packet in packets} >= names

        assert wait_until(every_event_seen)
    finally:
        mock.stop_subscription_tasks()
    outgoing = {event.name: event for event in mock.spec.namespace("/chat").outgoing}  # type: ignore[union-attr]
    for packet in packets:
        validator("/chat", outgoing[packet["name"]], "payload").validate(tuple(packet["args"]))
    # a broadcast: the second client got the same stream
    assert {packet["name"] for packet in _received(second, "/chat")} >= names


def test_tuple_payloads_are_emitted_as_positional_arguments() -> None:
    app, mock = mock_app(HARD_SPEC, seed=6)
    client = mock.test_client(app, namespace="/people")
    mock.start_subscription_tasks(0.05, 4)
    try:
        positions: list[list[Any]] = []

        def got_position() -> bool:
            positions.extend(
                packet["args"]
                for packet in _received(client, "/people")
                if packet["name"] == "position"
            )
            return bool(positions)

        assert wait_until(got_position)
    finally:
        mock.stop_subscription_tasks()
    assert len(positions[0]) == 4


def test_an_impossible_event_is_never_sent(caplog: pytest.LogCaptureFixture) -> None:
    app, mock = mock_app(HARD_SPEC, seed=7)
    client = mock.test_client(app, namespace="/people")
    with caplog.at_level(logging.WARNING):
        mock.start_subscription_tasks(0.02, 8)
        try:
            seen: set[str] = set()

            def many_rounds() -> bool:
                seen.update(packet["name"] for packet in _received(client, "/people"))
                return mock.fake_data._slots and all(
                    slot.count >= 3 for slot in mock.fake_data._slots.values()
                )

            assert wait_until(many_rounds)
        finally:
            mock.stop_subscription_tasks()
    assert "impossible" not in seen
    assert "person" in seen
    assert sum("'impossible'" in record.getMessage() for record in caplog.records) == 1


def test_no_clients_no_emits_and_no_busy_workers() -> None:
    app, mock = mock_app(CHAT_SPEC, seed=8)
    subscriptions = mock.start_subscription_tasks(0.01, 3)
    try:
        assert subscriptions.worker_count == 3
        started = time.process_time()
        threading.Event().wait(0.3)
        spent = time.process_time() - started
        assert mock.fake_data._slots == {}  # nothing generated, nothing emitted
        assert spent < 0.1  # the workers sleep on an event (a busy loop spends ~0.3 s)
        client = chat_client(app, mock)
        assert wait_until(lambda: bool(_received(client, "/chat")))
    finally:
        mock.stop_subscription_tasks()


def test_a_spec_with_nothing_to_emit_starts_no_worker() -> None:
    api = load_spec(
        {
            "asyncapi": "2.6.0",
            "info": {"title": "Quiet", "version": "1"},
            "channels": {
                "/": {"publish": {"message": {"name": "in", "payload": {"type": "string"}}}}
            },
        }
    )
    _app, mock = mock_app(api)
    before = threading.active_count()
    subscriptions = mock.start_subscription_tasks(0.01, 8)
    assert subscriptions.worker_count == 0
    assert threading.active_count() == before
    mock.stop_subscription_tasks()


def test_workers_are_bounded_and_stop_cleanly() -> None:
    app, mock = mock_app(HARD_SPEC, seed=9)
    client = mock.test_client(app, namespace="/people")
    subscriptions = mock.start_subscription_tasks(0.05, 2)
    assert len(subscriptions.tasks) == 16
    assert subscriptions.worker_count == 2
    workers = list(subscriptions._workers)
    assert len(workers) == 2
    assert wait_until(lambda: bool(_received(client, "/people")))
    mock.stop_subscription_tasks(timeout=5)
    assert not any(worker.is_alive() for worker in workers)
    assert mock.subscriptions is None


class _Threads:
    """Starts background tasks as threads (what SocketIO.start_background_task does)."""

    def start_background_task(self, target: Any, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        return thread


def test_a_failing_task_is_logged_and_its_worker_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[str] = []

    def fail() -> None:
        runs.append("fail")
        raise RuntimeError("boom")

    def count() -> None:
        runs.append("count")

    subscriptions = Subscriptions(
        [SubscriptionTask("/", "fails", fail), SubscriptionTask("/", "counts", count)],
        interval=0.02,
        max_workers=1,
        runtime=_Threads(),
        new_event=threading.Event,
        has_clients=lambda namespace: True,
    )
    subscriptions.clients_changed(True)
    with caplog.at_level(logging.ERROR, logger="asynction.mock.scheduler"):
        subscriptions.start()
        try:
            assert wait_until(lambda: runs.count("count") >= 3 and runs.count("fail") >= 3)
        finally:
            subscriptions.stop()
    failures = [record for record in caplog.records if "'fails'" in record.getMessage()]
    assert failures
    assert failures[0].exc_info is not None


def test_subscriptions_refuse_nonsense_settings() -> None:
    for interval, workers in ((0, 1), (-1.0, 1), (1.0, 0)):
        with pytest.raises(ValueError, match=r"subscription_task_interval|max_worker_number"):
            Subscriptions(
                [],
                interval=interval,
                max_workers=workers,
                runtime=_Threads(),
                new_event=threading.Event,
                has_clients=lambda namespace: True,
            )


def test_subscription_tasks_need_an_app() -> None:
    mock = MockAsynctionSocketIO.from_spec(CHAT_SPEC)
    with pytest.raises(RuntimeError, match="no app"):
        mock.start_subscription_tasks()


def test_seed_api_signature_and_docs() -> None:
    app, mock = mock_app(CHAT_SPEC, custom_formats_sample_size=3, seed=10)
    assert mock.custom_formats_sample_size == 3
    assert mock.fake_data.seed == 10
    response = app.test_client().get("/docs/asyncapi.json")
    assert response.status_code == 200
    assert response.get_json()["info"]["title"] == "Chat"
