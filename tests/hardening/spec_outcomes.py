"""What every attempt to load a document must end in, and a record of the files it opened.

A load ends in an :class:`~asynction.spec.Api` whose schemas compile (or refuse to compile with a
located :class:`SpecError`) and whose stand-alone document is JSON, or in a :class:`SpecError`
naming at least one location. Anything else escaping is a defect of the spec layer.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from asynction.exceptions import AsynctionException, SpecError
from asynction.spec import Api
from asynction.validation import BindingsValidator, CompiledSchema

_PROBES: tuple[Any, ...] = (None, 0, 1.5, "", "x", [], [1, "a"], {}, {"a": 1}, True)

_recording = threading.local()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open":
        opened: list[str] | None = getattr(_recording, "opened", None)
        if opened is not None and isinstance(args[0], (str, bytes, Path)):
            opened.append(str(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed: it records only inside opened_files()


@contextmanager
def opened_files() -> Iterator[list[str]]:
    """Every path this thread opens inside the block (through ``open`` and ``io.open_code``)."""
    opened: list[str] = []
    _recording.opened = opened
    try:
        yield opened
    finally:
        _recording.opened = None


def check_outcome(load: Callable[[], Api]) -> Api | SpecError:
    """Run ``load``; assert it ends in a usable Api or a located SpecError; return which."""
    failure: AsynctionException | None = None
    try:
        api = load()
    except AsynctionException as error:
        failure = error
    if failure is not None:
        assert isinstance(failure, SpecError), f"{type(failure).__name__}: {failure}"
        assert failure.problems, f"a SpecError without problems: {failure}"
        for location, message in failure.problems:
            assert location.file, f"a problem without a file: {message}"
            assert message
        assert "#/" in str(failure), str(failure)
        return failure
    assert isinstance(api, Api)
    exercise(api)
    return api


def exercise(api: Api) -> None:
    """Use a loaded Api as the server and the docs would: compile every schema, validate a few
    values, build bindings validators, serialise the stand-alone document as strict JSON."""
    for namespace in api.namespaces:
        for event in (*namespace.incoming, *namespace.outgoing):
            for schema in (event.payload, event.ack):
                if schema is None:
                    continue
                compiled = CompiledSchema(schema)
                try:
                    compiled.compile()
                except SpecError:
                    continue
                for value in _PROBES:
                    if not compiled.is_valid(value):
                        compiled.failure(value)
        if namespace.bindings is not None:
            with contextlib.suppress(AsynctionException):
                BindingsValidator(namespace.bindings, namespace=namespace.name).validate(
                    {"REQUEST_METHOD": "GET", "QUERY_STRING": "a=1"}
                )
    try:
        standalone = api.standalone_document()
    except SpecError:
        return
    json.dumps(standalone, allow_nan=False)
