"""The spec layer: reads AsyncAPI 2.0–2.6 and 3.0 documents into one version-neutral model.

:func:`load_spec` is the entry point; :mod:`asynction.spec.model` holds what it returns.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from asynction.exceptions import SpecError, SpecLocation
from asynction.spec.loader import MAX_NESTING, check_shape, read_file
from asynction.spec.model import (
    MAIN_NAMESPACE,
    Api,
    ConnectBindings,
    Direction,
    Event,
    JsonSchema,
    Namespace,
    NamespaceHandlers,
    SecurityRequirement,
    SecurityScheme,
    Server,
)

__all__ = [
    "MAIN_NAMESPACE",
    "Api",
    "ConnectBindings",
    "Direction",
    "Event",
    "JsonSchema",
    "Namespace",
    "NamespaceHandlers",
    "SecurityRequirement",
    "SecurityScheme",
    "Server",
    "SpecSource",
    "load_spec",
]

SpecSource = str | os.PathLike[str] | Mapping[str, Any]
"""A spec given as a path (``str`` or path-like) or as an already-parsed mapping."""

MAPPING_LABEL = "<mapping>"


def load_spec(
    source: SpecSource,
    *,
    base_path: str | os.PathLike[str] | None = None,
    ref_root: str | os.PathLike[str] | None = None,
) -> Api:
    """Load, check and normalise an AsyncAPI document.

    :param source: a YAML or JSON file path, or an already-parsed document mapping.
    :param base_path: for a mapping, the file that relative ``$ref``s are resolved against
        (default: a file in the current directory).
    :param ref_root: the directory that ``$ref``s may read files from (default: the directory of
        the document). References outside it are refused.
    :raises SpecError: naming the file, the JSON pointer and what is wrong.
    """
    # Loading builds hundreds of thousands of small containers and frees none of them: the cyclic
    # garbage collector would re-scan them again and again (3x the load time on large specs).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(source, base_path=base_path, ref_root=ref_root)
    except RecursionError:
        # Documents are bounded to MAX_NESTING levels before anything walks them; this is the
        # backstop for a caller already deep in its own stack.
        label = MAPPING_LABEL if isinstance(source, Mapping) else str(source)
        raise SpecError.at(
            SpecLocation(label),
            f"the document is nested too deeply to be processed (at most {MAX_NESTING} levels)",
        ) from None
    finally:
        if collecting:
            gc.enable()


def _load(
    source: SpecSource,
    *,
    base_path: str | os.PathLike[str] | None,
    ref_root: str | os.PathLike[str] | None,
) -> Api:
    from asynction.spec.normalise import normalise
    from asynction.spec.refs import Resolver
    from asynction.spec.structure import check_structure

    document: Any
    if isinstance(source, Mapping):
        document = source
        file = MAPPING_LABEL
        check_shape(document, file=file)
        path = Path(base_path) if base_path is not None else Path.cwd() / "asyncapi.yaml"
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        file = str(path)
        document = read_file(path)
    else:
        raise TypeError(f"spec must be a path or a mapping, not {type(source).__name__}")
    if not isinstance(document, Mapping):
        raise SpecError.at(
            SpecLocation(file),
            f"an AsyncAPI document must be a mapping, got {type(document).__name__}",
        )
    check_structure(document, file=file)
    resolver = Resolver(
        document,
        file=file,
        base_path=path,
        ref_root=Path(ref_root) if ref_root is not None else path.resolve().parent,
    )
    return normalise(resolver, str(document["asyncapi"]))
