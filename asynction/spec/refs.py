"""``$ref`` resolution over an AsyncAPI document and the files it refers to, with ``referencing``.

Two services: :meth:`Resolver.deref` follows a chain of references to the object it ends on (for the
normaliser walking channels, operations and messages), and :meth:`Resolver.bundle_schema` turns a
Schema Object into a stand-alone JSON Schema (draft 2020-12) whose references all point into its own
``$defs``, so that recursive schemas stay finite and validators need no registry.

Only local files are read, and only inside ``ref_root`` (by default the directory of the root
document): asynction never touches the network.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, PointerToNowhere, Unresolvable
from referencing.jsonschema import DRAFT202012

from asynction.exceptions import SpecError, SpecLocation
from asynction.spec.loader import read_file

MAX_REF_CHAIN = 64

# Keywords whose value is a schema, a list of schemas, or a map of name → schema. Everything else
# (enum, const, default, examples, x-…) is data and is copied as it is, $ref-looking keys included.
_SCHEMA_VALUED = frozenset(
    {
        "additionalProperties",
        "additionalItems",
        "items",
        "contains",
        "not",
        "if",
        "then",
        "else",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
    }
)
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"}
)


@dataclass(frozen=True)
class Node:
    """A value of the document together with where it stands."""

    value: Any
    uri: str
    """The absolute URI of the file holding the value (without fragment)."""
    location: SpecLocation

    def child(self, *tokens: str | int) -> Node | None:
        """The value under ``tokens``, or ``None`` when absent."""
        value = self.value
        for token in tokens:
            if isinstance(value, Mapping) and isinstance(token, str):
                if token not in value:
                    return None
                value = value[token]
            elif isinstance(value, list) and isinstance(token, int) and 0 <= token < len(value):
                value = value[token]
            else:
                return None
        return Node(value, self.uri, self.location.child(*tokens))

    def items(self) -> Iterator[tuple[str, Node]]:
        """The entries of a mapping value, each as a node (nothing when not a mapping)."""
        if isinstance(self.value, Mapping):
            for key, value in self.value.items():
                yield key, Node(value, self.uri, self.location.child(key))

    def elements(self) -> Iterator[Node]:
        """The elements of a list value, each as a node (nothing when not a list)."""
        if isinstance(self.value, list):
            for index, value in enumerate(self.value):
                yield Node(value, self.uri, self.location.child(index))

    @property
    def ref(self) -> str | None:
        """The value's ``$ref``, when it is a Reference Object."""
        if isinstance(self.value, Mapping):
            ref = self.value.get("$ref")
            if isinstance(ref, str):
                return ref
        return None


def _is_file_uri(uri: str) -> bool:
    return urlsplit(uri).scheme == "file"


def _uri_to_path(uri: str) -> Path:
    return Path(url2pathname(urlsplit(uri).path))


