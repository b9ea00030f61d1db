"""Python source laid out as ``ruff format`` lays it out, for the code the generator writes itself.

A bracketed construct (a call, a collection, a signature) goes on one line when it fits within
:data:`LINE_LENGTH`; otherwise each element goes on a line of its own, followed by a comma. That
trailing comma is "magic" to ruff (and black): it keeps the construct exploded, so the output is a
fixed point of ``ruff format`` whether or not ruff is there to run.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LINE_LENGTH",
    "Atom",
    "Bracket",
    "Item",
    "Node",
    "call",
    "docstring",
    "layout",
    "literal",
    "string",
]

LINE_LENGTH = 100
INDENT = "    "


@dataclass(frozen=True)
class Atom:
    """Text that is never split."""

    text: str


@dataclass(frozen=True)
class Item:
    """One element of a bracketed construct: ``prefix`` (``"key": ``, ``name=``) then a node."""

    node: Node
    prefix: str = ""


@dataclass(frozen=True)
class Bracket:
    """``open`` items ``close``, split one item per line when it does not fit."""

    open: str
    items: tuple[Item, ...]
    close: str
    single_comma: bool = False
    """A one-element tuple: its comma is needed even on one line."""
    split_comma: bool = True
    """Whether an item split onto a line of its own ends with a comma: not for what a comma would
    change (the one type of a subscript ``X[...]``, the one base of a class)."""


Node = Atom | Bracket


def flat(node: Node) -> str:
    """The node on one line."""
    if isinstance(node, Atom):
        return node.text
    return _flat(node, {})


def _flat(node: Node, cache: dict[int, str]) -> str:
    if isinstance(node, Atom):
        return node.text
    known = cache.get(id(node))
    if known is not None:
        return known
    inner = ", ".join(item.prefix + _flat(item.node, cache) for item in node.items)
    if node.single_comma and len(node.items) == 1:
        inner += ","
    text = cache[id(node)] = f"{node.open}{inner}{node.close}"
    return text


def layout(node: Node, indent: int = 0, prefix: str = "", suffix: str = "") -> list[str]:
    """The lines of ``prefix`` + node + ``suffix`` at ``indent`` levels."""
    lines: list[str] = []
    _layout(node, indent, prefix, suffix, lines, {})
    return lines


def _layout(
    node: Node, indent: int, prefix: str, suffix: str, lines: list[str], cache: dict[int, str]
) -> None:
    pad = INDENT * indent
    if isinstance(node, Atom) or not node.items:
        lines.append(f"{pad}{prefix}{_flat(node, cache)}{suffix}")
        return
    # Only a node that may fit is flattened: deep nodes are not flattened over and over.
    width = len(pad) + len(prefix) + len(suffix)
    if width + _size(node, LINE_LENGTH - width + 1) <= LINE_LENGTH:
        lines.append(f"{pad}{prefix}{_flat(node, cache)}{suffix}")
        return
    lines.append(f"{pad}{prefix}{node.open}")
    comma = "," if node.split_comma else ""
    for item in node.items:
        _layout(item.node, indent + 1, item.prefix, comma, lines, cache)
    lines.append(f"{pad}{node.close}{suffix}")


def _size(node: Node, limit: int) -> int:
    """The length of the node on one line, counting no further than ``limit``."""
    if isinstance(node, Atom):
        return len(node.text)
    total = len(node.open) + len(node.close)
    if node.single_comma and len(node.items) == 1:
        total += 1
    for index, item in enumerate(node.items):
        if index:
            total += 2
        total += len(item.prefix) + _size(item.node, limit - total)
        if total > limit:
            return total
    return total


def call(function: str, *args: Node, **kwargs: Node) -> Bracket:
    """``function(args..., name=value...)``."""
    items = [Item(arg) for arg in args]
    items.extend(Item(value, f"{name}=") for name, value in kwargs.items())
    return Bracket(f"{function}(", tuple(items), ")")


def string(text: str) -> str:
    """A string literal as ruff writes it: double quotes unless the text holds only double ones."""
    quote = "'" if '"' in text and "'" not in text else '"'
    if text.isprintable() and quote not in text and "\\" not in text:
        return f"{quote}{text}{quote}"
    out = [quote]
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == quote:
            out.append("\\" + quote)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable():
            out.append(_escape(char))
        else:
            out.append(char)
    out.append(quote)
    return "".join(out)


def literal(value: Any, names: Mapping[type, str] | None = None) -> Node:
    """A node evaluating to ``value``: JSON-like data, tuples, enums and dataclasses (their
    compared fields that differ from the default, as keyword arguments; ``names`` gives the name
    to call each dataclass type by)."""
    if value is None or isinstance(value, bool):
        return Atom(repr(value))
    if isinstance(value, enum.Enum):
        return Atom(f"{type(value).__name__}.{value.name}")
    if isinstance(value, int):
        return Atom(repr(value))
    if isinstance(value, float):
        if math.isnan(value):
            return Atom('float("nan")')
        if math.isinf(value):
            return Atom('float("inf")' if value > 0 else 'float("-inf")')
        return Atom(repr(value))
    if isinstance(value, str):
        return Atom(string(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass(value, names or {})
    if isinstance(value, Mapping):
        return Bracket(
            "{",
            tuple(
                Item(literal(item, names), f"{flat(literal(key, names))}: ")
                for key, item in value.items()
            ),
            "}",
        )
    if isinstance(value, tuple):
        return Bracket(
            "(", tuple(Item(literal(item, names)) for item in value), ")", single_comma=True
        )
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return Bracket("[", tuple(Item(literal(item, names)) for item in value), "]")
    raise TypeError(f"cannot write a {type(value).__name__} value as Python source: {value!r}")


def _dataclass(value: Any, names: Mapping[type, str]) -> Node:
    kwargs: dict[str, Node] = {}
    for field in dataclasses.fields(value):
        if not field.compare:
            continue
        current = getattr(value, field.name)
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = dataclasses.MISSING
        if (
            default is not dataclasses.MISSING
            and current == default
            and type(current) is type(default)
        ):
            continue
        kwargs[field.name] = literal(current, names)
    return call(names.get(type(value), type(value).__name__), **kwargs)


def docstring(text: str, indent: int) -> list[str]:
    """The lines of a docstring holding ``text`` at ``indent`` levels (one line when it fits)."""
    pad = INDENT * indent
    body = _docstring_text(text)
    lines = body.split("\n")
    if len(lines) == 1:
        # ruff keeps a one-line docstring on one line, however long.
        return [f'{pad}"""{lines[0]}"""']
    out = [f'{pad}"""{lines[0]}']
    out.extend(f"{pad}{line}" if line else "" for line in lines[1:])
    out.append(f'{pad}"""')
    return out


def _docstring_text(text: str) -> str:
    lines = [line.rstrip() for line in text.expandtabs(4).strip("\n").split("\n")]
    # Dedent every line but the first, as ruff does.
    rest = [line for line in lines[1:] if line.strip()]
    margin = min((len(line) - len(line.lstrip()) for line in rest), default=0)
    lines = [lines[0].strip()] + [line[margin:] for line in lines[1:]]
    body = "\n".join(lines).strip()
    body = body.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    body = "".join(char if char.isprintable() or char == "\n" else _escape(char) for char in body)
    if body.endswith('"'):
        body += " "
    return body or "."


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
