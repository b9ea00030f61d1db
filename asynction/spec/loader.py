"""Reading AsyncAPI documents from disk: YAML (libyaml's C loader when present) or JSON.

YAML is read with the YAML 1.2 core schema's notion of booleans (only ``true``/``false``), no
timestamps (dates stay strings, as they would in JSON) and string mapping keys, so that a YAML
document means what the same document written as JSON means.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
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

MAX_NESTING = 128
"""How deeply the mappings and lists of a document may nest. Real AsyncAPI documents stay within a
few dozen levels; the bound keeps every later walk of the document (structure check, ``$ref``
bundling, schema compilation, docs) far from Python's recursion limit, and hostile documents away
from libyaml's recursive composer, which a few tens of thousands of levels crash."""


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


for _first in "tTfF":
    _DocumentLoader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0,
        (
            "tag:yaml.org,2002:bool",
            re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        ),
    )


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_FLOAT = "tag:yaml.org,2002:float"
_COLLECTION_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_SCALAR_TAGS = frozenset(
    {
        "tag:yaml.org,2002:int",
        _FLOAT,
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    }
)
# Plain scalars YAML 1.1 gives a type JSON does not know: they stay the strings they are.
_TEXT_TAGS = frozenset({_MERGE, "tag:yaml.org,2002:value"})


