"""A guard against values nested too deeply for recursive schemas.

jsonschema_rs validates recursively on the native stack. Through a schema whose ``$ref``s form a
cycle, validation descends as deep as the value does, and a value nested some ten thousand levels
deep overflows the stack and kills the process (a segmentation fault, not an exception). A
non-recursive schema cannot descend further than the schema itself, so only recursive schemas need
the guard.

The guard is itself a (non-recursive) jsonschema_rs validator: ``MAX_DEPTH`` levels of
``items``/``additionalProperties`` chained through ``$defs``, which rejects any value with more
than ``MAX_DEPTH`` nested arrays or objects. Run before the real validator, it costs a fraction of
a validation pass, where a Python walk of the value costs several passes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

import jsonschema_rs

__all__ = ["MAX_DEPTH", "depth_probe", "is_recursive"]

MAX_DEPTH = 1000
"""How many arrays and objects may nest inside one another in a value checked by a recursive schema.

It matches Python's default recursion limit, so no value the ``json`` module can encode or decode
is refused; measured, jsonschema_rs needs under 512 KiB of stack for this depth."""

_REF_KEYWORDS = frozenset({"$ref", "$dynamicRef", "$recursiveRef"})

Pointer = tuple[str, ...]


@functools.cache
def depth_probe() -> Callable[[Any], bool]:
    """``is_valid`` of a validator accepting exactly the values nested at most ``MAX_DEPTH`` deep.

    Built once per process (about 20 ms), on first use.
    """
    defs: dict[str, Any] = {}
    for level in range(MAX_DEPTH):
        below = {"$ref": f"#/$defs/d{level + 1}"}
        defs[f"d{level}"] = {"items": below, "additionalProperties": below}
    defs[f"d{MAX_DEPTH}"] = {"type": ["string", "number", "boolean", "null"]}
    validator = jsonschema_rs.Draft202012Validator({"$defs": defs, "$ref": "#/$defs/d0"})
    check: Callable[[Any], bool] = validator.is_valid
    return check


def is_recursive(schema: Any) -> bool:
    """Whether validation through ``schema`` may descend without bound: its references form a cycle.

    References this cannot follow (anchors, ``$dynamicRef``, other documents, nested ``$id``s) are
    assumed to be recursive: a needless guard only costs time, a missing one crashes the process.
    """
    refs: list[tuple[Pointer, str]] = []
    for location, node in _objects(schema):
        if location and "$id" in node:
            return True
        for keyword in _REF_KEYWORDS.intersection(node):
            value = node[keyword]
            if keyword != "$ref" or not isinstance(value, str):
                return True
            refs.append((location, value))
    if not refs:
        return False
    targets: list[Pointer] = []
    for _, value in refs:
        target = _pointer(value)
        if target is None:
            return True
        targets.append(target)
    # An edge T -> U when the subschema at T holds a reference to U; a cycle means recursion.
    edges: dict[Pointer, set[Pointer]] = {target: set() for target in targets}
    for target in edges:
        for (location, _), destination in zip(refs, targets, strict=True):
            if location[: len(target)] == target:
                edges[target].add(destination)
    return _has_cycle(edges)


def _objects(schema: Any) -> Iterator[tuple[Pointer, Mapping[str, Any]]]:
    stack: list[tuple[Pointer, Any]] = [((), schema)]
    while stack:
        location, node = stack.pop()
        if isinstance(node, Mapping):
            yield location, node
            stack.extend(((*location, str(key)), value) for key, value in node.items())
        elif isinstance(node, (list, tuple)):
            stack.extend(((*location, str(index)), value) for index, value in enumerate(node))


def _pointer(reference: str) -> Pointer | None:
    """The tokens of a same-document JSON pointer reference (``#/$defs/a``), else ``None``."""
    if reference == "#":
        return ()
    if not reference.startswith("#/"):
        return None
    return tuple(
        unquote(token).replace("~1", "/").replace("~0", "~") for token in reference[2:].split("/")
    )


def _has_cycle(edges: Mapping[Pointer, set[Pointer]]) -> bool:
    done: set[Pointer] = set()
    for start in edges:
        if start in done:
            continue
        on_path = {start}
        stack = [(start, iter(edges[start]))]
        while stack:
            node, successors = stack[-1]
            for successor in successors:
                if successor in on_path:
                    return True
                if successor not in done and successor in edges:
                    on_path.add(successor)
                    stack.append((successor, iter(edges[successor])))
                    break
            else:
                stack.pop()
                on_path.discard(node)
                done.add(node)
    return False
