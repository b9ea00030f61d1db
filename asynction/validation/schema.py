"""JSON Schemas compiled once by jsonschema_rs: a fast yes/no check, a slower explanation."""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from asynction.exceptions import SpecError, SpecLocation
from asynction.validation.depth import MAX_DEPTH, depth_probe, is_recursive

__all__ = ["CompiledSchema", "SchemaFailure", "json_path"]

PathToken = str | int

_MAX_MESSAGE = 200
"""jsonschema_rs messages quote the offending value; past this length it is masked instead."""
_MASK = "value"
_JSON_LEAVES = (str, int, float, decimal.Decimal, type(None))
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def json_path(tokens: tuple[PathToken, ...] | list[PathToken]) -> str:
    """``("user", "age")`` → ``$.user.age``; ``(0, "x-id")`` → ``$[0]['x-id']``."""
    parts = ["$"]
    for token in tokens:
        if isinstance(token, int):
            parts.append(f"[{token}]")
        elif _IDENTIFIER.match(token):
            parts.append(f".{token}")
        else:
            escaped = token.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{escaped}']")
    return "".join(parts)


@dataclass(frozen=True)
class SchemaFailure:
    """Why a value fails a schema: where, what, and which rule."""

    path: tuple[PathToken, ...]
    """Where the offending value is, relative to the value checked: object keys as ``str``, array
    indexes as ``int``; for ``required`` and ``additionalProperties`` the object concerned."""
    message: str
    rule: str
    """The failing JSON Schema keyword (``type``, ``required``, ``format``…); ``depth`` for a
    value nested too deeply, ``json`` for a value that is not JSON data (``bytes``, a ``set``…)."""
    details: Mapping[str, Any] = field(default_factory=dict)
    """The keyword's parameters as jsonschema_rs reports them (``{"types": ["integer"]}``,
    ``{"property": "age"}``, ``{"unexpected": ["x"]}``…)."""

    @property
    def json_path(self) -> str:
        """The path as a JSON path string, ``$.user.age``."""
        return json_path(self.path)


