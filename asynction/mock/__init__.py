"""The mock server: an AsyncAPI document served as a live Socket.IO API of fake data.

:class:`~asynction.mock.server.MockAsynctionSocketIO` is the server (also ``asynction.
MockAsynctionSocketIO``); :class:`~asynction.mock.fakes.FakeData` makes the fake payloads and acks;
``asynction mock run`` (:mod:`asynction.mock.command`) serves a document from the command line.
Names are imported lazily, so that the command line starts quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["FakeData", "MockAsynctionSocketIO"]

_EXPORTS = {
    "FakeData": "asynction.mock.fakes",
    "MockAsynctionSocketIO": "asynction.mock.server",
}

if TYPE_CHECKING:
    from asynction.mock.fakes import FakeData
    from asynction.mock.server import MockAsynctionSocketIO


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'asynction.mock' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
