"""Python names for the things of a spec: model classes, server methods, namespaces.

Names are derived from the spec deterministically (same spec, same names) and made unique within
their scope by :class:`NameAllocator`, in the order they are requested.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["NameAllocator", "namespace_words", "pascal_case", "snake_case"]

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|[^A-Za-z0-9]|$)|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+")
"""Words of an identifier-ish text: ``newMessage`` → new, Message; ``HTTPServer`` → HTTP, Server;
``chat-v2`` → chat, v2."""


def _words(text: str) -> list[str]:
    # Accented letters keep their base letter (é → e) rather than disappearing.
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _WORD.findall(ascii_text)


def pascal_case(text: str, default: str = "Model") -> str:
    """``send message`` → ``SendMessage``; ``user.joined`` → ``UserJoined``; keeps ``HTTPServer``."""
    words = _words(text)
    name = "".join(word[:1].upper() + word[1:] for word in words) or default
    if name and name[0].isdigit():
        name = f"{default}{name}"
    return name


def snake_case(text: str, default: str = "event") -> str:
    """``send message`` → ``send_message``; ``newMessage`` → ``new_message``; ``/`` → ``event``."""
    name = "_".join(word.lower() for word in _words(text)) or default
    if name and name[0].isdigit():
        name = f"{default}_{name}"
    return name


def namespace_words(namespace: str) -> str:
    """The words of a namespace for names: ``/chat/rooms`` → ``chat rooms``; ``/`` → ``""``."""
    return " ".join(_words(namespace))


class NameAllocator:
    """Hands out unique Python identifiers within one scope.

    A taken name gets ``suffix`` (once), then a number: ``on_error`` → ``on_error_hook`` →
    ``on_error_hook_2``; class names get no separator: ``Sample`` → ``Sample2``.
    """

    def __init__(self, reserved: Iterable[str] = (), *, separator: str = "_") -> None:
        self._taken = set(reserved)
        self._separator = separator

    def reserve(self, name: str) -> None:
        """Mark ``name`` as taken."""
        self._taken.add(name)

    def __contains__(self, name: object) -> bool:
        return name in self._taken

    def allocate(self, wanted: str, *, suffix: str = "") -> str:
        """A name not handed out before: ``wanted`` if free, else a variant of it."""
        candidates = [wanted]
        if suffix:
            candidates.append(
                f"{wanted}{self._separator}{suffix}" if self._separator else wanted + suffix
            )
        for candidate in candidates:
            if self._free(candidate):
                self._taken.add(candidate)
                return candidate
        base = candidates[-1]
        number = 2
        while not self._free(f"{base}{self._separator}{number}"):
            number += 1
        name = f"{base}{self._separator}{number}"
        self._taken.add(name)
        return name

    def _free(self, name: str) -> bool:
        return name not in self._taken and not keyword.iskeyword(name) and name.isidentifier()