class CompiledSchema:
    """A JSON Schema (draft 2020-12, formats checked: date-time, email, uuid, uri, ipv4, ...)
    compiled once: by :meth:`compile`, else lazily on first use.

    ``is_valid`` is the fast path: one call into jsonschema_rs (two for a recursive schema, whose
    values are first checked for a nesting depth of at most ``MAX_DEPTH``). Explaining a failure
    (``first_error``, ``failure``) runs the validation again and costs more; call it only once
    ``is_valid`` has said no. Remote references are never fetched. With ``mask``, messages name the
    offending value by that word instead of quoting it (for values that may be secret).
    """

    __slots__ = (
        "_check",
        "_guarded",
        "_location",
        "_mask",
        "_masked",
        "_plain",
        "_schema",
        "_validator",
    )

    def __init__(
        self,
        schema: Mapping[str, Any],
        *,
        mask: str | None = None,
        location: SpecLocation | None = None,
    ) -> None:
        self._schema = schema
        self._mask = mask
        self._location = location
        self._plain: Any = None
        self._validator: Any = None
        self._masked: Any = None
        self._guarded = False
        self._check: Callable[[Any], bool] = self._compile_and_check

    @property
    def schema(self) -> Mapping[str, Any]:
        """The schema as given."""
        return self._schema

    @property
    def recursive(self) -> bool:
        """Whether the schema's references form a cycle, so values are depth-checked (compiles)."""
        self.compile()
        return self._guarded

    def compile(self) -> None:
        """Compile now rather than on first use.

        Raises :class:`SpecError` if jsonschema_rs rejects the schema."""
        if self._validator is not None:
            return
        try:
            plain, may_recurse = _plain_view(self._schema)
        except RecursionError:
            location = self._location or SpecLocation("<schema>")
            raise SpecError.at(location, "invalid JSON Schema: nested too deeply") from None
        validator = self._new_validator(plain, self._mask)
        guarded = may_recurse and is_recursive(plain)
        check: Callable[[Any], bool] = validator.is_valid
        if guarded:
            probe = depth_probe()
            unguarded = check

            def guarded_check(instance: Any) -> bool:
                return probe(instance) and unguarded(instance)

            check = guarded_check
        # Threads may compile at once (harmlessly); _validator is set last, so a thread that sees
        # it set also sees _guarded, which failure() relies on before descending into a value.
        self._plain = plain
        self._guarded = guarded
        self._check = check
        self._validator = validator

    def is_valid(self, instance: Any) -> bool:
        """Whether ``instance`` (JSON data as Python values) is valid under the schema."""
        try:
            return self._check(instance)
        except ValueError:
            # jsonschema_rs refuses values that are not JSON data (bytes, sets, int keys…).
            return False

    def first_error(self, instance: Any) -> tuple[str, str, str] | None:
        """``(json_path, message, rule)`` of the first failure, e.g. ``("$.user.age", '"x" is not of
        type "integer"', "type")``; ``None`` when ``instance`` is valid."""
        failure = self.failure(instance)
        if failure is None:
            return None
        return failure.json_path, failure.message, failure.rule

    def failure(self, instance: Any) -> SchemaFailure | None:
        """The first failure of ``instance`` in full, or ``None`` when it is valid."""
        self.compile()
        if self._guarded and not _safe_check(depth_probe(), instance):
            return SchemaFailure(
                (), f"value is nested too deeply (more than {MAX_DEPTH} levels)", "depth"
            )
        try:
            error = next(iter(self._validator.iter_errors(instance)), None)
        except ValueError as exc:
            return _not_json(instance, exc)
        if error is None:
            # jsonschema_rs may say no without an error to show, for values too deep to compare.
            return None if self.is_valid(instance) else _not_json(instance, None)
        path, value = _resolve(instance, error.instance_path)
        kind = error.kind
        rule = kind.name
        message = error.message
        details: Mapping[str, Any] | None = None
        if rule == "falseSchema":
            keywords = [token for token in error.schema_path if isinstance(token, str)]
            rule = keywords[-1] if keywords else rule
            if rule == "additionalProperties" and isinstance(value, Mapping):
                # Without properties or patternProperties beside it, jsonschema_rs reports
                # `additionalProperties: false` as a false schema quoting one value.
                message, details = _unexpected(self._plain, error.schema_path, value)
        if isinstance(value, float) and not math.isfinite(value):
            message = f"{value!r} is not a JSON number"
        elif len(message) > _MAX_MESSAGE:
            message = self._masked_message(instance, message)
        if details is None:
            try:
                details = kind.as_dict()
            except ValueError:
                details = {}
        return SchemaFailure(path, message, rule, details)

    def _compile_and_check(self, instance: Any) -> bool:
        self.compile()
        return self._check(instance)

    def _new_validator(self, plain: Any, mask: str | None) -> Any:
        try:
            return jsonschema_rs.Draft202012Validator(
                plain, validate_formats=True, offline=True, mask=mask
            )
        except ValueError as exc:
            error = exc
        if mask is not None:
            # The mask hides the offending value of the schema too ('value is not a "regex"'): a
            # value of the document, not a secret, so complain without it.
            try:
                jsonschema_rs.Draft202012Validator(plain, validate_formats=True, offline=True)
            except ValueError as unmasked:
                error = unmasked
        location = self._location or SpecLocation("<schema>")
        raise SpecError.at(location, f"invalid JSON Schema{_schema_complaint(error)}") from None

    def _masked_message(self, instance: Any, message: str) -> str:
        if self._masked is None:
            self._masked = self._new_validator(self._plain, self._mask or _MASK)
        try:
            error = next(iter(self._masked.iter_errors(instance)), None)
        except ValueError:
            error = None
        text = error.message if error is not None else message
        return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _unexpected(
    schema: Any, schema_path: list[PathToken], value: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The message and details of an ``additionalProperties: false`` failure of ``value``."""
    owner: Any = schema
    for token in schema_path[:-1]:
        if isinstance(owner, Mapping):
            owner = owner.get(str(token))
        elif isinstance(owner, list) and isinstance(token, int) and token < len(owner):
            owner = owner[token]
        else:
            owner = None
    owner = owner if isinstance(owner, Mapping) else {}
    declared = owner.get("properties") or {}
    patterns = []
    for pattern in owner.get("patternProperties") or ():
        try:
            patterns.append(re.compile(pattern))
        except re.error:
            continue
    unexpected = [
        key
        for key in value
        if key not in declared and not any(pattern.search(key) for pattern in patterns)
    ]
    names = ", ".join(repr(key) for key in unexpected)
    verb = "was" if len(unexpected) == 1 else "were"
    message = f"Additional properties are not allowed ({names} {verb} unexpected)"
    return message, {"unexpected": unexpected}


def _safe_check(check: Callable[[Any], bool], instance: Any) -> bool:
    try:
        return check(instance)
    except ValueError:
        return False


def _schema_complaint(error: ValueError) -> str:
    """What jsonschema_rs says is wrong with a schema, and where inside it:
    `` at /properties/id/pattern: "(x" is not a "regex"``."""
    # jsonschema_rs reports the bad keyword on the first line, then the whole schema.
    reason = str(error).split("\n", 1)[0]
    inside = getattr(error, "instance_path", None)
    if not isinstance(inside, list) or not inside:
        return f": {reason}"
    pointer = "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in inside)
    return f" at {pointer}: {reason}"


_REFERENCE_KEYWORDS = frozenset({"$ref", "$dynamicRef", "$recursiveRef", "$id"})
"""Keywords without which a schema cannot be recursive (see :func:`is_recursive`)."""
_PLAIN_LEAVES = frozenset({str, int, float, bool, type(None)})


def _plain_view(schema: Any) -> tuple[Any, bool]:
    """``schema`` as jsonschema_rs takes it — itself when it is plain JSON already (as loaded
    documents are), else a :func:`plain_json` copy — and whether it holds a keyword that may make
    it recursive.

    One walk instead of a copy and a separate search for references: compiling every schema of a
    large document at start-up spent more time in those two walks than in jsonschema_rs.
    """
    found: list[str] = []
    if _is_plain(schema, found):
        return schema, bool(found)
    plain = plain_json(schema)
    found.clear()
    _is_plain(plain, found)
    return plain, bool(found)


def _is_plain(value: Any, found: list[str]) -> bool:
    """Whether ``value`` is made of dicts with string keys, lists and JSON scalars only; appends
    to ``found`` the reference keywords met on the way (all of them when it is plain)."""
    kind = type(value)
    leaves = _PLAIN_LEAVES
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if key in _REFERENCE_KEYWORDS:
                found.append(key)
            if type(item) not in leaves and not _is_plain(item, found):
                return False
        return True
    if kind is list:
        return all(type(item) in leaves or _is_plain(item, found) for item in value)
    return kind in leaves


def plain_json(value: Any) -> Any:
    """A copy as plain dicts (string keys) and lists: jsonschema_rs accepts no mapping proxy or
    tuple, and JSON has no other containers."""
    if isinstance(value, Mapping):
        return {str(key): plain_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(item) for item in value]
    return value


def _resolve(instance: Any, tokens: list[PathToken]) -> tuple[tuple[PathToken, ...], Any]:
    """The path jsonschema_rs reports, with object keys as ``str`` (it gives ``"0"`` as ``0``),
    and the value it leads to."""
    path: list[PathToken] = []
    value = instance
    for token in tokens:
        if isinstance(value, Mapping):
            key = str(token)
            path.append(key)
            value = value.get(key)
        elif isinstance(value, (list, tuple)) and isinstance(token, int) and token < len(value):
            path.append(token)
            value = value[token]
        else:
            path.append(token)
            value = None
    return tuple(path), value


def _not_json(instance: Any, exc: ValueError | None) -> SchemaFailure:
    """Explain why jsonschema_rs could not look at ``instance``: find the first value that is not
    JSON data, else the value was too deep for it to compare or quote."""
    # Paths are kept as parent links: copying a path tuple per level is quadratic in the depth.
    stack: list[tuple[int, _Link, Any]] = [(0, None, instance)]
    while stack:
        depth, link, value = stack.pop()
        if depth > MAX_DEPTH:
            break
        if isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str):
                    message = f"object key {key!r} ({type(key).__name__}) is not a string"
                    return SchemaFailure(_unlink(link), message, "json")
            items: list[tuple[PathToken, Any]] = list(value.items())
            stack.extend((depth + 1, (link, key), item) for key, item in reversed(items))
        elif isinstance(value, (list, tuple)):
            stack.extend(
                (depth + 1, (link, index), item) for index, item in reversed(list(enumerate(value)))
            )
        elif not isinstance(value, _JSON_LEAVES):
            message = f"a {type(value).__name__} value is not JSON data"
            return SchemaFailure(_unlink(link), message, "json")
    if exc is not None and "recursion" not in str(exc).lower():
        return SchemaFailure((), f"value cannot be validated: {exc}", "json")
    return SchemaFailure((), "value is nested too deeply to be validated", "depth")


_Link = tuple[Any, PathToken] | None


def _unlink(link: _Link) -> tuple[PathToken, ...]:
    tokens: list[PathToken] = []
    while link is not None:
        link, token = link
        tokens.append(token)
    return tuple(reversed(tokens))
