"""Exceptions raised by asynction.

Load-time problems with a specification raise :class:`SpecError` (or a subclass); run-time
validation and security failures raise the seed's exception types, all of them
:class:`AsynctionException` subclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

__all__ = [
    "AsynctionException",
    "BindingsValidationException",
    "HandlerImportError",
    "MessageAckValidationException",
    "PayloadValidationException",
    "SecurityException",
    "SpecError",
    "SpecLocation",
    "ValidationException",
]


class AsynctionException(Exception):
    """The base class for all asynction runtime exceptions."""


class SpecLocation:
    """Where something stands in a specification: a file (or ``<mapping>``) and a JSON pointer."""

    __slots__ = ("file", "pointer")

    def __init__(self, file: str, pointer: str = "") -> None:
        self.file = file
        self.pointer = pointer

    def child(self, *tokens: str | int) -> SpecLocation:
        """The location of a value below this one."""
        escaped = (str(token).replace("~", "~0").replace("/", "~1") for token in tokens)
        return SpecLocation(self.file, "/".join((self.pointer, *escaped)))

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer or '/'}"

    def __repr__(self) -> str:
        return f"SpecLocation({self.file!r}, {self.pointer!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SpecLocation)
            and other.file == self.file
            and other.pointer == self.pointer
        )

    def __hash__(self) -> int:
        return hash((self.file, self.pointer))


class SpecError(AsynctionException):
    """A specification could not be loaded: unreadable, malformed, invalid, inconsistent.

    ``problems`` holds one ``(location, message)`` pair per problem found; the exception's text lists them,
    each as ``file#/json/pointer: what is wrong``.
    """

    def __init__(self, problems: Sequence[tuple[SpecLocation, str]], summary: str = "") -> None:
        self.problems = tuple(problems)
        lines = [f"{location}: {message}" for location, message in self.problems]
        head = summary or "cannot load AsyncAPI document"
        text = head + ":\n  " + "\n  ".join(lines) if lines else head
        super().__init__(text)

    @classmethod
    def at(cls, location: SpecLocation, message: str) -> SpecError:
        """A single problem at one location."""
        return cls([(location, message)])


class HandlerImportError(SpecError):
    """A dotted path named by the spec (a handler, an info function) does not import."""


class ValidationException(AsynctionException):
    """The base class for all asynction validation exceptions.

    Carries the namespace and event concerned, the JSON path of the offending value inside the
    arguments (``$.user.age`` inside a single argument, ``$[1].age`` inside the second of several) and
    the failing rule.
    """

    def __init__(
        self,
        message: str,
        *,
        namespace: str | None = None,
        event: str | None = None,
        path: str = "$",
        rule: str | None = None,
    ) -> None:
        self.namespace = namespace
        self.event = event
        self.path = path
        self.rule = rule
        self.reason = message
        where = []
        if namespace is not None:
            where.append(f"namespace {namespace!r}")
        if event is not None:
            where.append(f"event {event!r}")
        prefix = ", ".join(where)
        location = f" at {path}" if path else ""
        super().__init__(f"{prefix}{location}: {message}" if prefix else f"{path}: {message}")


class PayloadValidationException(ValidationException):
    """Raised when the payload of an incoming or outgoing message fails the schema validation."""


class BindingsValidationException(ValidationException):
    """Raised when the HTTP bindings of an incoming connection fail the schema validation."""


class MessageAckValidationException(ValidationException):
    """Raised when the arguments passed to an ack callback do not adhere to the ack schema."""


def _security_exception() -> type[AsynctionException]:
    # Built on first use: it must subclass Socket.IO's ConnectionRefusedError, and importing
    # socketio costs ~150 ms that loading a spec or running `asynction check` should not pay.
    from socketio.exceptions import ConnectionRefusedError as SocketIOConnectionRefusedError

    class SecurityException(
        AsynctionException,
        ConnectionRefusedError,
        SocketIOConnectionRefusedError,  # type: ignore[misc]
    ):
        """Raised when an incoming connection fails every security requirement that applies to it.

        It is both Python's ``ConnectionRefusedError`` and Socket.IO's, so Flask-SocketIO refuses
        the connection with a CONNECT_ERROR carrying this exception's message.
        """

        def __init__(self, message: str = "unauthorized") -> None:
            SocketIOConnectionRefusedError.__init__(self, message)
            self.message = message

        def __str__(self) -> str:
            return str(self.message)

    SecurityException.__module__ = __name__
    SecurityException.__qualname__ = "SecurityException"
    return SecurityException


if TYPE_CHECKING:

    class SecurityException(AsynctionException, ConnectionRefusedError):
        """Raised when an incoming connection fails every security requirement that applies to it.

        It is both Python's ``ConnectionRefusedError`` and Socket.IO's, so Flask-SocketIO refuses
        the connection with a CONNECT_ERROR carrying this exception's message.
        """

        message: str

        def __init__(self, message: str = "unauthorized") -> None: ...


def __getattr__(name: str) -> Any:
    if name == "SecurityException":
        cls = _security_exception()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
