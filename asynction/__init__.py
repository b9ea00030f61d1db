"""asynction: spec-first Socket.IO for Python.

An AsyncAPI document (2.0–2.6 or 3.0) becomes a Flask-SocketIO server that validates every
interaction, and typed Python code. Public names are imported lazily, so ``import asynction`` costs
little until a server is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "1.0.0.dev0"

_EXPORTS = {
    "AsynctionSocketIO": "asynction.server",
    "MockAsynctionSocketIO": "asynction.mock.server",
    "SecurityInfo": "asynction.types",
    "AsynctionException": "asynction.exceptions",
    "ValidationException": "asynction.exceptions",
    "PayloadValidationException": "asynction.exceptions",
    "BindingsValidationException": "asynction.exceptions",
    "MessageAckValidationException": "asynction.exceptions",
    "SecurityException": "asynction.exceptions",
    "SpecError": "asynction.exceptions",
    "load_spec": "asynction.spec",
}

__all__ = [
    "AsynctionException",
    "AsynctionSocketIO",
    "BindingsValidationException",
    "MessageAckValidationException",
    "MockAsynctionSocketIO",
    "PayloadValidationException",
    "SecurityException",
    "SecurityInfo",
    "SpecError",
    "ValidationException",
    "__version__",
    "load_spec",
]

if TYPE_CHECKING:
    from asynction.exceptions import (
        AsynctionException,
        BindingsValidationException,
        MessageAckValidationException,
        PayloadValidationException,
        SecurityException,
        SpecError,
        ValidationException,
    )
    from asynction.mock.server import MockAsynctionSocketIO
    from asynction.server import AsynctionSocketIO
    from asynction.spec import load_spec
    from asynction.types import SecurityInfo


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'asynction' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
