"""BindingsValidator: the HTTP request of a connection against ``bindings.ws``."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asynction.exceptions import BindingsValidationException
from asynction.spec.model import ConnectBindings
from asynction.validation import BindingsValidator

QUERY = {
    "type": "object",
    "properties": {
        "token": {"type": "string", "minLength": 4},
        "limit": {"$ref": "#/$defs/Limit"},
        "ratio": {"type": "number"},
        "debug": {"type": "boolean"},
        "ids": {"type": "array", "items": {"type": "integer"}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "maybe": {"type": ["integer", "null"]},
        "name": {"type": "string"},
    },
    "required": ["token"],
    "$defs": {"Limit": {"type": "integer", "minimum": 1, "maximum": 100}},
}

HEADERS = {
    "type": "object",
    "properties": {
        "X-API-Key": {"type": "string", "pattern": "^key_"},
        "x-version": {"type": "integer"},
        "X-Beta": {"type": "boolean"},
        "Accept-Languages": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["X-API-Key"],
}


def environ(query: str = "", method: str = "GET", **headers: str) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "PATH_INFO": "/socket.io/",
        "SERVER_NAME": "localhost",
        "wsgi.url_scheme": "http",
    }
    env.update(headers)
    return env


def query_validator(schema: dict[str, Any] = QUERY) -> BindingsValidator:
    return BindingsValidator(ConnectBindings(query=schema), namespace="/admin")


def header_validator(schema: dict[str, Any] = HEADERS) -> BindingsValidator:
    return BindingsValidator(ConnectBindings(headers=schema), namespace="/admin")


def rejection(check: BindingsValidator, env: dict[str, Any]) -> BindingsValidationException:
    with pytest.raises(BindingsValidationException) as raised:
        check.validate(env)
    assert raised.value.namespace == "/admin"
    return raised.value


def accepts(schema: dict[str, Any], query: str) -> bool:
    try:
        query_validator(schema).validate(environ(query))
    except BindingsValidationException:
        return False
    return True


# Query


def test_valid_query_with_engineio_parameters() -> None:
    query = "EIO=4&transport=websocket&t=Nx1&sid=abc&j=0&b64=1&token=abcd&limit=5"
    query_validator().validate(environ(query))


def test_engineio_parameters_are_not_part_of_the_query() -> None:
    closed = {"type": "object", "additionalProperties": False}
    query_validator(closed).validate(environ("EIO=4&transport=polling&t=x&sid=s&j=1&b64=1"))
    error = rejection(query_validator(closed), environ("EIO=4&token=x"))
    assert (error.path, error.rule) == ("$.query.token", "additionalProperties")
    assert str(error) == ("namespace '/admin' at $.query.token: unexpected query parameter 'token'")


def test_missing_required_parameter() -> None:
    error = rejection(query_validator(), environ("EIO=4&transport=websocket"))
    assert (error.path, error.rule) == ("$.query.token", "required")
    assert str(error) == "namespace '/admin' at $.query.token: query parameter 'token' is required"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=5", True),
        ("limit=%2B5", True),
        ("limit=+5", False),
        ("limit=05", True),
        ("limit=5.0", False),
        ("limit=five", False),
        ("limit=", False),
        ("limit=1_0", False),
        ("limit=0", False),
        ("limit=101", False),
        ("ratio=0.5", True),
        ("ratio=-3", True),
        ("ratio=1e3", True),
        ("ratio=.5", True),
        ("ratio=nan", False),
        ("ratio=inf", False),
        ("ratio=1e999", False),
        ("ratio=abc", False),
        ("debug=true", True),
        ("debug=False", True),
        ("debug=1", True),
        ("debug=0", True),
        ("debug=yes", False),
        ("ids=1&ids=2&ids=3", True),
        ("ids=1", True),
        ("ids=1&ids=x", False),
        ("tags=a&tags=b", True),
        ("maybe=7", True),
        ("maybe=null", True),
        ("maybe=", True),
        ("maybe=x", False),
        ("name=5", True),
        ("name=", True),
    ],
)
def test_query_values_are_coerced_to_declared_types(query: str, expected: bool) -> None:
    assert accepts(QUERY, "token=abcd&" + query) is expected


def test_coerced_values_are_what_the_schema_sees() -> None:
    pinned = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "const": 5},
            "r": {"type": "number", "const": 2.5},
            "b": {"type": "boolean", "const": False},
            "ids": {"type": "array", "items": {"type": "integer"}, "const": [1, 2]},
            "one": {"type": "array", "items": {"type": "string"}, "const": ["x"]},
            "s": {"type": "string", "const": "5"},
            "free": {"const": ["a", "b"]},
            "single": {"const": "z"},
        },
    }
    query = "n=5&r=2.5&b=false&ids=1&ids=2&one=x&s=5&free=a&free=b&single=z"
    query_validator(pinned).validate(environ(query))


def test_repeated_non_array_parameter_is_rejected() -> None:
    error = rejection(query_validator(), environ("token=abcd&limit=1&limit=2"))
    assert (error.path, error.rule) == ("$.query.limit", "type")
    assert "query parameter 'limit' must be given once, got 2 values" in str(error)


def test_uncoercible_value_message_names_parameter_and_type() -> None:
    error = rejection(query_validator(), environ("token=abcd&limit=lots"))
    assert (error.path, error.rule) == ("$.query.limit", "type")
    assert (
        str(error) == "namespace '/admin' at $.query.limit: query parameter 'limit' must be integer"
    )


def test_array_item_message_names_the_item() -> None:
    error = rejection(query_validator(), environ("token=abcd&ids=1&ids=x"))
    assert (error.path, error.rule) == ("$.query.ids[1]", "type")
    assert "query parameter 'ids' item [1] must be integer" in str(error)


def test_other_rules_name_the_parameter_but_not_the_value() -> None:
    error = rejection(query_validator(), environ("token=abc"))
    assert (error.path, error.rule) == ("$.query.token", "minLength")
    assert "query parameter 'token': value is shorter than 4 characters (rule: minLength)" in str(
        error
    )
    assert "abc" not in str(error).replace("namespace", "")


def test_pattern_and_additional_property_types_coerce_too() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^n_": {"type": "integer"}},
        "additionalProperties": {"type": "boolean"},
    }
    query_validator(schema).validate(environ("n_a=1&n_b=-2&flag=true&other=0"))
    assert rejection(query_validator(schema), environ("n_a=x")).path == "$.query.n_a"
    assert rejection(query_validator(schema), environ("flag=maybe")).path == "$.query.flag"


def test_percent_encoding_and_plus_are_decoded() -> None:
    schema = {"type": "object", "properties": {"q": {"const": "a b/c&d"}}}
    query_validator(schema).validate(environ(urlencode({"q": "a b/c&d"})))
    query_validator(schema).validate(environ("q=a+b%2Fc%26d"))


def test_no_query_string_at_all() -> None:
    query_validator({"type": "object"}).validate({"REQUEST_METHOD": "GET"})
    assert rejection(query_validator(), {"REQUEST_METHOD": "GET"}).rule == "required"


@given(st.integers(min_value=1, max_value=100))
def test_every_integer_in_range_is_accepted(value: int) -> None:
    assert accepts(QUERY, f"token=abcd&limit={value}")


@given(st.text(min_size=1).filter(lambda text: not re.fullmatch(r"[+-]?[0-9]+", text)))
def test_non_integer_text_is_never_an_integer(text: str) -> None:
    assert not accepts(
        {"type": "object", "properties": {"n": {"type": "integer"}}}, urlencode({"n": text})
    )


@given(st.lists(st.integers(), min_size=1, max_size=5))
def test_repeated_keys_make_arrays_of_coerced_items(values: list[int]) -> None:
    pinned = {
        "type": "object",
        "properties": {"v": {"type": "array", "items": {"type": "integer"}, "const": values}},
    }
    query = urlencode([("v", value) for value in values])
    query_validator(pinned).validate(environ(query))


# Headers


def test_headers_match_case_insensitively() -> None:
    check = header_validator()
    check.validate(environ(HTTP_X_API_KEY="key_1", HTTP_X_VERSION="2", HTTP_X_BETA="true"))


def test_header_schema_names_in_any_case_find_the_request_header() -> None:
    schema = {
        "type": "object",
        "properties": {
            "CONTENT-TYPE": {"const": "application/json"},
            "x_trace_id": {"type": "integer"},
        },
        "required": ["CONTENT-TYPE", "x_trace_id"],
    }
    header_validator(schema).validate(
        environ(CONTENT_TYPE="application/json", HTTP_X_TRACE_ID="12")
    )


def test_missing_required_header() -> None:
    error = rejection(header_validator(), environ(HTTP_X_VERSION="2"))
    assert (error.path, error.rule) == ("$.headers['X-API-Key']", "required")
    assert "header 'X-API-Key' is required" in str(error)


def test_header_values_are_coerced_only_when_the_schema_says_so() -> None:
    error = rejection(header_validator(), environ(HTTP_X_API_KEY="key_1", HTTP_X_VERSION="v2"))
    assert (error.path, error.rule) == ("$.headers['x-version']", "type")
    assert (
        str(error)
        == "namespace '/admin' at $.headers['x-version']: header 'x-version' must be integer"
    )
    numeric_string = {
        "type": "object",
        "properties": {"x-id": {"type": "string", "pattern": "^[0-9]+$"}},
    }
    header_validator(numeric_string).validate(environ(HTTP_X_ID="0042"))
    assert (
        rejection(header_validator(), environ(HTTP_X_API_KEY="key_1", HTTP_X_BETA="sometimes")).rule
        == "type"
    )


def test_array_header_values_split_on_commas() -> None:
    schema = {
        "type": "object",
        "properties": {
            "x-ids": {"type": "array", "items": {"type": "integer"}, "const": [1, 2, 3]}
        },
    }
    header_validator(schema).validate(environ(HTTP_X_IDS="1, 2,3"))


def test_header_rule_failure_does_not_quote_the_value() -> None:
    error = rejection(header_validator(), environ(HTTP_X_API_KEY="hunter2"))
    assert (error.path, error.rule) == ("$.headers['X-API-Key']", "pattern")
    assert "hunter2" not in str(error)
    assert "header 'X-API-Key': value does not match" in str(error)


def test_headers_not_in_the_schema_are_lowercase_and_can_be_refused() -> None:
    schema = {
        "type": "object",
        "properties": {"Host": {"type": "string"}},
        "additionalProperties": False,
    }
    header_validator(schema).validate(environ(HTTP_HOST="localhost"))
    error = rejection(
        header_validator(schema), environ(HTTP_HOST="localhost", HTTP_USER_AGENT="ua")
    )
    assert (error.path, error.rule) == ("$.headers['user-agent']", "additionalProperties")
    assert "unexpected header 'user-agent'" in str(error)
    several = rejection(header_validator(schema), environ(HTTP_X_A="1", HTTP_X_B="2"))
    assert several.path == "$.headers"
    assert "unexpected headers 'x-a', 'x-b'" in str(several)


def test_empty_content_headers_are_absent() -> None:
    schema = {"type": "object", "not": {"required": ["content-type"]}}
    header_validator(schema).validate(environ(CONTENT_TYPE="", CONTENT_LENGTH=""))
    assert rejection(header_validator(schema), environ(CONTENT_TYPE="text/plain")).rule == "not"


# Method and all together


def test_method_must_match_case_insensitively() -> None:
    check = BindingsValidator(ConnectBindings(method="get"), namespace="/admin")
    check.validate(environ(method="GET"))
    error = rejection(check, environ(method="POST"))
    assert (error.path, error.rule) == ("$.method", "method")
    assert str(error) == "namespace '/admin' at $.method: request method must be GET, got POST"


def test_empty_bindings_accept_anything() -> None:
    BindingsValidator(ConnectBindings(), namespace="/admin").validate({})


def test_method_query_and_headers_together() -> None:
    check = BindingsValidator(
        ConnectBindings(method="GET", query=QUERY, headers=HEADERS), namespace="/admin"
    )
    good = environ("EIO=4&transport=websocket&token=abcd&ids=1&ids=2", HTTP_X_API_KEY="key_9")
    check.validate(good)
    assert rejection(check, {**good, "REQUEST_METHOD": "POST"}).rule == "method"
    assert rejection(check, {**good, "QUERY_STRING": "EIO=4"}).path == "$.query.token"
    assert rejection(check, {**good, "HTTP_X_API_KEY": "nope"}).path == "$.headers['X-API-Key']"


def test_bindings_reader_gives_the_coerced_values() -> None:
    from asynction.validation import BindingsReader

    query = BindingsReader(
        {"type": "object", "properties": {"limit": {"type": "integer"}, "tag": {"type": "array"}}},
        "query",
        namespace="/n",
    )
    environ = {"QUERY_STRING": "limit=5&tag=a&tag=b&EIO=4&transport=websocket"}
    assert query.read(environ) == {"limit": 5, "tag": ["a", "b"]}
    headers = BindingsReader(
        {"type": "object", "properties": {"X-Version": {"type": "integer"}}},
        "headers",
        namespace="/n",
    )
    assert headers.read({"HTTP_X_VERSION": "3"})["X-Version"] == 3
    once = BindingsReader(
        {"type": "object", "properties": {"limit": {"type": "integer"}}}, "query", namespace="/n"
    )
    with pytest.raises(BindingsValidationException, match="must be given once, got 2 values"):
        once.read({"QUERY_STRING": "limit=1&limit=2"})
