"""Validation of an event's Socket.IO arguments against its payload or ack schema (design §2).

How the arguments map onto the schema depends on the schema's shape, decided once:

- no schema: nothing is validated;
- a tuple schema (``type: array`` with ``prefixItems``) describes positional arguments: the argument
  list is validated as an array, so one list sent in place of several arguments fails at ``$[0]``;
- any other array schema (one ``items`` schema, or none) accepts the arguments as one list: a lone
  list argument is that list, otherwise the argument list is;
- any other schema describes exactly one argument: no argument validates as ``null``, more than one
  is refused.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from asynction.exceptions import PayloadValidationException, SpecLocation, ValidationException
from asynction.validation.depth import MAX_DEPTH
from asynction.validation.schema import CompiledSchema, SchemaFailure

__all__ = ["ArgumentShape", "ArgumentsValidator", "argument_shape"]


class ArgumentShape(enum.Enum):
    """How an event's arguments map onto its schema."""

    NONE = "none"
    """No schema: the arguments are not validated."""
    SINGLE = "single"
    """Exactly one argument (none validates as ``null``)."""
    TUPLE = "tuple"
    """Positional arguments, one per ``prefixItems`` entry."""
    LIST = "list"
    """One list: a single list argument, or all the arguments."""


def argument_shape(schema: Mapping[str, Any] | None) -> ArgumentShape:
    """The shape of the arguments ``schema`` describes (``type: array`` or ``type: [array]``)."""
    if schema is None:
        return ArgumentShape.NONE
    if not isinstance(schema, Mapping):
        # A boolean schema (true: anything, false: nothing) describes one argument.
        return ArgumentShape.SINGLE
    declared = schema.get("type")
    if isinstance(declared, (list, tuple)):
        is_array = bool(declared) and all(item == "array" for item in declared)
    else:
        is_array = declared == "array"
    if not is_array:
        return ArgumentShape.SINGLE
    if "prefixItems" in schema:
        return ArgumentShape.TUPLE
    return ArgumentShape.LIST


Validate = Callable[[tuple[Any, ...]], None]


