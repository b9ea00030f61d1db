"""Socket.IO packets as asynction reads and writes them: strict JSON, answerable bad data.

:class:`PacketJSON` is the JSON module of every packet (no ``NaN``, no 100-digit integers, never a
``RecursionError``); :class:`JsonPacket` is python-socketio's packet with a faster binary-data
check, which turns data that does not decode into an :class:`UndecodablePayload` that the server
answers through its error path. :class:`~asynction.AsynctionSocketIO` installs both unless the
application passes its own ``serializer`` or ``json``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from socketio import packet as packets
from socketio.packet import Packet

__all__ = ["JsonPacket", "NotJSONError", "PacketJSON", "UndecodablePayload"]

_JSON_LEAVES = frozenset({str, int, float, bool, type(None)})

_EVENT_NAME = re.compile(r'\s*\[\s*("(?:[^"\\]|\\.){0,256}")\s*[,\]]')
"""The event name at the start of an event packet's data (``["name", ...``), read without decoding
the rest: data too deep (or too broken) to decode can still be answered as that event."""

_MAX_INT_DIGITS = 100
"""Integers of more digits are refused when decoding packets (Engine.IO's own rule: converting a
huge digit string costs quadratic time)."""


class NotJSONError(ValueError):
    """Packet data that is not JSON: malformed, nested too deeply, ``NaN``/``Infinity``, or an
    integer of more than 100 digits."""

    def __init__(self, reason: str, rule: str, text: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rule = rule
        """``json``, or ``depth`` for data nested deeper than the decoder goes."""
        self.text = text


def _bounded_int(digits: str) -> int:
    if len(digits) > _MAX_INT_DIGITS:
        raise ValueError(f"an integer of more than {_MAX_INT_DIGITS} digits")
    return int(digits)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class PacketJSON:
    """The JSON module of Socket.IO and Engine.IO packets: the standard library's, refusing what
    is not JSON with :class:`NotJSONError` (a ``ValueError``), never ``RecursionError``.

    Python's decoder accepts ``NaN`` and ``Infinity`` and raises ``RecursionError`` on data nested
    about a thousand levels deep, which python-socketio lets escape into a worker thread. Installed
    as the server's ``json`` option unless another is given (python-socketio then uses it for
    Engine.IO packets too, process-wide). Decoding reuses one decoder, as ``json.loads`` does
    without options, where python-engineio's module builds one per packet: it is faster.
    """

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        """``json.loads``, strict: no ``NaN``/``Infinity``, integers of at most 100 digits."""
        try:
            if kwargs:
                options = {"parse_int": _bounded_int, "parse_constant": _no_constant, **kwargs}
                return json.loads(text, **options)
            return _decode(text if isinstance(text, str) else text.decode("utf-8"))
        except RecursionError:
            raise NotJSONError("data nested too deeply to decode", "depth", _text(text)) from None
        except json.JSONDecodeError as error:
            reason = f"not valid JSON ({error.msg} at column {error.colno})"
            raise NotJSONError(reason, "json", _text(text)) from None
        except ValueError as error:  # parse_int, parse_constant, bytes that are not UTF-8
            raise NotJSONError(f"not valid JSON ({error})", "json", _text(text)) from None


_decode = json.JSONDecoder(parse_int=_bounded_int, parse_constant=_no_constant).decode


def _text(text: str | bytes) -> str:
    return text if isinstance(text, str) else text.decode("utf-8", "replace")


class UndecodablePayload:
    """Stands for the arguments of an incoming packet that are not JSON data.

    An event packet whose data does not decode (or that carries binary attachments where its
    payload is declared JSON) reaches the event with this as its only argument; the server then
    answers it through the error path (:class:`PayloadValidationException`) without running the
    handler. A connection payload (``auth``) that does not decode refuses the connection.
    """

    __slots__ = ("reason", "rule")

    def __init__(self, reason: str, rule: str = "json") -> None:
        self.reason = reason
        self.rule = rule

    def __repr__(self) -> str:
        return f"UndecodablePayload({self.reason!r})"


class JsonPacket(Packet):  # type: ignore[misc]
    """python-socketio's default (JSON) packet with a faster binary check and strict decoding.

    python-socketio walks the data of every packet it sends looking for ``bytes`` (to choose a
    binary packet type), recursively, building a list per container: for a 15-field payload that
    costs more than validating it. This walk gives the same answer (``bytes`` or ``bytearray``
    anywhere in nested lists and dict values; like python-socketio's, it does not enter tuples)
    iteratively and skipping JSON scalars at once: two to six times faster, and no recursion
    limit. Installed unless another ``serializer`` is given.

    Incoming data that is not JSON (see :class:`PacketJSON`) becomes an
    :class:`UndecodablePayload` for the event, ack or connection it belongs to, so that it is
    answered instead of ending in a traceback; an event packet that names no event is refused
    with one ``ValueError`` (which python-engineio logs). Binary attachments sent with an event
    listed in :attr:`json_only_events` become an :class:`UndecodablePayload` too.
    """

    json = PacketJSON
    json_only_events: frozenset[tuple[str, str]] = frozenset()
    """``(namespace, event)`` pairs whose payload is JSON: binary attachments are refused."""

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        """Whether ``data`` holds ``bytes`` or ``bytearray`` values (in lists and dict values)."""
        leaves = _JSON_LEAVES
        if type(data) in leaves:  # no data at all (every incoming packet), or one scalar
            return False
        stack = [data]
        pop = stack.pop
        push = stack.extend
        while stack:
            item = pop()
            if type(item) in leaves:
                continue
            if isinstance(item, dict):
                push(item.values())
            elif isinstance(item, list):
                push(item)
            elif isinstance(item, (bytes, bytearray)):
                return True
        return False

    def decode(self, encoded_packet: Any) -> int:
        """Decode a packet; data that is not JSON becomes an :class:`UndecodablePayload`."""
        try:
            attachments: int = super().decode(encoded_packet) or 0
        except NotJSONError as error:
            attachments = self._undecodable(encoded_packet, error)
        except RecursionError:  # a JSON module of the application's
            too_deep = NotJSONError("data nested too deeply to decode", "depth", "")
            attachments = self._undecodable(encoded_packet, too_deep)
        kind = self.packet_type
        if kind == packets.EVENT or kind == packets.BINARY_EVENT:
            data = self.data
            if type(data) is not list or not data or type(data[0]) is not str:
                raise ValueError(
                    f"malformed event packet in namespace {self.namespace or '/'!r}: "
                    "its data must be a list starting with the event name"
                )
        return attachments

    def _undecodable(self, encoded_packet: Any, error: NotJSONError) -> int:
        payload: Any = UndecodablePayload(error.reason, error.rule)
        kind = self.packet_type
        if kind == packets.EVENT or kind == packets.BINARY_EVENT:
            found = _EVENT_NAME.match(error.text)
            if found is None:
                raise ValueError(
                    f"undecodable event packet in namespace {self.namespace or '/'!r}: "
                    f"{error.reason}, and no event name to answer"
                ) from None
            self.data = [json.loads(found[1]), payload]
        elif kind == packets.ACK or kind == packets.BINARY_ACK:
            self.data = [payload]
        elif kind == packets.CONNECT:
            self.data = payload
        else:
            raise ValueError(f"undecodable Socket.IO packet: {error.reason}") from None
        header = re.match(r"[56](\d{1,10})-", encoded_packet)
        return int(header[1]) if header else 0

    def add_attachment(self, attachment: Any) -> bool:
        """Add a binary attachment; once complete, refuse binary data for JSON-only events."""
        complete: bool = super().add_attachment(attachment)
        if complete and self.packet_type == packets.BINARY_EVENT and self.json_only_events:
            data = self.data
            if (self.namespace or "/", data[0]) in self.json_only_events:
                where = _binary_path(data[1:])
                reason = f"binary data at {where} of the arguments, where JSON is declared"
                self.data = [data[0], UndecodablePayload(reason)]
        return complete


def _binary_path(arguments: list[Any]) -> str:
    """The JSON path (in the argument list) of the first ``bytes`` value."""
    stack: list[tuple[str, Any]] = [("$", arguments)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, (bytes, bytearray)):
            return path
        if isinstance(value, dict):
            stack.extend((f"{path}.{key}", item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}[{index}]", item) for index, item in reversed(list(enumerate(value)))
            )
    return "$"
