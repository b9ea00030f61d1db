"""Importing the objects a specification names by dotted path (handlers, info functions)."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["import_dotted"]


def import_dotted(path: str) -> Any:
    """Import the object a dotted path names: ``package.module.attr`` or ``package.module:attr``.

    :raises ImportError: with a message saying what could not be imported and why.
    """
    if ":" in path:
        module_name, _, attributes = path.partition(":")
        module = importlib.import_module(module_name)
        return _get_attributes(module, module_name, attributes.split("."))
    parts = path.split(".")
    if len(parts) < 2 or not all(parts):
        raise ImportError(f"{path!r} is not a dotted path of the form module.attribute")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            missing = error.name or ""
            if missing == module_name or module_name.startswith(missing + "."):
                continue  # this prefix is not a module: try a shorter one
            raise  # the module exists but imports something missing
        if cut < len(parts) - 1 and not hasattr(module, parts[cut]):
            # a longer prefix was tried as a module and is neither a module nor an attribute
            raise ImportError(f"No module named {'.'.join(parts[: cut + 1])!r}")
        return _get_attributes(module, module_name, parts[cut:])
    raise ImportError(f"No module named {parts[0]!r}")


def _get_attributes(module: Any, module_name: str, attributes: list[str]) -> Any:
    value = module
    owner = module_name
    for attribute in attributes:
        try:
            value = getattr(value, attribute)
        except AttributeError:
            raise ImportError(f"{owner!r} has no attribute {attribute!r}") from None
        owner = f"{owner}.{attribute}"
    return value
