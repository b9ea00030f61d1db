"""Schemas jsonschema_rs refuses fail ``from_spec`` (and ``asynction check``), all of them at once,
located in the document; never the first message that needs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import flask
import jsonschema_rs
import pytest
import yaml

from asynction.exceptions import SpecError, SpecLocation
from asynction.server import AsynctionSocketIO
from tests.fixtures.server import handlers

H = "tests.fixtures.server.handlers"


def spec_2(
    *,
    say: Any = None,
    said: Any = None,
    ack: Any = None,
    query: Any = None,
    headers: Any = None,
) -> dict[str, Any]:
    """A 2.6 document: incoming ``say`` (a component message, echoed back as its ack), outgoing
    ``said`` (inline, with an ``x-ack``), ``bindings.ws`` on ``/chat``."""
    channel: dict[str, Any] = {
        "x-handlers": {"error": f"{H}.error"},
        "publish": {"message": {"$ref": "#/components/messages/Say"}},
        "subscribe": {
            "message": {
                "name": "said",
                "payload": said if said is not None else {"type": "string"},
                "x-ack": {"args": ack if ack is not None else {"type": "boolean"}},
            }
        },
    }
    ws: dict[str, Any] = {}
    if query is not None:
        ws["query"] = query
    if headers is not None:
        ws["headers"] = headers
    if ws:
        channel["bindings"] = {"ws": ws}
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Chat", "version": "1.0.0"},
        "channels": {"/chat": channel},
        "components": {
            "messages": {
                "Say": {
                    "name": "say",
                    "payload": say
                    if say is not None
                    else {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"text": {"type": "string", "minLength": 1}},
                    },
                    "x-handler": f"{H}.echo",
                    "x-ack": {"args": {"type": "object"}},
                }
            }
        },
    }


def write(tmp_path: Path, document: dict[str, Any], name: str = "chat.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def start(path: Path, **kwargs: Any) -> AsynctionSocketIO:
    return AsynctionSocketIO.from_spec(path, app=flask.Flask(__name__), **kwargs)


def refused(path: Path) -> SpecError:
    with pytest.raises(SpecError) as raised:
        start(path)
    return raised.value


@pytest.mark.parametrize(
    ("schema", "inside", "complaint"),
    [
        pytest.param(
            {"type": "object", "properties": {"text": {"type": "string", "pattern": "(unclosed"}}},
            "/properties/text/pattern",
            '"(unclosed" is not a "regex"',
            id="pattern",
        ),
        pytest.param(
            # A root `type: 5` is refused by the loader's structure check already; not below it.
            {"type": "object", "properties": {"n": {"type": 5}}},
            "/properties/n/type",
            "5 is not valid under any of the schemas listed in the 'anyOf' keyword",
            id="type",
        ),
        pytest.param(
            {"type": "integer", "minimum": "x"},
            "/minimum",
            '"x" is not of type "number"',
            id="minimum",
        ),
        pytest.param(
            {"type": "object", "required": "text"},
            "/required",
            '"text" is not of type "array"',
            id="required",
        ),
    ],
)
def test_a_bad_payload_schema_fails_from_spec_located(
    tmp_path: Path, schema: dict[str, Any], inside: str, complaint: str
) -> None:
    path = write(tmp_path, spec_2(say=schema))
    error = refused(path)
    text = str(error)
    assert str(path) in text
    assert f"{path}#/components/messages/Say/payload: " in text
    assert "payload of incoming event 'say' in namespace '/chat'" in text
    assert f"at {inside}: {complaint}" in text
    assert error.problems == (
        (
            SpecLocation(str(path), "/components/messages/Say/payload"),
            f"invalid JSON Schema (payload of incoming event 'say' in namespace '/chat') "
            f"at {inside}: {complaint}",
        ),
    )


def test_bad_ack_and_outgoing_schemas_fail_from_spec(tmp_path: Path) -> None:
    path = write(tmp_path, spec_2(said={"type": "integer", "maximum": "y"}, ack={"type": 5}))
    error = refused(path)
    message = "/channels/~1chat/subscribe/message"
    assert [str(location) for location, _ in error.problems] == [
        f"{path}#{message}/payload",
        f"{path}#{message}/x-ack/args",
    ]
    text = str(error)
    assert "payload of outgoing event 'said' in namespace '/chat') at /maximum" in text
    assert "ack of outgoing event 'said' in namespace '/chat') at /type: 5 is not valid" in text


def test_bad_bindings_schemas_fail_from_spec_unmasked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        spec_2(
            query={"type": "object", "properties": {"token": {"pattern": "(unclosed"}}},
            headers={"type": "object", "patternProperties": {"(x": {"type": "integer"}}},
        ),
    )
    error = refused(path)
    ws = f"{path}#/channels/~1chat/bindings/ws"
    assert [str(location) for location, _ in error.problems] == [f"{ws}/query", f"{ws}/headers"]
    text = str(error)
    # The bindings' schemas mask request values in run-time messages, not in the document's.
    assert (
        "bindings.ws query of namespace '/chat') at /properties/token/pattern: "
        '"(unclosed" is not a "regex"'
    ) in text
    assert "bindings.ws headers of namespace '/chat') at /patternProperties/(x: " in text


def test_every_bad_schema_is_listed_in_one_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        spec_2(
            say={"type": "string", "pattern": "(unclosed"},
            ack={"type": "object", "minProperties": -1},
            query={"type": "object", "maxProperties": "2"},
        ),
    )
    error = refused(path)
    assert len(error.problems) == 3
    text = str(error)
    assert text.startswith("3 invalid JSON Schemas in the AsyncAPI document:\n")
    assert f"{path}#/components/messages/Say/payload: " in text
    assert f"{path}#/channels/~1chat/subscribe/message/x-ack/args: " in text
    assert f"{path}#/channels/~1chat/bindings/ws/query: " in text
    assert '"(unclosed" is not a "regex"' in text
    assert "at /minProperties: -1 is less than the minimum of 0" in text


def test_a_message_shared_by_two_channels_is_reported_once(tmp_path: Path) -> None:
    document = spec_2(say={"type": "array", "items": {"type": 5}})
    document["channels"]["/other"] = {"publish": {"message": {"$ref": "#/components/messages/Say"}}}
    error = refused(write(tmp_path, document))
    [(location, _)] = error.problems
    assert location.pointer == "/components/messages/Say/payload"


def test_3_0_locations_multi_format_payload_and_reply(tmp_path: Path) -> None:
    document = {
        "asyncapi": "3.0.0",
        "info": {"title": "Chat", "version": "1.0.0"},
        "channels": {
            "chat": {
                "address": "/chat",
                "messages": {
                    "say": {
                        "name": "say",
                        "payload": {
                            "schemaFormat": "application/schema+json;version=draft-07",
                            "schema": {"type": "string", "pattern": "(x"},
                        },
                    },
                    "answer": {"payload": {"type": "object", "required": "a"}},
                },
            }
        },
        "operations": {
            "sendSay": {
                "action": "receive",
                "channel": {"$ref": "#/channels/chat"},
                "messages": [{"$ref": "#/channels/chat/messages/say"}],
                "reply": {"messages": [{"$ref": "#/channels/chat/messages/answer"}]},
            }
        },
    }
    path = write(tmp_path, document)
    error = refused(path)
    assert [str(location) for location, _ in error.problems] == [
        f"{path}#/channels/chat/messages/say/payload/schema",
        f"{path}#/operations/sendSay/reply",
    ]
    assert "ack of incoming event 'say' in namespace '/chat') at /required" in str(error)


def test_validation_off_starts_with_bad_schemas_and_compiles_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        spec_2(say={"type": "string", "minLength": -1}, query={"type": "object", "minimum": "x"}),
    )
    compiled: list[Any] = []
    real = jsonschema_rs.Draft202012Validator
    monkeypatch.setattr(
        jsonschema_rs,
        "Draft202012Validator",
        lambda *args, **kwargs: compiled.append(args) or real(*args, **kwargs),
    )
    app = flask.Flask(__name__)
    sio = AsynctionSocketIO.from_spec(path, app=app, validation=False)
    assert compiled == []
    client = sio.test_client(app, namespace="/chat", query_string="token=anything")
    assert client.is_connected("/chat")
    assert client.emit("say", "not validated", namespace="/chat", callback=True) == "not validated"


def test_a_valid_spec_is_compiled_once_at_start_up_and_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = spec_2(
        query={"type": "object", "properties": {"v": {"type": "integer", "minimum": 2}}}
    )
    # A second channel using the same message: its schema is compiled once, for both.
    document["channels"]["/other"] = {"publish": {"message": {"$ref": "#/components/messages/Say"}}}
    path = write(tmp_path, document)
    compiled: list[Any] = []
    real = jsonschema_rs.Draft202012Validator
    monkeypatch.setattr(
        jsonschema_rs,
        "Draft202012Validator",
        lambda *args, **kwargs: compiled.append(args[0]) or real(*args, **kwargs),
    )
    app = flask.Flask(__name__)
    sio = AsynctionSocketIO.from_spec(path, app=app)
    # Say's payload and ack, said's payload and ack, the query: five schemas, each compiled once.
    assert len(compiled) == 5
    at_start_up = len(compiled)

    refused_client = sio.test_client(app, namespace="/chat", query_string="v=1")
    assert not refused_client.is_connected("/chat")
    client = sio.test_client(app, namespace="/chat", query_string="v=2")
    assert client.is_connected("/chat")
    assert client.emit("say", {"text": "hi"}, namespace="/chat", callback=True) == {"text": "hi"}
    assert handlers.entries("echo") == [("echo", {"text": "hi"})]
    ack = client.emit("say", {"text": ""}, namespace="/chat", callback=True)
    assert ack == {"error": "PayloadValidationException", "path": "$.text", "rule": "minLength"}
    other = sio.test_client(app, namespace="/other")
    assert other.emit("say", {"text": "yo"}, namespace="/other", callback=True) == {"text": "yo"}
    with app.test_request_context():
        sio.emit("said", "fine", namespace="/chat")
    # Nothing left to compile on the first messages.
    assert len(compiled) == at_start_up


def test_boolean_schemas_and_ecma_patterns_start_and_validate(tmp_path: Path) -> None:
    document = spec_2(
        say=True,
        # An ECMA-262 pattern jsonschema_rs takes and Python's re does not.
        query={"type": "object", "patternProperties": {"^\\p{L}+$": {"type": "string"}}},
        headers=True,
    )
    app = flask.Flask(__name__)
    sio = AsynctionSocketIO.from_spec(write(tmp_path, document), app=app)
    client = sio.test_client(app, namespace="/chat", query_string="abc=1")
    assert client.is_connected("/chat")
    assert client.emit("say", {"any": [1]}, namespace="/chat", callback=True) == {"any": [1]}


def run_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asynction", "check", str(path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def test_check_reports_the_schemas_from_spec_refuses(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        spec_2(say={"type": "string", "minLength": -1}, query={"type": "object", "minimum": "x"}),
    )
    result = run_check(path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert "2 invalid JSON Schemas in the AsyncAPI document" in result.stderr
    assert f"{path}#/components/messages/Say/payload: " in result.stderr
    assert "at /minLength: -1 is less than the minimum of 0" in result.stderr
    assert f"{path}#/channels/~1chat/bindings/ws/query: " in result.stderr
    assert 'at /minimum: "x" is not of type "number"' in result.stderr
    # The same problems as from_spec, word for word.
    with pytest.raises(SpecError) as raised:
        start(path)
    assert str(raised.value) in result.stderr


def test_check_passes_a_valid_spec(tmp_path: Path) -> None:
    result = run_check(write(tmp_path, spec_2()))
    assert result.returncode == 0, result.stderr
    assert "'say': object {text*: string}" in result.stdout
