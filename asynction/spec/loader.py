"""Reading AsyncAPI documents from disk: YAML (libyaml's C loader when present) or JSON.

YAML is read with the YAML 1.2 core schema's notion of booleans (only ``true``/``false``), no
timestamps (dates stay strings, as they would in JSON) and string mapping keys, so that a YAML
document means what the same document written as JSON means.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

import yaml

from asynction.exceptions import SpecError, SpecLocation

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

MAX_EXPANDED_NODES = 2_000_000
"""Guards against alias bombs ("billion laughs"): YAML aliases share one object, but everything that
walks the document (bundling, JSON output) would see the expanded tree, so its size is bounded."""

_ANCHOR = re.compile(r"&[^\s\[\]{},]+")


class _DocumentLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader with JSON-compatible scalars."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
        first: [
            (tag, pattern)
            for tag, pattern in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
        ]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        if all(type(key) is str for key in mapping):
            return mapping  # type: ignore[no-any-return]
        return {_key_text(key): value for key, value in mapping.items()}


for _first in "tTfF":
    _DocumentLoader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0,
        (
            "tag:yaml.org,2002:bool",
            re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        ),
    )


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SCALAR_TAGS = frozenset(
    {
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    }
)


class _UnusualNode(Exception):
    """A node the fast path does not build (merge keys, explicit tags): use the full constructor."""


def _load_yaml(text: str) -> Any:
    """Parse YAML: libyaml composes the node tree, and a lean builder turns it into Python values.

    PyYAML's generic constructor costs more than the parse itself on large documents; AsyncAPI
    documents use plain maps, lists and scalars, which this builds directly. Anything else (merge
    keys, explicit tags) goes through PyYAML's constructor, with identical results.
    """
    loader = _DocumentLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _build(node, loader, {})
        except _UnusualNode:
            return loader.construct_document(node)
    finally:
        loader.dispose()


def _build(node: yaml.Node, loader: _DocumentLoader, built: dict[int, Any]) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag in _SCALAR_TAGS:
        return loader.construct_object(node)
    shared = built.get(id(node))
    if shared is not None:
        return shared  # an alias: the same node object again
    if tag == _MAP:
        mapping: dict[str, Any] = {}
        built[id(node)] = mapping
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _UnusualNode
            key = _build(key_node, loader, built)
            mapping[key if type(key) is str else _key_text(key)] = _build(value_node, loader, built)
        return mapping
    if tag == _SEQ:
        sequence: list[Any] = []
        built[id(node)] = sequence
        sequence.extend(_build(item, loader, built) for item in node.value)
        return sequence
    raise _UnusualNode


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def parse_text(text: str, *, file: str, json_only: bool = False) -> Any:
    """Parse a document's text, raising :class:`SpecError` with line and column on malformed input."""
    if json_only:
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise SpecError.at(
                SpecLocation(file),
                f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}",
            ) from None
    try:
        document = _load_yaml(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "cannot parse"
        raise SpecError.at(SpecLocation(file), f"malformed YAML{where}: {problem}") from None
    except yaml.YAMLError as error:
        raise SpecError.at(SpecLocation(file), f"malformed YAML: {error}") from None
    except RecursionError:
        raise SpecError.at(SpecLocation(file), "YAML nested too deeply") from None
    if _ANCHOR.search(text) and _expanded_size(document) > MAX_EXPANDED_NODES:
        raise SpecError.at(
            SpecLocation(file),
            f"YAML aliases expand to more than {MAX_EXPANDED_NODES} values: refusing an alias bomb",
        )
    return document


def _expanded_size(document: Any) -> int:
    """How many values the document has once every alias is expanded (memoised per shared object)."""
    sizes: dict[int, int] = {}

    def size(value: Any) -> int:
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            return 1
        known = sizes.get(id(value))
        if known is not None:
            return known
        sizes[id(value)] = MAX_EXPANDED_NODES + 1  # a cycle counts as infinite
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                break
        sizes[id(value)] = total
        return total

    try:
        return size(document)
    except RecursionError:
        return MAX_EXPANDED_NODES + 1


def read_file(path: Path) -> Any:
    """Read and parse one file: JSON for ``.json``, YAML otherwise."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError.at(SpecLocation(file), "file not found") from None
    except IsADirectoryError:
        raise SpecError.at(SpecLocation(file), "is a directory, not a file") from None
    except UnicodeDecodeError as error:
        raise SpecError.at(SpecLocation(file), f"not UTF-8 text: {error.reason}") from None
    except OSError as error:
        raise SpecError.at(SpecLocation(file), f"cannot read file: {error.strerror}") from None
    return parse_text(text, file=file, json_only=path.suffix.lower() == ".json")
