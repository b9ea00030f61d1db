"""Every validator a document needs, built and compiled at once, so that a bad schema fails loading.

jsonschema_rs compiles schemas lazily (see :class:`CompiledSchema`): left to the first message, an
invalid schema (``pattern: "(x"``, ``type: 5``) surfaces as a ``SpecError`` in the middle of
serving. :func:`compile_validators` compiles the payload and ack schema of every event (both
directions, every namespace) and the ``bindings.ws`` query and headers schema of every namespace,
and raises one :class:`SpecError` listing every schema that does not compile. The server validates
with the validators it returns, so nothing is compiled twice; ``asynction check`` calls
:func:`check_schemas`, the same function, so the command and the server agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from asynction.exceptions import MessageAckValidationException, SpecError, SpecLocation
from asynction.spec.model import Api, Direction, Event, JsonSchema, Namespace
from asynction.validation.arguments import ArgumentsValidator
from asynction.validation.bindings import BindingsValidator
from asynction.validation.schema import CompiledSchema

__all__ = ["ApiValidators", "check_schemas", "compile_validators"]

_INVALID = "invalid JSON Schema"
"""How :class:`CompiledSchema` starts the message of a schema jsonschema_rs refuses."""

_EventKey = tuple[str, Direction, str]


class ApiValidators:
    """The payload and ack validators of every event of a document and the bindings validator of
    every namespace, their schemas compiled. Made by :func:`compile_validators`."""

    __slots__ = ("_bindings", "_events")

    def __init__(
        self,
        events: Mapping[
            _EventKey, tuple[Event, ArgumentsValidator | None, ArgumentsValidator | None]
        ],
        bindings: Mapping[str, tuple[Namespace, BindingsValidator]],
    ) -> None:
        self._events = events
        self._bindings = bindings

    def payload(self, namespace: str, event: Event) -> ArgumentsValidator | None:
        """The validator of ``event``'s payload in ``namespace``; ``None`` when it has no schema.

        An event that is not the document's (a subclass may register a changed copy) gets a new
        validator for the schema it carries, compiled on first use.
        """
        found = self._events.get((namespace, event.direction, event.name))
        if found is not None and found[0].payload is event.payload:
            return found[1]
        return _payload_validator(event.payload, namespace, event)

    def ack(self, namespace: str, event: Event) -> ArgumentsValidator | None:
        """The validator of ``event``'s ack arguments in ``namespace``; ``None`` without an ack
        schema. As for :meth:`payload`, an event that is not the document's gets a new one."""
        found = self._events.get((namespace, event.direction, event.name))
        if found is not None and found[0].ack is event.ack:
            return found[2]
        return _ack_validator(event.ack, namespace, event)

    def bindings(self, namespace: Namespace) -> BindingsValidator | None:
        """The validator of the connect request of ``namespace``; ``None`` without
        ``bindings.ws``. A namespace that is not the document's gets a new one."""
        if namespace.bindings is None:
            return None
        found = self._bindings.get(namespace.name)
        if found is not None and found[0].bindings is namespace.bindings:
            return found[1]
        return BindingsValidator(
            namespace.bindings, namespace=namespace.name, location=namespace.bindings.location
        )