class ArgumentsValidator:
    """Validates Socket.IO positional arguments (a tuple) against an event's payload or ack schema,
    by design §2 rules.

    Failures raise ``exception_type`` carrying the namespace, the event, the JSON path of the
    offending value and the failing rule. Paths start at the single argument for a
    :attr:`ArgumentShape.SINGLE` schema (``$.user.age``) and at the argument list otherwise
    (``$[1].age``). ``what`` names the arguments in messages (``payload``, ``ack``).

    ``schema`` may be a :class:`CompiledSchema` already, so that validators of events sharing one
    schema share its compilation; a mapping is compiled on first use (or by :meth:`compile`).
    """

    __slots__ = (
        "_event",
        "_exception_type",
        "_namespace",
        "_schema",
        "_shape",
        "_validate",
        "_what",
    )

    def __init__(
        self,
        schema: Mapping[str, Any] | CompiledSchema | None,
        *,
        namespace: str,
        event: str,
        exception_type: type[ValidationException] = PayloadValidationException,
        what: str = "payload",
        location: SpecLocation | None = None,
    ) -> None:
        self._namespace = namespace
        self._event = event
        self._exception_type = exception_type
        self._what = what
        if isinstance(schema, CompiledSchema):
            self._schema: CompiledSchema | None = schema
            self._shape = argument_shape(schema.schema)
        else:
            self._shape = argument_shape(schema)
            self._schema = None if schema is None else CompiledSchema(schema, location=location)
        self._validate = self._build()

    @property
    def shape(self) -> ArgumentShape:
        """How the arguments map onto the schema."""
        return self._shape

    @property
    def schema(self) -> CompiledSchema | None:
        """The compiled schema, ``None`` for :attr:`ArgumentShape.NONE`."""
        return self._schema

    def compile(self) -> None:
        """Compile the schema now rather than on first use.

        :raises SpecError: jsonschema_rs rejects the schema.
        """
        if self._schema is not None:
            self._schema.compile()

    def validate(self, args: tuple[Any, ...]) -> None:
        """Return if ``args`` are valid, else raise the validator's exception type."""
        self._validate(args)

    def _build(self) -> Validate:
        compiled = self._schema
        if compiled is None:
            return _accept
        is_valid = compiled.is_valid
        fail = self._fail
        with_rule = self._with_rule
        if self._shape is ArgumentShape.SINGLE:

            def validate_single(args: tuple[Any, ...]) -> None:
                count = len(args)
                if count == 1:
                    value = args[0]
                elif count == 0:
                    value = None
                else:
                    fail(
                        with_rule(f"expected 1 argument, got {count}", "arguments"),
                        "$",
                        "arguments",
                    )
                if not is_valid(value):
                    self._explain_single(compiled, value, count)

            return validate_single
        if self._shape is ArgumentShape.TUPLE:

            def validate_tuple(args: tuple[Any, ...]) -> None:
                value = list(args)
                if not is_valid(value):
                    self._explain_tuple(compiled, value)

            return validate_tuple

        def validate_list(args: tuple[Any, ...]) -> None:
            if len(args) == 1 and isinstance(args[0], (list, tuple)):
                value: Any = args[0]
            else:
                value = list(args)
            if not is_valid(value):
                self._explain(compiled.failure(value))

        return validate_list

    def _explain_single(self, compiled: CompiledSchema, value: Any, count: int) -> NoReturn:
        failure = compiled.failure(value)
        if failure is not None and count == 0:
            message = f"no argument given, validated as null: {failure.message}"
            self._fail(self._with_rule(message, failure.rule), failure.json_path, failure.rule)
        self._explain(failure)

    def _explain_tuple(self, compiled: CompiledSchema, value: list[Any]) -> NoReturn:
        bounds = _arity(compiled.schema)
        count = len(value)
        low, high = bounds
        if count < low or (high is not None and count > high):
            max_items = compiled.schema.get("maxItems")
            if count < low:
                rule = "minItems"
            elif (
                isinstance(max_items, int) and not isinstance(max_items, bool) and count > max_items
            ):
                rule = "maxItems"
            else:
                rule = "items"
            message = self._with_rule(f"expected {_expected(bounds)}, got {count}", rule)
            self._fail(message, "$", rule)
        self._explain(compiled.failure(value))

    def _explain(self, failure: SchemaFailure | None) -> NoReturn:
        if failure is None:
            # is_valid said no and the explanation says yes: only a concurrent change of a
            # mutable argument gets here.
            message = self._with_rule(f"{self._what} changed while being validated", "arguments")
            self._fail(message, "$", "arguments")
        if failure.rule == "depth":
            message = f"{self._what} nested too deeply (more than {MAX_DEPTH} levels; rule: depth)"
        else:
            message = self._with_rule(failure.message, failure.rule)
        self._fail(message, failure.json_path, failure.rule)

    def _with_rule(self, message: str, rule: str) -> str:
        return f"invalid {self._what}: {message} (rule: {rule})"

    def _fail(self, message: str, path: str, rule: str) -> NoReturn:
        raise self._exception_type(
            message, namespace=self._namespace, event=self._event, path=path, rule=rule
        )


def _accept(args: tuple[Any, ...]) -> None:
    """The arguments of an event without a schema are not validated."""


def _arity(schema: Mapping[str, Any]) -> tuple[int, int | None]:
    """How many positional arguments a tuple schema admits: ``(least, most or None)``."""
    low = schema.get("minItems", 0)
    high = schema.get("maxItems")
    if schema.get("items") is False or schema.get("unevaluatedItems") is False:
        prefix = len(schema.get("prefixItems", ()))
        high = prefix if high is None else min(high, prefix)
    low = low if isinstance(low, int) and not isinstance(low, bool) else 0
    if not isinstance(high, int) or isinstance(high, bool):
        high = None
    return low, high


def _expected(bounds: tuple[int, int | None]) -> str:
    low, high = bounds
    if high == low:
        return f"{low} argument{'' if low == 1 else 's'}"
    if high is None:
        return f"at least {low} argument{'' if low == 1 else 's'}"
    if low == 0:
        return f"at most {high} argument{'' if high == 1 else 's'}"
    return f"{low} to {high} arguments"
