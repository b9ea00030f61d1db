"""Hostile spec documents: deep nesting, alias bombs, non-JSON YAML, bad ``$ref``s, ``$ref``
cycles, and references that try to leave the spec's directory.

The crash-prone cases (documents nested 100 000 levels deep, alias bombs) are loaded in a process
of their own under a 1 GiB address-space limit (tests/hardening/load_limited.py), so that a
regression shows as a failed test instead of a dead test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asynction.exceptions import SpecError
from asynction.spec import load_spec
from asynction.spec.loader import MAX_NESTING, parse_text
from tests.hardening.spec_outcomes import check_outcome, opened_files

ROOT = Path(__file__).resolve().parents[2]
HEAD = "asyncapi: 2.6.0\ninfo: {title: T, version: '1'}\n"
DEEP = 100_000


def _channel(payload: str) -> str:
    return f"channels:\n  /:\n    publish:\n      message:\n        name: a\n        payload: {payload}\n"


def _load_isolated(path: Path, ref_root: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.hardening.load_limited", str(path)]
    if ref_root is not None:
        command.append(str(ref_root))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, (
        f"the loading process died ({done.returncode}): {done.stderr[-2000:]}"
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- crash-prone documents, each in a process of its own ------------------------------------------

ISOLATED = {
    "yaml-flow-sequences": HEAD + "x-deep: " + "[" * DEEP + "]" * DEEP + "\nchannels: {}\n",
    "yaml-flow-mappings": HEAD + "x-deep: " + "{a: " * DEEP + "1" + "}" * DEEP + "\nchannels: {}\n",
    "yaml-block-sequences": HEAD + "x-deep:\n" + "- " * DEEP + "1\nchannels: {}\n",
    "yaml-deep-payload": HEAD + _channel("{items: " * DEEP + "{}" + "}" * DEEP),
    "billion-laughs": HEAD
    + "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(
        f"x-{level}: &{'a' * (level + 1)} [{', '.join(['*' + 'a' * level] * 9)}]\n"
        for level in range(1, 10)
    )
    + "channels: {}\n",
    "quadratic-blowup": HEAD
    + "x-big: &big ["
    + ", ".join(["x"] * 3000)
    + "]\nx-uses: ["
    + ", ".join(["*big"] * 3000)
    + "]\nchannels: {}\n",
    "alias-bomb-in-a-payload": HEAD
    + "x-a: &a {type: object, properties: {a: {type: string}, b: {type: string}}}\n"
    + "".join(
        f"x-{level}: &{'a' * (level + 1)} {{allOf: [{', '.join(['*' + 'a' * level] * 8)}]}}\n"
        for level in range(1, 9)
    )
    + _channel("*" + "a" * 9),
    "recursive-alias": HEAD + "x-loop: &loop [1, *loop]\nchannels: {}\n",
}


@pytest.mark.parametrize("name", sorted(ISOLATED))
def test_crash_prone_documents_are_refused_with_a_location(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(ISOLATED[name])
    result = _load_isolated(path)
    assert result["outcome"] == "SpecError", result
    assert f"{path}#/" in result["message"]
    assert any(
        reason in result["message"]
        for reason in (f"nested more than {MAX_NESTING} levels", "alias bomb", "contains itself")
    ), result["message"]


@pytest.mark.parametrize(
    "text",
    [
        '{"asyncapi": "2.6.0", "x-deep": ' + "[" * DEEP + "]" * DEEP + "}",
        '{"asyncapi": "2.6.0", "x-deep": ' + '{"a": ' * 500 + "1" + "}" * 500 + "}",
    ],
    ids=["100000-levels", "500-levels"],
)
def test_deep_json_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text)
    result = _load_isolated(path)
    assert result["outcome"] == "SpecError", result
    assert f"nested more than {MAX_NESTING} levels" in result["message"]


def test_nesting_up_to_the_limit_loads(tmp_path: Path) -> None:
    # channels, /, publish, message, payload: five levels above the schema
    depth = MAX_NESTING - 6
    payload = "{type: array, items: " * depth + "{type: integer}" + "}" * depth
    path = tmp_path / "api.yaml"
    path.write_text(HEAD + _channel(payload))
    api = check_outcome(lambda: load_spec(path))
    assert not isinstance(api, SpecError), api


# -- YAML that is not JSON ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("!!binary aGVsbG8=", "unsupported tag"),
        ("!!set {a, b}", "unsupported tag"),
        ("!!omap [{a: 1}]", "unsupported tag"),
        ("!!timestamp 2024-01-01", "unsupported tag"),
        ("!!python/object/apply:os.system ['true']", "unsupported tag"),
        ("!custom thing", "unsupported tag"),
        (".nan", "not a JSON number"),
        (".inf", "not a JSON number"),
        ("-.Inf", "not a JSON number"),
        ("1.0e+999", "not a JSON number"),
        ("9" * 5000, "not a valid int"),
        ("!!int abc", "not a valid int"),
        ("!!bool maybe", "not a valid bool"),
        ("*nowhere", "undefined alias"),
        ("{<<: 5}", "merge key"),
        ("{? [a, b] : 1}", "must be a scalar"),
    ],
)
def test_values_json_cannot_hold_are_refused_at_their_line(
    tmp_path: Path, value: str, reason: str
) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(HEAD + "x-value: " + value + "\nchannels: {}\n")
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    assert reason in str(raised.value)
    assert f"{path}#/: unsupported YAML at line 3, column" in str(raised.value)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "9" * 5000])
def test_json_numbers_python_would_accept_are_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "api.json"
    path.write_text('{"asyncapi": "2.6.0", "x-value": ' + value + "}")
    with pytest.raises(SpecError, match=f"{path}#/: malformed JSON"):
        load_spec(path)


def test_a_second_document_in_the_stream_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(HEAD + "channels: {}\n---\nmore: 1\n")
    with pytest.raises(SpecError, match="line 4, column 1: expected a single document"):
        load_spec(path)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda doc: doc["channels"].update({"/": doc}), id="contains-itself"),
        pytest.param(lambda doc: doc.update({"x-inf": float("inf")}), id="infinity"),
        pytest.param(lambda doc: doc.update({"x-nan": [float("nan")]}), id="nan"),
        pytest.param(lambda doc: doc.update({"x-deep": _nested(10_000)}), id="nested-10000-levels"),
    ],
)
def test_mappings_that_are_not_json_are_refused(build: Callable[[dict[str, Any]], None]) -> None:
    document: dict[str, Any] = {"asyncapi": "2.6.0", "info": {"title": "T", "version": "1"}}
    document["channels"] = {}
    build(document)
    with pytest.raises(SpecError) as raised:
        load_spec(document)
    assert "<mapping>#/x-" in str(raised.value) or "<mapping>#/channels" in str(raised.value)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


# -- the YAML builder reads what PyYAML reads --------------------------------------------------

JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
        st.sampled_from(["yes", "no", "on", "~", "null", "2024-01-01", "0x1F", "1e3", "=", "<<"]),
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON_VALUES, flow=st.sampled_from([None, True, False]))
def test_yaml_builder_matches_pyyaml(value: Any, flow: bool | None) -> None:
    text = yaml.safe_dump({"root": value}, default_flow_style=flow, allow_unicode=True)
    assert parse_text(text, file="x.yaml") == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1, y: 2}\nmerged: {<<: *b, y: 3}\n",
        "a: &a {x: 1}\nb: &b {x: 2, z: 2}\nm: {<<: [*a, *b], w: 0}\n",
        "a: &a {x: 1}\nm:\n  w: 0\n  <<: *a\n  x: 5\n",
        "s: &s shared\nl: [*s, *s]\n",
        "a: &a [1, 2]\nb: {k: *a}\n",
    ],
)
def test_anchors_and_merge_keys_match_pyyaml(text: str) -> None:
    assert parse_text(text, file="x.yaml") == yaml.safe_load(text)


# -- references --------------------------------------------------------------------------------


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """spec/ (the document's folder, with sub/) beside outside/ holding a secret."""
    spec = tmp_path / "spec"
    (spec / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.yaml").write_text("Secret: {type: string, const: leaked}\n")
    (spec / "sub" / "escape.yaml").symlink_to(tmp_path / "outside" / "secret.yaml")
    (spec / "sub" / "hop.yaml").write_text("Hop: {$ref: '../../outside/secret.yaml#/Secret'}\n")
    return spec


@pytest.mark.parametrize(
    "ref",
    [
        "../outside/secret.yaml#/Secret",
        "sub/../../outside/secret.yaml#/Secret",
        "%2e%2e/outside/secret.yaml#/Secret",
        "sub/escape.yaml#/Secret",
        "sub/hop.yaml#/Hop",
        "{outside}/secret.yaml#/Secret",
        "file://{outside}/secret.yaml#/Secret",
        "file:///etc/hostname#/x",
        "/etc/hostname#/x",
    ],
)
def test_refs_never_read_outside_the_spec_folder(layout: Path, ref: str) -> None:
    ref = ref.format(outside=layout.parent / "outside")
    path = layout / "api.yaml"
    path.write_text(HEAD + _channel(json.dumps({"$ref": ref})))
    with opened_files() as opened, pytest.raises(SpecError) as raised:
        load_spec(path)
    assert "outside the spec's directory" in str(raised.value)
    assert "#/channels/~1/publish/message/payload/$ref" in str(
        raised.value
    ) or "hop.yaml#/Hop/$ref" in str(raised.value)
    leaked = [name for name in opened if "outside" in Path(name).parts or name.startswith("/etc")]
    assert leaked == []


def test_ref_root_allows_a_wider_tree(layout: Path) -> None:
    path = layout / "api.yaml"
    path.write_text(HEAD + _channel("{$ref: '../outside/secret.yaml#/Secret'}"))
    api = load_spec(path, ref_root=layout.parent)
    assert api.namespaces[0].incoming[0].payload == {"type": "string", "const": "leaked"}


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("5", "$ref must be a string"),
        ("{a: b}", "$ref must be a string"),
        ("[x]", "$ref must be a string"),
        ("null", "$ref must be a string"),
        ('"sub/\\0.yaml"', "not a usable file path"),
        ('"http://127.0.0.1:9/x.yaml"', "never fetches remote references"),
        ("'#nowhere'", "only JSON pointer fragments"),
        ("'#/components/schemas/Missing'", "does not exist"),
    ],
)
def test_bad_refs_are_located(layout: Path, ref: str, reason: str) -> None:
    path = layout / "api.yaml"
    path.write_text(HEAD + _channel("{$ref: " + ref + "}"))
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    assert reason in str(raised.value)
    assert f"{path}#/channels/~1/publish/message/payload" in str(raised.value)