def compile_validators(api: Api) -> ApiValidators:
    """Build the validators of every event and namespace of ``api`` and compile their schemas.

    A schema shared by several events (one message referenced from two channels) is compiled once.

    :raises SpecError: one or more schemas do not compile; every one of them is listed, located by
        the JSON pointer of the schema in the document (the message's ``payload``, its
        ``x-ack/args``, the 3.0 operation's ``reply``, the channel's ``bindings/ws/query``…) with
        what jsonschema_rs says is wrong.
    """
    problems: list[tuple[SpecLocation, str]] = []
    compiled: dict[int, CompiledSchema] = {}
    events: dict[_EventKey, tuple[Event, ArgumentsValidator | None, ArgumentsValidator | None]] = {}
    bindings: dict[str, tuple[Namespace, BindingsValidator]] = {}
    for namespace, event in _events(api):
        name = namespace.name
        parts: list[ArgumentsValidator | None] = []
        for part, schema in (("payload", event.payload), ("ack", event.ack)):
            if schema is None:
                parts.append(None)
                continue
            # Bundled schemas are cached per definition by the loader: sharing the compiled schema
            # by identity compiles a message used by several channels once, and reports it once.
            shared = compiled.get(id(schema))
            if shared is None:
                shared = compiled[id(schema)] = CompiledSchema(schema)
                try:
                    shared.compile()
                except SpecError as error:
                    direction = event.direction.value
                    subject = f"{part} of {direction} event {event.name!r} in namespace {name!r}"
                    location = _schema_location(api, event, part)
                    problems.extend((location, _about(subject, text)) for _, text in error.problems)
            if part == "payload":
                parts.append(_payload_validator(shared, name, event))
            else:
                parts.append(_ack_validator(shared, name, event))
        events[(name, event.direction, event.name)] = (event, parts[0], parts[1])
    for namespace in api.namespaces:
        if namespace.bindings is None:
            continue
        validator = BindingsValidator(
            namespace.bindings, namespace=namespace.name, location=namespace.bindings.location
        )
        try:
            validator.compile()
        except SpecError as error:
            for location, text in error.problems:
                part = location.pointer.rsplit("/", 1)[-1]
                subject = f"bindings.ws {part} of namespace {namespace.name!r}"
                problems.append((location, _about(subject, text)))
        bindings[namespace.name] = (namespace, validator)
    if problems:
        count = len(problems)
        schemas = "JSON Schema" if count == 1 else "JSON Schemas"
        raise SpecError(problems, summary=f"{count} invalid {schemas} in the AsyncAPI document")
    return ApiValidators(events, bindings)


def check_schemas(api: Api) -> None:
    """Compile every schema ``api`` validates with, as :func:`compile_validators` does.

    :raises SpecError: one or more schemas do not compile (all are listed).
    """
    compile_validators(api)


def _events(api: Api) -> Iterator[tuple[Namespace, Event]]:
    for namespace in api.namespaces:
        for event in namespace.incoming:
            yield namespace, event
        for event in namespace.outgoing:
            yield namespace, event


def _payload_validator(
    schema: JsonSchema | CompiledSchema | None, namespace: str, event: Event
) -> ArgumentsValidator | None:
    if schema is None:
        return None
    return ArgumentsValidator(
        schema, namespace=namespace, event=event.name, location=event.location.child("payload")
    )


def _ack_validator(
    schema: JsonSchema | CompiledSchema | None, namespace: str, event: Event
) -> ArgumentsValidator | None:
    if schema is None:
        return None
    return ArgumentsValidator(
        schema,
        namespace=namespace,
        event=event.name,
        exception_type=MessageAckValidationException,
        what="ack",
        location=event.location,
    )


def _about(subject: str, message: str) -> str:
    """``invalid JSON Schema at /type: …`` → ``invalid JSON Schema (payload of …) at /type: …``."""
    if message.startswith(_INVALID):
        return f"{_INVALID} ({subject}){message[len(_INVALID) :]}"
    return f"{subject}: {message}"


def _schema_location(api: Api, event: Event, part: str) -> SpecLocation:
    """Where the ``part`` (``payload`` or ``ack``) schema of ``event`` is written in the document.

    Worked out only for a schema that does not compile: the model keeps where each message is
    defined, not where its schemas are.
    """
    version_3 = api.asyncapi_version.startswith("3")
    if part == "payload":
        location = event.location.child("payload")
        if version_3 and location.file == api.source:
            # A 3.0 multi-format payload holds the schema under `schema`, beside `schemaFormat`.
            node = _at(api.document, location.pointer)
            if isinstance(node, Mapping) and "schemaFormat" in node and "schema" in node:
                location = location.child("schema")
        return location
    if not version_3:
        return event.location.child("x-ack", "args")
    # 3.0: the ack is the operation's reply; the operation is named by its key or operationId.
    operations = api.document.get("operations")
    if isinstance(operations, Mapping) and event.operation_id is not None:
        for key, operation in operations.items():
            if key == event.operation_id or (
                isinstance(operation, Mapping)
                and operation.get("operationId") == event.operation_id
            ):
                return SpecLocation(api.source).child("operations", str(key), "reply")
    return event.location


def _at(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer of ``document``, or ``None``."""
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = node.get(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node