class Resolver:
    """Resolves references in one root document and the local files it refers to."""

    def __init__(
        self,
        document: Any,
        *,
        file: str,
        base_path: Path,
        ref_root: Path,
    ) -> None:
        self.root_uri = base_path.resolve().as_uri()
        self.ref_root = ref_root.resolve()
        self._labels = {self.root_uri: file}
        self._retrieved: dict[str, Resource[Any]] = {}
        self._registry: Registry[Any] = Registry(retrieve=self._retrieve).with_resource(  # type: ignore[call-arg]
            self.root_uri, DRAFT202012.create_resource(document)
        )
        self._resolver = self._registry.resolver()
        self.root = Node(document, self.root_uri, SpecLocation(file))
        self._bundles: dict[str, Any] = {}

    # -- retrieval ---------------------------------------------------------------------------

    def _retrieve(self, uri: str) -> Resource[Any]:
        resource = self._retrieved.get(uri)
        if resource is None:
            path = _uri_to_path(uri)
            self._labels[uri] = str(path)
            resource = DRAFT202012.create_resource(read_file(path))
            self._retrieved[uri] = resource
        return resource

    def label(self, uri: str) -> str:
        """How a file is named in messages."""
        return self._labels.get(uri) or str(_uri_to_path(uri))

    def _target(self, node: Node, ref: str) -> tuple[str, str]:
        """The absolute file URI and the JSON pointer a reference designates; checks it is allowed."""
        where = node.location.child("$ref")
        absolute = urljoin(node.uri, ref)
        file_uri, fragment = urldefrag(absolute)
        if not _is_file_uri(file_uri):
            raise SpecError.at(
                where,
                f"$ref {ref!r} points outside the local files; asynction never fetches "
                "remote references: download the document and refer to it by a relative path",
            )
        if fragment and not fragment.startswith("/"):
            raise SpecError.at(
                where, f"$ref {ref!r}: only JSON pointer fragments (#/...) are supported"
            )
        if file_uri != self.root_uri:
            try:
                path = _uri_to_path(file_uri).resolve()
            except (OSError, ValueError) as error:  # a NUL byte, a symlink loop
                raise SpecError.at(
                    where, f"$ref {ref!r} is not a usable file path: {error}"
                ) from None
            if not path.is_relative_to(self.ref_root):
                raise SpecError.at(
                    where,
                    f"$ref {ref!r} points to {path}, outside the spec's directory "
                    f"{self.ref_root} (pass ref_root= to allow it)",
                )
        return file_uri, unquote(fragment)

    def lookup(self, node: Node) -> Node:
        """Follow one reference (``node`` must be a Reference Object)."""
        ref = node.ref
        assert ref is not None
        file_uri, pointer = self._target(node, ref)
        try:
            resolved = self._resolver.lookup(f"{file_uri}#{pointer}")
        except SpecError as error:
            raise SpecError.at(
                node.location.child("$ref"),
                f"$ref {ref!r} cannot be resolved: "
                + "; ".join(message for _, message in error.problems),
            ) from None
        except PointerToNowhere:
            raise SpecError.at(
                node.location.child("$ref"),
                f"$ref {ref!r} cannot be resolved: {pointer!r} does not exist in "
                f"{self.label(file_uri)}",
            ) from None
        except (NoSuchResource, Unresolvable) as error:
            cause: BaseException | None = error
            while cause is not None and not isinstance(cause, SpecError):
                cause = cause.__cause__ or cause.__context__
            if isinstance(cause, SpecError):
                reason = "; ".join(message for _, message in cause.problems)
            else:
                reason = "file not found"
            raise SpecError.at(
                node.location.child("$ref"), f"$ref {ref!r} cannot be resolved: {reason}"
            ) from None
        return Node(resolved.contents, file_uri, SpecLocation(self.label(file_uri), pointer))

    def deref(self, node: Node) -> Node:
        """Follow references (refs to refs included) until a value that is not a reference."""
        seen: list[str] = []
        while node.ref is not None:
            key = str(node.location)
            if key in seen or len(seen) > MAX_REF_CHAIN:
                raise SpecError.at(node.location, "$ref cycle: " + " -> ".join([*seen, key]))
            seen.append(key)
            node = self.lookup(node)
        return node

    # -- document bundling --------------------------------------------------------------------

    def bundle_document(self) -> Any:
        """The root document with every ``$ref`` into another file replaced by what it points to.

        References inside the root file stay as they are; a reference from another file back into
        the root becomes a local one. Content of other files that refers to itself (recursion) is
        placed once under the root's ``x-bundled`` key and referred to there. References that
        cannot be followed (remote ones) are left as written.
        """
        hoisted: dict[str, Any] = {}
        names: dict[str, str] = {}
        inlining: list[str] = []

        def visit(node: Node) -> Any:
            value = node.value
            if isinstance(value, list):
                return [visit(element) for element in node.elements()]
            if not isinstance(value, Mapping):
                return value
            ref = node.ref
            if ref is None:
                return {key: visit(child) for key, child in node.items()}
            try:
                file_uri, pointer = self._target(node, ref)
            except SpecError:
                return dict(value)
            if file_uri == self.root_uri:
                return {**value, "$ref": f"#{pointer}"} if node.uri != self.root_uri else value
            key = f"{file_uri}#{pointer}"
            if key in inlining or key in names:
                name = names.get(key)
                if name is None:
                    name = _unique(_last_token(pointer, file_uri), set(names.values()))
                    names[key] = name
                return {"$ref": f"#/x-bundled/{name}"}
            inlining.append(key)
            try:
                content = visit(self.lookup(node))
            except SpecError:
                content = dict(value)
            finally:
                inlining.pop()
            if key in names:  # referred to from inside itself: hoist it
                hoisted[names[key]] = content
                return {"$ref": f"#/x-bundled/{names[key]}"}
            return content

        document = visit(self.root)
        if hoisted and isinstance(document, dict):
            document["x-bundled"] = {**document.get("x-bundled", {}), **hoisted}
        return document

    # -- schema bundling ----------------------------------------------------------------------

    def bundle_schema(self, node: Node) -> Any:
        """A stand-alone draft 2020-12 schema for the Schema Object at ``node``."""
        cache_key = str(node.location if node.ref is None else self.deref(node).location)
        if cache_key in self._bundles:
            return self._bundles[cache_key]
        bundled = _SchemaBundler(self).bundle(node)
        self._bundles[cache_key] = bundled
        return bundled