@st.composite
def ref_graphs(draw: st.DrawFn) -> dict[str, Any]:
    """Components whose schemas and messages refer to each other, in one file or two."""
    names = [f"S{index}" for index in range(draw(st.integers(1, 5)))]
    target = st.sampled_from(
        [f"#/components/schemas/{name}" for name in names]
        + [f"other.yaml#/{name}" for name in names]
    )
    shapes = st.one_of(
        st.builds(lambda ref: {"$ref": ref}, target),
        st.builds(lambda ref: {"type": "object", "properties": {"next": {"$ref": ref}}}, target),
        st.builds(lambda ref: {"type": "array", "items": {"$ref": ref}}, target),
        st.builds(
            lambda refs: {"anyOf": [{"$ref": ref} for ref in refs]}, st.lists(target, max_size=3)
        ),
        st.just({"type": "string"}),
    )
    return {
        "schemas": {name: draw(shapes) for name in names},
        "other": {name: draw(shapes) for name in names},
        "message": draw(st.sampled_from([{"$ref": "#/components/messages/M"}, {"name": "m"}])),
        "payload": {"$ref": draw(target)},
    }


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(graph=ref_graphs())
def test_ref_cycles_end_in_an_api_or_a_located_error(tmp_path: Path, graph: dict[str, Any]) -> None:
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(graph["other"]))
    message = (
        {**graph["message"], "payload": graph["payload"]}
        if "name" in graph["message"]
        else graph["message"]
    )
    document = {
        "asyncapi": "2.6.0",
        "info": {"title": "T", "version": "1"},
        "channels": {"/": {"publish": {"message": message}}},
        "components": {
            "schemas": graph["schemas"],
            "messages": {"M": {"$ref": "#/components/messages/M"}},
        },
    }
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump(document))
    outcome = check_outcome(lambda: load_spec(path))
    if isinstance(outcome, SpecError):
        return
    for event in outcome.namespaces[0].incoming:
        assert event.payload is None or "$ref" not in event.payload or "$defs" in event.payload


