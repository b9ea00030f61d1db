"""Normalisation of AsyncAPI 2.x and 3.0 documents into the version-neutral model.

The document's structure has already been checked (:mod:`asynction.spec.structure`); this module
walks it through :class:`~asynction.spec.refs.Resolver`, so every reference is followed, and builds
the frozen :mod:`asynction.spec.model`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from asynction.exceptions import SpecError, SpecLocation
from asynction.spec.model import (
    Api,
    ConnectBindings,
    Direction,
    Event,
    Namespace,
    NamespaceHandlers,
    SecurityRequirement,
    SecurityScheme,
    Server,
)
from asynction.spec.refs import Node, Resolver

_JSON_SCHEMA_FORMATS = re.compile(
    r"^(application/vnd\.aai\.asyncapi(\+json|\+yaml)?(;version=[\d.]+)?"
    r"|application/schema(\+json|\+yaml)?(;version=draft-0?7)?)$"
)
_VARIABLE = re.compile(r"\{([^{}]+)\}")


def normalise(resolver: Resolver, version: str) -> Api:
    """Build the model of the document held by ``resolver``."""
    root = resolver.root
    builder = _Builder(resolver, version)
    return builder.api(root)


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch, used to apply traits."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def _substitute(url: str, defaults: Mapping[str, str]) -> str:
    """A server URL with its ``{variables}`` replaced by their defaults."""
    return _VARIABLE.sub(lambda match: defaults.get(match[1], match[0]), url)


def _text(node: Node | None) -> str | None:
    return node.value if node is not None and isinstance(node.value, str) else None


def _scopes(location: SpecLocation, scopes: Any) -> tuple[str, ...]:
    """The scopes of a security requirement: a list of strings (absent or null: none)."""
    if scopes is None:
        return ()
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise SpecError.at(location, "scopes must be a list of strings")
    return tuple(scopes)


def _namespace_name(key: str) -> str:
    return key if key.startswith("/") else f"/{key}"


class _Builder:
    def __init__(self, resolver: Resolver, version: str) -> None:
        self.resolver = resolver
        self.version = version
        self.v3 = version.startswith("3.")

    def deref(self, node: Node | None) -> Node | None:
        return None if node is None else self.resolver.deref(node)

    def child(self, node: Node, *tokens: str | int) -> Node | None:
        """A child, with every reference on the way followed."""
        current: Node | None = node
        for token in tokens:
            if current is None:
                return None
            current = self.deref(current.child(token))
        return current

    # -- the document -------------------------------------------------------------------------

    def api(self, root: Node) -> Api:
        info = self.child(root, "info")
        assert info is not None
        schemes = self.security_schemes(root)
        servers = self.servers(root, schemes)
        namespaces = self.namespaces_v3(root, schemes) if self.v3 else self.namespaces_v2(root)
        return Api(
            title=str(info.value.get("title", "")),
            version=str(info.value.get("version", "")),
            description=_text(info.child("description")),
            servers=servers,
            namespaces=namespaces,
            security_schemes=schemes,
            default_content_type=_text(root.child("defaultContentType")),
            asyncapi_version=self.version,
            document=root.value,
            bundler=functools.cache(self.resolver.bundle_document),
            source=root.location.file,
        )

    # -- servers and security -----------------------------------------------------------------

    def security_schemes(self, root: Node) -> dict[str, SecurityScheme]:
        schemes: dict[str, SecurityScheme] = {}
        container = self.child(root, "components", "securitySchemes")
        if container is None:
            return schemes
        for name, raw in container.items():
            node = self.resolver.deref(raw)
            schemes[name] = self.security_scheme(name, node)
        return schemes

    def security_scheme(self, name: str, node: Node) -> SecurityScheme:
        value: Mapping[str, Any] = node.value
        scopes: list[str] = []
        flows = self.child(node, "flows")
        if flows is not None:
            for _, flow in flows.items():
                flow_value = flow.value if isinstance(flow.value, Mapping) else {}
                declared = flow_value.get("availableScopes" if self.v3 else "scopes") or {}
                scopes.extend(scope for scope in declared if scope not in scopes)
        scheme = value.get("scheme")
        return SecurityScheme(
            name=name,
            type=str(value.get("type")),
            scheme=scheme.lower() if isinstance(scheme, str) else None,
            bearer_format=value.get("bearerFormat"),
            location_in=value.get("in"),
            parameter_name=value.get("name"),
            scopes=tuple(scopes),
            description=value.get("description"),
            extensions={key: item for key, item in value.items() if key.startswith("x-")},
            location=node.location,
        )

    def requirements(
        self, node: Node | None, schemes: Mapping[str, SecurityScheme]
    ) -> tuple[SecurityRequirement, ...] | None:
        """Security requirements, 2.x style (name → scopes maps) or 3.0 style (scheme objects)."""
        if node is None or not isinstance(node.value, list):
            return None
        requirements: list[SecurityRequirement] = []
        for element in node.elements():
            if (
                element.ref is None
                and isinstance(element.value, Mapping)
                and ("type" not in element.value)
            ):
                requirements.append(
                    {
                        str(name): _scopes(element.location.child(name), scopes)
                        for name, scopes in element.value.items()
                        if not str(name).startswith("x-")
                    }
                )
                continue
            target = self.resolver.deref(element)
            if not isinstance(target.value, Mapping):
                # x-security is an extension the structure check leaves alone
                raise SpecError.at(
                    target.location,
                    "a security requirement must be a mapping of scheme names to scopes (2.x) "
                    f"or a Security Scheme Object (3.0), not {type(target.value).__name__}",
                )
            scheme_name = self.scheme_name(element, schemes)
            scopes = target.value.get("scopes")
            requirements.append({scheme_name: _scopes(target.location.child("scopes"), scopes)})
        return tuple(requirements)

    def scheme_name(self, element: Node, schemes: Mapping[str, SecurityScheme]) -> str:
        """The name of a 3.0 security scheme given by reference (or inline)."""
        target = self.resolver.deref(element)
        for name, scheme in schemes.items():
            if scheme.location == target.location:
                return name
        pointer = target.location.pointer
        name = pointer.rsplit("/", 1)[-1] if pointer else "scheme"
        if name not in schemes:
            # An inline scheme (3.0 allows it): give it a name so requirements can refer to it.
            assert isinstance(schemes, dict)
            schemes[name] = self.security_scheme(name, target)
        return name

    def servers(self, root: Node, schemes: Mapping[str, SecurityScheme]) -> tuple[Server, ...]:
        container = self.child(root, "servers")
        if container is None:
            return ()
        servers = []
        for name, raw in container.items():
            node = self.resolver.deref(raw)
            value: Mapping[str, Any] = node.value
            protocol = str(value.get("protocol", ""))
            if self.v3:
                url = f"{protocol}://{value.get('host', '')}{value.get('pathname') or ''}"
            else:
                url = str(value.get("url", ""))
            defaults: dict[str, str] = {}
            variables = self.child(node, "variables")
            if variables is not None:
                for variable_name, variable in variables.items():
                    resolved = self.resolver.deref(variable)
                    default = (
                        resolved.value.get("default")
                        if isinstance(resolved.value, Mapping)
                        else None
                    )
                    if default is not None:
                        defaults[variable_name] = str(default)
            url = _substitute(url, defaults)
            servers.append(
                Server(
                    name=name,
                    url=url,
                    protocol=protocol,
                    description=value.get("description"),
                    security=self.requirements(node.child("security"), schemes) or (),
                    location=node.location,
                )
            )
        return tuple(servers)

    # -- namespaces: shared parts ------------------------------------------------------------

    def namespace_extras(
        self, channel: Node, schemes: Mapping[str, SecurityScheme]
    ) -> dict[str, Any]:
        handlers_node = self.child(channel, "x-handlers")
        handlers = NamespaceHandlers()
        if handlers_node is not None and isinstance(handlers_node.value, Mapping):
            raw = handlers_node.value
            for key in raw:
                if key not in ("connect", "disconnect", "error"):
                    raise SpecError.at(
                        handlers_node.location.child(key),
                        f"unknown x-handlers entry {key!r} (allowed: connect, disconnect, error)",
                    )
                if not isinstance(raw[key], str):
                    raise SpecError.at(
                        handlers_node.location.child(key), "a handler must be a dotted path string"
                    )
            handlers = NamespaceHandlers(
                connect=raw.get("connect"), disconnect=raw.get("disconnect"), error=raw.get("error")
            )
        bindings = None
        ws = self.child(channel, "bindings", "ws")
        if ws is not None and isinstance(ws.value, Mapping):
            query = ws.child("query")
            headers = ws.child("headers")
            method = ws.value.get("method")
            bindings = ConnectBindings(
                method=method.upper() if isinstance(method, str) else None,
                query=None if query is None else self.resolver.bundle_schema(query),
                headers=None if headers is None else self.resolver.bundle_schema(headers),
                location=ws.location,
            )
        return {
            "handlers": handlers,
            "bindings": bindings,
            "security": self.requirements(self.child(channel, "x-security"), schemes),
            "description": _text(channel.child("description")),
            "location": channel.location,
        }

    def apply_traits(self, node: Node, operation: bool) -> Mapping[str, Any]:
        """The object with its traits applied: in 2.x traits patch the object, in 3.0 the object wins."""
        value: Mapping[str, Any] = node.value
        traits = node.child("traits")
        if traits is None:
            return value
        merged: Any = {key: item for key, item in value.items() if key != "traits"}
        for trait in traits.elements():
            trait_value = self.resolver.deref(trait).value
            if isinstance(trait_value, list):
                # 2.0's message trait form [trait, options]
                trait_value = trait_value[0] if trait_value else {}
            if self.v3:
                merged = _merge_patch(trait_value, merged)
            else:
                merged = _merge_patch(merged, trait_value)
        return dict(merged)

    def event(
        self,
        *,
        direction: Direction,
        message: Node,
        message_key: str | None,
        operation: Mapping[str, Any],
        operation_key: str | None,
        fallback_name: str | None,
        ack: Any,
        security: tuple[SecurityRequirement, ...] | None,
    ) -> Event:
        value = self.apply_traits(message, operation=False)
        merged = Node(value, message.uri, message.location)
        name = value.get("name") or value.get("messageId") or message_key or fallback_name
        if not isinstance(name, str) or not name:
            raise SpecError.at(
                message.location,
                "cannot name this event: give the message a `name` (or a messageId, or define it "
                "under components/messages)",
            )
        payload_node = merged.child("payload")
        payload = None
        if payload_node is not None:
            schema_format = value.get("schemaFormat")
            if self.v3:
                multi_format = self.resolver.deref(payload_node)
                if isinstance(multi_format.value, Mapping) and "schemaFormat" in multi_format.value:
                    schema_format = multi_format.value.get("schemaFormat")
                    payload_node = multi_format.child("schema")
            if schema_format is None or _JSON_SCHEMA_FORMATS.match(str(schema_format)):
                payload = (
                    None if payload_node is None else self.resolver.bundle_schema(payload_node)
                )
        handler = value.get("x-handler") or operation.get("x-handler")
        examples: list[Any] = []
        for example in value.get("examples") or ():
            if isinstance(example, Mapping) and "payload" in example:
                examples.append(example["payload"])
            elif isinstance(example, Mapping) and not self.v3 and "headers" not in example:
                examples.append(example)
        return Event(
            name=name,
            direction=direction,
            payload=payload,
            ack=ack,
            handler=handler if isinstance(handler, str) else None,
            message_key=message_key,
            title=value.get("title"),
            summary=value.get("summary") or operation.get("summary"),
            description=value.get("description") or operation.get("description"),
            content_type=value.get("contentType"),
            operation_id=operation.get("operationId") or operation_key,
            examples=tuple(examples),
            security=security,
            deprecated=bool(value.get("deprecated", False)),
            location=message.location,
        )

    def message_key(self, reference: Node, target: Node) -> str | None:
        """The component key of a message: the last token of where its reference chain ends."""
        if reference.ref is None:
            return None
        pointer = target.location.pointer
        parts = pointer.split("/")
        if len(parts) >= 3 and parts[-2] == "messages":
            return parts[-1].replace("~1", "/").replace("~0", "~")
        return None

    def add_event(
        self, events: list[Event], event: Event, namespace: str, location: SpecLocation
    ) -> None:
        for existing in events:
            if existing.name == event.name:
                raise SpecError.at(
                    event.location,
                    f"two {event.direction.value} events called {event.name!r} in namespace "
                    f"{namespace!r} (the other is defined at {existing.location}): event names "
                    "must be unique per namespace and direction",
                )
        events.append(event)

    def ack_v2(self, message: Node) -> Any:
        x_ack = self.child(message, "x-ack")
        if x_ack is None or not isinstance(x_ack.value, Mapping):
            return None
        args = x_ack.child("args")
        return None if args is None else self.resolver.bundle_schema(args)

    # -- AsyncAPI 2.x --------------------------------------------------------------------------

    def namespaces_v2(self, root: Node) -> tuple[Namespace, ...]:
        channels = self.child(root, "channels")
        schemes = self.security_schemes(root)
        namespaces: list[Namespace] = []
        if channels is None:
            return ()
        for key, raw in channels.items():
            channel = self.resolver.deref(raw)
            name = _namespace_name(key)
            incoming: list[Event] = []
            outgoing: list[Event] = []
            for operation_name, direction, events in (
                ("publish", Direction.INCOMING, incoming),
                ("subscribe", Direction.OUTGOING, outgoing),
            ):
                operation_node = self.child(channel, operation_name)
                if operation_node is None:
                    continue
                operation = self.apply_traits(operation_node, operation=True)
                operation_view = Node(operation, operation_node.uri, operation_node.location)
                security = self.requirements(self.deref(operation_view.child("security")), schemes)
                message_ref = operation_view.child("message")
                if message_ref is None:
                    continue
                message = self.resolver.deref(message_ref)
                one_of = message.child("oneOf")
                references = list(one_of.elements()) if one_of is not None else [message_ref]
                operation_id = operation.get("operationId")
                for index, reference in enumerate(references):
                    target = self.resolver.deref(reference)
                    key_name = self.message_key(reference, target) or (
                        self.message_key(message_ref, message) if one_of is None else None
                    )
                    if one_of is None:
                        fallback = operation_id
                    else:
                        fallback = f"{operation_id or f'{key} {operation_name}'}#{index}"
                    event = self.event(
                        direction=direction,
                        message=target,
                        message_key=key_name,
                        operation=operation,
                        operation_key=None,
                        fallback_name=fallback,
                        ack=self.ack_v2(target),
                        security=security,
                    )
                    self.add_event(events, event, name, channel.location)
            namespaces.append(
                Namespace(
                    name=name,
                    incoming=tuple(incoming),
                    outgoing=tuple(outgoing),
                    **self.namespace_extras(channel, schemes),
                )
            )
        return tuple(namespaces)

    # -- AsyncAPI 3.0 --------------------------------------------------------------------------

    def namespaces_v3(
        self, root: Node, schemes: Mapping[str, SecurityScheme]
    ) -> tuple[Namespace, ...]:
        channels = self.child(root, "channels")
        entries: dict[SpecLocation, str] = {}
        """Location of each ``channels/<key>`` entry → its namespace."""
        by_location: dict[SpecLocation, str | None] = {}
        """Location of each Channel Object → its namespace (``None``: shared by several)."""
        nodes: dict[str, Node] = {}
        incoming: dict[str, list[Event]] = {}
        outgoing: dict[str, list[Event]] = {}
        order: list[str] = []
        if channels is not None:
            for key, raw in channels.items():
                channel = self.resolver.deref(raw)
                address = channel.value.get("address")
                name = _namespace_name(address if isinstance(address, str) else key)
                if name in incoming:
                    raise SpecError.at(
                        channel.location, f"two channels have the namespace {name!r}"
                    )
                # Two channels may be one Channel Object (both refer to one component):
                # operations then tell them apart by the channel entry they refer to.
                entries[raw.location] = name
                by_location[channel.location] = None if channel.location in by_location else name
                nodes[name] = channel
                incoming[name], outgoing[name] = [], []
                order.append(name)
        operations = self.child(root, "operations")
        for operation_key, raw in operations.items() if operations is not None else ():
            operation_node = self.resolver.deref(raw)
            operation = self.apply_traits(operation_node, operation=True)
            view = Node(operation, operation_node.uri, operation_node.location)
            name = self.operation_channel(view, entries, by_location)
            channel = nodes[name]
            direction = (
                Direction.INCOMING if operation.get("action") == "receive" else Direction.OUTGOING
            )
            message_refs = self.operation_messages(view, channel)
            security = self.requirements(view.child("security"), schemes)
            ack = self.reply_ack(view)
            events = incoming[name] if direction is Direction.INCOMING else outgoing[name]
            for reference in message_refs:
                target = self.resolver.deref(reference)
                message_key = self.message_key(reference, target) or self.channel_message_key(
                    channel, target
                )
                event = self.event(
                    direction=direction,
                    message=target,
                    message_key=message_key,
                    operation=operation,
                    operation_key=operation_key,
                    fallback_name=operation_key,
                    ack=ack,
                    security=security,
                )
                self.add_event(events, event, name, view.location)
        return tuple(
            Namespace(
                name=name,
                incoming=tuple(incoming[name]),
                outgoing=tuple(outgoing[name]),
                **self.namespace_extras(nodes[name], schemes),
            )
            for name in order
        )

    def operation_channel(
        self,
        operation: Node,
        entries: Mapping[SpecLocation, str],
        by_location: Mapping[SpecLocation, str | None],
    ) -> str:
        """The namespace of an operation's ``channel``: the first ``channels/<key>`` entry its
        reference chain passes through, else the Channel Object it ends at."""
        reference = operation.child("channel")
        target = self.deref(reference)  # follows the whole chain first: cycles are errors
        node = reference
        while node is not None and node.location not in entries and node.ref is not None:
            node = self.resolver.lookup(node)
        if node is not None and node.location in entries:
            return entries[node.location]
        name = by_location.get(target.location) if target is not None else None
        if name is None:
            shared = target is not None and target.location in by_location
            raise SpecError.at(
                operation.location.child("channel"),
                "this channel is the Channel Object of several channels: refer to one of them "
                "(#/channels/<key>)"
                if shared
                else "an operation's channel must reference one of the document's channels",
            )
        return name

    def operation_messages(self, operation: Node, channel: Node) -> list[Node]:
        """An operation's own ``messages``, else every message of its channel."""
        own = operation.child("messages")
        if own is not None:
            return list(own.elements())
        messages = self.child(channel, "messages")
        return [reference for _, reference in messages.items()] if messages is not None else []

    def channel_message_key(self, channel: Node, target: Node) -> str | None:
        messages = channel.child("messages")
        for key, reference in messages.items() if messages is not None else ():
            if self.resolver.deref(reference).location == target.location:
                return key
        return None

    def reply_ack(self, operation: Node) -> Any:
        reply = self.child(operation, "reply")
        if reply is None:
            return None
        references: Iterable[Node]
        messages = reply.child("messages")
        if messages is not None:
            references = list(messages.elements())
        else:
            reply_channel = self.child(reply, "channel")
            channel_messages = None if reply_channel is None else reply_channel.child("messages")
            references = [node for _, node in channel_messages.items()] if channel_messages else []
        payloads = []
        for reference in references:
            message = self.resolver.deref(reference)
            value = self.apply_traits(message, operation=False)
            payload = Node(value, message.uri, message.location).child("payload")
            if payload is not None:
                payloads.append(self.resolver.bundle_schema(payload))
        if not payloads:
            return None
        if len(payloads) == 1:
            return payloads[0]
        return _one_of(payloads)


def _one_of(schemas: list[Any]) -> dict[str, Any]:
    """Several schemas as one, hoisting their ``$defs`` so references stay valid."""
    defs: dict[str, Any] = {}
    stripped = []
    for schema in schemas:
        if isinstance(schema, dict) and "$defs" in schema:
            defs.update(schema["$defs"])
            schema = {key: value for key, value in schema.items() if key != "$defs"}
        stripped.append(schema)
    combined: dict[str, Any] = {"oneOf": stripped}
    if defs:
        combined["$defs"] = defs
    return combined