def _last_token(pointer: str, file_uri: str) -> str:
    token = pointer.rsplit("/", 1)[-1] if pointer else _uri_to_path(file_uri).stem
    return token.replace("~1", "_").replace("~0", "_") or "bundled"


def _unique(base: str, taken: set[str]) -> str:
    name, counter = base, 2
    while name in taken:
        name, counter = f"{base}{counter}", counter + 1
    return name


class _SchemaBundler:
    """Copies one schema, moving every referenced schema into ``$defs`` exactly once."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.defs: dict[str, Any] = {}
        self.names: dict[str, str] = {}
        self.uses: dict[str, int] = {}

    def bundle(self, node: Node) -> Any:
        schema = self.visit(node)
        if isinstance(schema, dict) and set(schema) == {"$ref"}:
            # The root must never be a bare reference: inline its target at the root.
            name = schema["$ref"].rsplit("/", 1)[1]
            target = self.defs[name]
            self.uses[name] -= 1
            if self.uses[name] == 0:
                del self.defs[name]
            if not isinstance(target, dict):
                return target if not self.defs else {"allOf": [target], "$defs": self.defs}
            schema = dict(target)
        if self.defs and isinstance(schema, dict):
            schema = {**schema, "$defs": {**schema.get("$defs", {}), **self.defs}}
        return schema

    def _name_for(self, target: Node) -> str:
        return _unique(_last_token(target.location.pointer, target.uri), set(self.names.values()))

    def reference(self, node: Node) -> str:
        target = self.resolver.deref(node)
        key = str(target.location)
        name = self.names.get(key)
        if name is None:
            name = self._name_for(target)
            self.names[key] = name
            self.defs[name] = True  # placeholder while a recursive schema refers to itself
            self.uses[name] = 0
            self.defs[name] = self.visit(target)
        self.uses[name] += 1
        return name

    def visit(self, node: Node) -> Any:
        value = node.value
        if not isinstance(value, Mapping):
            return value
        out: dict[str, Any] = {}
        ref = node.ref
        if ref is None and "$ref" in value:
            raise SpecError.at(
                node.location.child("$ref"),
                f"$ref must be a string (a URI reference), not {type(value['$ref']).__name__}",
            )
        if ref is not None:
            out["$ref"] = f"#/$defs/{self.reference(node)}"
        for key, item in value.items():
            if key == "$ref" and ref is not None:
                continue
            child = Node(item, node.uri, node.location.child(key))
            if key in _SCHEMA_VALUED:
                if key == "items" and isinstance(item, list):
                    out["prefixItems"] = [self.visit(element) for element in child.elements()]
                    continue
                if key == "additionalItems":
                    if isinstance(value.get("items"), list):
                        out["items"] = self.visit(child)
                    continue  # meaningless without a tuple `items` (draft-07)
                out[key] = self.visit(child)
            elif key in _SCHEMA_LISTS and isinstance(item, list):
                out[key] = [self.visit(element) for element in child.elements()]
            elif key in _SCHEMA_MAPS and isinstance(item, Mapping):
                target_key = "$defs" if key == "definitions" else key
                out[target_key] = {name: self.visit(sub) for name, sub in child.items()}
            elif key == "dependencies" and isinstance(item, Mapping):
                for name, dependency in child.items():
                    if isinstance(dependency.value, list):
                        out.setdefault("dependentRequired", {})[name] = dependency.value
                    else:
                        out.setdefault("dependentSchemas", {})[name] = self.visit(dependency)
            else:
                out[key] = item
        return out