def test_alias_chains_count_towards_the_nesting_limit(tmp_path: Path) -> None:
    # each anchor wraps the previous one: shallow text, a document 300 levels deep once expanded
    lines = ["x-0: &a0 [leaf]"] + [
        f"x-{level}: &a{level} [*a{level - 1}]" for level in range(1, 300)
    ]
    path = tmp_path / "chain.yaml"
    path.write_text(HEAD + "\n".join(lines) + "\nchannels: {}\n")
    with pytest.raises(SpecError, match=f"nested more than {MAX_NESTING} levels deep"):
        load_spec(path)


@pytest.mark.parametrize(
    ("security", "reason"),
    [
        ("[null]", "a security requirement must be a mapping"),
        ("[5]", "a security requirement must be a mapping"),
        ("[{bearer: 5}]", "scopes must be a list of strings"),
        ("[{bearer: [1, 2]}]", "scopes must be a list of strings"),
        ("[{bearer: read}]", "scopes must be a list of strings"),
    ],
)
def test_malformed_x_security_is_located(tmp_path: Path, security: str, reason: str) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(
        HEAD
        + f"channels:\n  /:\n    x-security: {security}\n    publish:\n      message: {{name: a}}\n"
        + "components:\n  securitySchemes:\n    bearer: {type: http, scheme: bearer}\n"
    )
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    assert reason in str(raised.value)
    assert f"{path}#/channels/~1/x-security/0" in str(raised.value)