class YamlRefused(Exception):
    """A YAML document that parses but is not JSON data (or is too deep): what, and where."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.mark = mark


class _Frame:
    """A mapping or list being built, with the key waiting for its value."""

    __slots__ = ("container", "is_map", "key", "merges")

    def __init__(self, container: Any, is_map: bool) -> None:
        self.container = container
        self.is_map = is_map
        self.key: Any = _NO_KEY
        self.merges: list[tuple[Any, Any]] | None = None


_NO_KEY: Any = object()
_MERGE_KEY: Any = object()


def _load_yaml(text: str) -> tuple[Any, bool]:
    """Parse YAML into plain dicts, lists and JSON scalars, from libyaml's event stream; and
    whether aliases share values in it.

    PyYAML's generic constructor costs more than the parse itself on large documents, and libyaml's
    composer recurses once per nesting level in C (a deep enough document overflows the stack).
    This builds values straight from the parser's events with an explicit stack: faster than
    composing nodes first, bounded in depth (:data:`MAX_NESTING`), and limited to what JSON can
    say. Anchors and aliases share one object; merge keys (``<<``) are applied; explicit tags other
    than the JSON types (``!!binary``, ``!!set``, ``!!timestamp``, custom ones), ``.nan``, ``.inf``
    and mappings used as keys are refused.
    """
    loader = _DocumentLoader(text)
    get_event = loader.get_event
    resolve = loader.resolve
    constructors = loader.yaml_constructors
    anchors: dict[str, Any] = {}
    stack: list[_Frame] = []
    frame: _Frame | None = None
    document: Any = None
    documents = 0
    aliased = False
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    try:
        while True:
            event = get_event()
            kind = event.__class__
            if kind is scalar_event:
                value: Any = event.value
                tag = event.tag
                if tag is None or tag == "!":
                    tag = resolve(yaml.ScalarNode, value, event.implicit)
                if tag != _STR:
                    if tag in _SCALAR_TAGS:
                        value = _scalar(loader, constructors[tag], tag, event)
                    elif tag in _TEXT_TAGS:
                        if (
                            tag == _MERGE
                            and frame is not None
                            and frame.is_map
                            and frame.key is _NO_KEY
                        ):
                            frame.key = _MERGE_KEY
                            continue
                    else:
                        raise YamlRefused(_unsupported(tag), event.start_mark)
                if event.anchor is not None:
                    anchors[event.anchor] = value
            elif kind is mapping_start or kind is sequence_start:
                if event.tag not in _COLLECTION_TAGS:
                    raise YamlRefused(_unsupported(event.tag), event.start_mark)
                value = {} if kind is mapping_start else []
                if event.anchor is not None:
                    anchors[event.anchor] = value
                if frame is not None:
                    _add(frame, value, event)
                    stack.append(frame)
                    if len(stack) >= MAX_NESTING:
                        raise YamlRefused(
                            f"nested more than {MAX_NESTING} levels deep", event.start_mark
                        )
                elif documents == 1:
                    document = value
                frame = _Frame(value, kind is mapping_start)
                continue
            elif kind is mapping_end or kind is sequence_end:
                assert frame is not None
                if frame.merges is not None:
                    _merge(frame.container, frame.merges)
                frame = stack.pop() if stack else None
                continue
            elif kind is alias_event:
                if event.anchor not in anchors:
                    raise YamlRefused(f"found undefined alias {event.anchor!r}", event.start_mark)
                value = anchors[event.anchor]
                aliased = True
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlRefused(
                        "expected a single document in the stream, but found another document",
                        event.start_mark,
                    )
                continue
            elif kind is yaml.StreamEndEvent:
                break
            else:
                continue
            if frame is None:
                document = value
            else:
                _add(frame, value, event)
    finally:
        loader.dispose()
    return document, aliased


def _scalar(loader: _DocumentLoader, construct: Any, tag: str, event: Any) -> Any:
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        value = construct(loader, node)
    except (ValueError, KeyError) as error:  # !!int abc, !!bool maybe, 5000-digit integers
        shown = event.value if len(event.value) <= 40 else event.value[:40] + "…"
        kind = tag.rsplit(":", 1)[-1]
        raise YamlRefused(f"{shown!r} is not a valid {kind}: {error}", event.start_mark) from None
    if tag == _FLOAT and not math.isfinite(value):
        raise YamlRefused(
            f"{event.value!r} is not a JSON number (JSON has no NaN or Infinity)", event.start_mark
        )
    return value


def _unsupported(tag: str) -> str:
    return f"unsupported tag {tag!r}: an AsyncAPI document holds JSON values only"


def _add(frame: _Frame, value: Any, event: Any) -> None:
    """Put a value in the container being built: a list item, a mapping key, or its value."""
    if not frame.is_map:
        frame.container.append(value)
        return
    key = frame.key
    if key is _NO_KEY:
        if isinstance(value, (dict, list)):
            raise YamlRefused("a mapping key must be a scalar, not a collection", event.start_mark)
        frame.key = value if type(value) is str else _key_text(value)
    elif key is _MERGE_KEY:
        # A collection arrives empty (its content follows): check what it holds at the end.
        if frame.merges is None:
            frame.merges = []
        frame.merges.append((value, event.start_mark))
        frame.key = _NO_KEY
    else:
        frame.container[key] = value
        frame.key = _NO_KEY


def _merge(mapping: dict[str, Any], merges: list[tuple[Any, Any]]) -> None:
    """Apply merge keys as YAML does: the mapping's own keys win, then earlier sources."""
    sources: list[dict[str, Any]] = []
    for value, mark in merges:
        found = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in found):
            raise YamlRefused("a merge key (<<) takes a mapping or a list of mappings", mark)
        sources.extend(found)
    merged: dict[str, Any] = {}
    for source in reversed(sources):
        merged.update(source)
    merged.update(mapping)
    mapping.clear()
    mapping.update(merged)


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
            document = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError as error:
            raise SpecError.at(
                SpecLocation(file),
                f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}",
            ) from None
        except RecursionError:
            raise SpecError.at(
                SpecLocation(file), f"JSON nested more than {MAX_NESTING} levels deep"
            ) from None
        except ValueError as error:  # NaN, Infinity, integers of thousands of digits
            raise SpecError.at(SpecLocation(file), f"malformed JSON: {error}") from None
        check_shape(document, file=file)
        return document
    try:
        document, aliased = _load_yaml(text)
    except YamlRefused as error:
        where = f"line {error.mark.line + 1}, column {error.mark.column + 1}"
        raise SpecError.at(
            SpecLocation(file), f"unsupported YAML at {where}: {error.problem}"
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "cannot parse"
        if "maximum nesting depth" in problem:
            # libyaml ≥ 0.2.6 looks ahead up to its own limit (1000 levels) while scanning flow
            # collections, so it can refuse a document before the builder's smaller limit does:
            # one message either way.
            raise SpecError.at(
                SpecLocation(file),
                f"unsupported YAML{where}: nested more than {MAX_NESTING} levels deep",
            ) from None
        raise SpecError.at(SpecLocation(file), f"malformed YAML{where}: {problem}") from None
    except yaml.YAMLError as error:
        raise SpecError.at(SpecLocation(file), f"malformed YAML: {error}") from None
    if aliased:
        check_shape(document, file=file)
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def check_shape(document: Any, *, file: str) -> None:
    """Refuse a document nested more than :data:`MAX_NESTING` levels deep, containing itself,
    holding NaN or Infinity, or whose shared values (YAML aliases) expand to more than
    :data:`MAX_EXPANDED_NODES` values.

    Walks each shared object once (no recursion), so it is linear in the distinct values.
    """
    if not isinstance(document, (Mapping, list, tuple)):
        return
    measured: dict[int, tuple[int, int]] = {}  # id -> (expanded size, depth)
    on_path: set[int] = {id(document)}
    # Each frame: the container, its (token, child) iterator, its token in its parent, size, depth.
    frames: list[list[Any]] = [[document, _entries(document), None, 1, 0]]
    while frames:
        frame = frames[-1]
        for token, child in frame[1]:
            if not isinstance(child, (Mapping, list, tuple)):
                if child.__class__ is float and not math.isfinite(child):
                    raise SpecError.at(
                        _at(file, frames, token),
                        f"{child!r} is not a JSON number (JSON has no NaN or Infinity)",
                    )
                frame[3] += 1
                continue
            known = measured.get(id(child))
            if known is None:
                if id(child) in on_path:
                    raise SpecError.at(_at(file, frames, token), "the document contains itself")
                if len(frames) >= MAX_NESTING:
                    raise SpecError.at(
                        _at(file, frames, token), f"nested more than {MAX_NESTING} levels deep"
                    )
                on_path.add(id(child))
                frames.append([child, _entries(child), token, 1, 0])
                break
            size, depth = known
            if len(frames) + depth > MAX_NESTING:
                raise SpecError.at(
                    _at(file, frames, token), f"nested more than {MAX_NESTING} levels deep"
                )
            frame[3] += size
            frame[4] = max(frame[4], depth)
            if frame[3] > MAX_EXPANDED_NODES:
                raise SpecError.at(_at(file, frames, token), _BOMB)
        else:
            frames.pop()
            container, _, _, size, depth = frame
            on_path.discard(id(container))
            measured[id(container)] = (size, depth + 1)
            if frames:
                parent = frames[-1]
                parent[3] += size
                parent[4] = max(parent[4], depth + 1)
                if parent[3] > MAX_EXPANDED_NODES:
                    raise SpecError.at(_at(file, frames, None), _BOMB)


_BOMB = f"YAML aliases expand to more than {MAX_EXPANDED_NODES} values: refusing an alias bomb"


def _entries(container: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(container, Mapping):
        return iter(container.items())
    return iter(enumerate(container))


def _at(file: str, frames: list[list[Any]], token: Any) -> SpecLocation:
    tokens = [frame[2] for frame in frames[1:]]
    if token is not None:
        tokens.append(token)
    return SpecLocation(file).child(*(str(token) for token in tokens))


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
    except ValueError as error:  # a NUL byte in the path
        raise SpecError.at(SpecLocation(file), f"cannot read file: {error}") from None
    return parse_text(text, file=file, json_only=path.suffix.lower() == ".json")
