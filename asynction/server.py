"""The dynamic server: an AsyncAPI document served as a validated Flask-SocketIO server.

:class:`AsynctionSocketIO` is a :class:`flask_socketio.SocketIO` that registers the handlers named by
the document (``x-handler``, ``x-handlers``) and wraps them so that, per design §2:

* incoming payloads are validated before the handler runs, and when the client asked for an ack,
  what the handler returns (``None``: no arguments) is validated against the ack schema before it
  is sent;
* every emit, send and call — from handlers, module-level ``flask_socketio.emit``/``send``,
  background tasks or an external process on a message queue — is checked against the outgoing
  events of its namespace before anything is sent, and a ``callback`` has the client's ack
  arguments validated;
* connect-time ``bindings.ws`` and security always refuse a failing connection with a CONNECT_ERROR,
  whatever error handlers exist.

Failures go to the namespace's ``x-handlers.error``, else the default error handler, else they are
logged. Everything that can be worked out from the document is worked out once — its schemas
compiled when the server is built (a schema that does not compile fails ``from_spec``), handlers
wrapped when they are registered — so the per-event path is a validator call and a function call.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import flask
from flask import Flask, has_request_context
from flask_socketio import SocketIO
from socketio.exceptions import ConnectionRefusedError as SocketIOConnectionRefusedError

from asynction.exceptions import (
    BindingsValidationException,
    HandlerImportError,
    MessageAckValidationException,
    PayloadValidationException,
    SecurityException,
    SpecError,
    SpecLocation,
    ValidationException,
)
from asynction.importing import import_dotted
from asynction.packets import JsonPacket, NotJSONError, PacketJSON, UndecodablePayload
from asynction.serving import PollingBodyLimit, bound_websocket_messages
from asynction.spec.model import Api, Event, Namespace
from asynction.validation import ApiValidators, BindingsValidator, compile_validators

if TYPE_CHECKING:
    from asynction.security import ConnectSecurity
    from asynction.types import SecurityInfo

__all__ = [
    "AsynctionSocketIO",
    "ErrorHandler",
    # Defined in asynction.packets, kept importable from here.
    "JsonPacket",
    "NotJSONError",
    "PacketJSON",
    "UndecodablePayload",
]

logger = logging.getLogger(__name__)

ErrorHandler = Callable[[Exception], Any]
"""An error handler: takes the exception; what it returns is the ack sent to the client."""

_Server = TypeVar("_Server", bound="AsynctionSocketIO")

_OWNER_KEY = "asynction.server"
"""The WSGI environ key naming the server that accepted a client, so that module-level
``flask_socketio.emit`` inside its handlers is validated (and sent) by that server even when several
servers share one Flask app (``current_app.extensions['socketio']`` only knows the last one)."""

_RESERVED_EVENTS = frozenset({"connect", "disconnect"})
"""Event names python-socketio keeps for its own lifecycle events."""

_REFUSED = "Connection refused by server"
"""python-socketio's own message for a refused connection; nothing about the cause leaks."""

_docs_counter = itertools.count(1)


@dataclass(frozen=True)
class LifecycleHandlers:
    """The callables a namespace's ``x-handlers`` resolve to (each ``None`` when not declared)."""

    connect: Callable[..., Any] | None = None
    disconnect: Callable[..., Any] | None = None
    error: ErrorHandler | None = None


@dataclass(frozen=True)
class NamespaceRegistration:
    """Everything registered for one namespace, resolved (imported) before anything is registered."""

    namespace: Namespace
    handlers: LifecycleHandlers
    events: tuple[tuple[Event, Callable[..., Any]], ...]
    """Each incoming event that has a handler, with its handler."""
    security: ConnectSecurity | None
    """Connect-time security; ``None`` for a public namespace."""


class _Outgoing:
    """What an emit of one outgoing event checks: its payload and its client's ack."""

    __slots__ = ("ack", "payload")

    def __init__(
        self,
        payload: Callable[[tuple[Any, ...]], None] | None,
        ack: Callable[[tuple[Any, ...]], None] | None,
    ) -> None:
        self.payload = payload
        self.ack = ack


def socketio_base_path(socketio_path: str) -> str:
    """The docs base path for a Socket.IO path: its parent (``events/socket.io`` → ``/events``)."""
    parent = socketio_path.strip("/").rpartition("/")[0]
    return f"/{parent}" if parent else ""


def _accepts(function: Callable[..., Any]) -> tuple[int, bool, frozenset[str], bool]:
    """(positional parameters, has ``*args``, keyword names, has ``**kwargs``) of a callable."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins and C callables have no signature
        return 1, True, frozenset(), True
    positional = 0
    names = set()
    var_positional = var_keyword = False
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            var_positional = True
        elif parameter.kind is parameter.VAR_KEYWORD:
            var_keyword = True
        else:
            if parameter.kind is not parameter.KEYWORD_ONLY and parameter.name not in (
                "token_info",
                "user",
            ):
                positional += 1
            if parameter.kind is not parameter.POSITIONAL_ONLY:
                names.add(parameter.name)
    return positional, var_positional, frozenset(names), var_keyword


def _user_of(token_info: SecurityInfo | None) -> Any:
    if token_info is None:
        return None
    user = token_info.get("sub")
    return token_info.get("uid") if user is None else user


def _bindings_message(error: BindingsValidationException, namespace: str) -> str:
    """The CONNECT_ERROR message of a bindings failure: what failed, naming the namespace."""
    message = str(error)
    return message if message.startswith("namespace") else f"namespace {namespace!r}: {message}"


def _refusal(undecodable: UndecodablePayload, namespace: str, event: str) -> Callable[..., Any]:
    """A stand-in for the handler of an event whose data is not JSON: it refuses it."""

    def refuse(*args: Any) -> NoReturn:
        raise PayloadValidationException(
            f"invalid payload: {undecodable.reason} (rule: {undecodable.rule})",
            namespace=namespace,
            event=event,
            rule=undecodable.rule,
        )

    return refuse


def _refuse_undecodable_ack(args: tuple[Any, ...], namespace: str, event: str | None) -> None:
    if args and args[-1].__class__ is UndecodablePayload:
        reason = args[-1].reason
        raise MessageAckValidationException(
            f"invalid ack: {reason}", namespace=namespace, event=event, rule=args[-1].rule
        )


_ACK_REQUESTED: ContextVar[bool] = ContextVar("asynction_ack_requested", default=False)
"""Whether the client asked for an ack of the event being handled (its packet has an id)."""


def _track_ack_requests(server: Any) -> None:
    """Record, around each incoming event, whether the client asked for an ack.

    A handler that returns ``None`` sends an ack with no arguments if and only if the client asked
    for one; knowing which, that empty ack is validated against the ack schema like any other.
    python-socketio decides it in ``_handle_event_internal``, where the packet's id is at hand:
    the wrapper stays out of the way if that method is not there (another python-socketio).
    """
    handle = getattr(server, "_handle_event_internal", None)
    if handle is None or getattr(handle, "__asynction_tracks_acks__", False):
        return

    def handle_event(
        socketio_server: Any,
        sid: str,
        eio_sid: str,
        data: Any,
        namespace: str,
        packet_id: int | None,
    ) -> Any:
        token = _ACK_REQUESTED.set(packet_id is not None)
        try:
            return handle(socketio_server, sid, eio_sid, data, namespace, packet_id)
        finally:
            _ACK_REQUESTED.reset(token)

    handle_event.__asynction_tracks_acks__ = True  # type: ignore[attr-defined]
    server._handle_event_internal = handle_event


def _has_gevent_websocket() -> bool:
    """Whether gevent-websocket is installed: Flask-SocketIO then brings its own pywsgi handler."""
    import importlib.util

    return importlib.util.find_spec("geventwebsocket") is not None


def _as_arguments(data: Any) -> tuple[Any, ...]:
    """The Socket.IO arguments python-socketio sends for an emit's ``data``."""
    if data is None:
        return ()
    if isinstance(data, tuple):
        return data
    return (data,)


class AsynctionSocketIO(SocketIO):  # type: ignore[misc]
    """A Flask-SocketIO server built from an AsyncAPI document, validating every interaction.

    Build it with :meth:`from_spec`. ``spec`` is the loaded document (:class:`~asynction.spec.Api`).
    With ``app`` (or later :meth:`init_app`) the handlers named by the document are imported and
    registered; without one (an external process emitting through ``message_queue``) nothing is
    imported and emits are still validated.

    Subclasses change how handlers are found and registered by overriding :meth:`_resolve_handler`,
    :meth:`_resolve_namespace_handlers`, :meth:`_register_namespace` and :meth:`_register_event`.
    """

    spec: Api
    """The AsyncAPI document this server serves."""
    server: Any
    """The python-socketio server (Flask-SocketIO's attribute), made by :meth:`init_app`."""

    def __init__(
        self,
        spec: Api,
        validation: bool = True,
        docs: bool = True,
        app: Flask | None = None,
        *,
        server_name: str | None = None,
        default_error_handler: ErrorHandler | None = None,
        **kwargs: Any,
    ) -> None:
        """Create the server; see :meth:`from_spec` for the parameters.

        ``server_name`` and ``default_error_handler`` are keyword-only here so that the seed's
        positional signature ``(spec, validation, docs, app, **kwargs)`` stays as it was.
        """
        self.spec = spec
        self.validation = validation
        self.docs = docs
        self.server_name = server_name
        self._handlers_registered = False
        self._shares_app = False
        self._docs_name = f"asynction_docs_{next(_docs_counter)}"
        self._token_infos: dict[tuple[str, str], SecurityInfo] = {}
        # Compiled now, so that a schema jsonschema_rs refuses fails here rather than on the first
        # message that needs it; without validation nothing is compiled.
        self._validators: ApiValidators | None = compile_validators(spec) if validation else None
        self._outgoing: dict[str, dict[str, _Outgoing]] | None = (
            self._build_outgoing(self._validators) if self._validators is not None else None
        )
        if server_name is not None:
            server = spec.server(server_name)
            if server is None:
                known = ", ".join(repr(s.name) for s in spec.servers) or "none"
                raise SpecError.at(
                    SpecLocation(spec.source, "/servers"),
                    f"unknown server {server_name!r} (servers declared: {known})",
                )
            if server.path and not kwargs.get("path") and not kwargs.get("resource"):
                kwargs["path"] = server.path
        self._socketio_path = str(kwargs.get("path") or kwargs.get("resource") or "socket.io")
        if kwargs.get("serializer", "default") == "default":
            # One class per server: python-socketio sets its `json` attribute (json= option).
            kwargs["serializer"] = type(
                "JsonPacket", (JsonPacket,), {"json_only_events": self._json_only_events()}
            )
        kwargs.setdefault("json", PacketJSON)
        super().__init__(app, **kwargs)
        if default_error_handler is not None:
            self.on_error_default(default_error_handler)

    @classmethod
    def from_spec(
        cls: type[_Server],
        spec_path: str | PathLike[str] | Mapping[str, Any] | Api,
        validation: bool = True,
        server_name: str | None = None,
        docs: bool = True,
        default_error_handler: ErrorHandler | None = None,
        app: Flask | None = None,
        **kwargs: Any,
    ) -> _Server:
        """Create a Flask-SocketIO server from an AsyncAPI document.

        :param spec_path: the document: a YAML or JSON file (``str`` or path-like), an
            already-parsed mapping, or an :class:`~asynction.spec.Api`.
        :param validation: when ``False``, payloads, acks and connect bindings are not validated
            and their schemas are not compiled (security still is).
        :param server_name: the server of the document's ``servers`` whose URL path becomes the
            Socket.IO ``path`` (explicit ``path=``/``resource=`` kwargs win).
        :param docs: serve ``GET {base_path}/docs/asyncapi.json`` (the document as written).
        :param default_error_handler: the error handler of namespaces without ``x-handlers.error``
            (Flask-SocketIO's ``on_error_default``).
        :param app: the Flask app; without it, call :meth:`init_app` later, or use the server only
            to emit through ``message_queue``.
        :param kwargs: Flask-SocketIO, Socket.IO and Engine.IO server options.
        :raises SpecError: the document does not load, one of its schemas does not compile (with
            ``validation``; every such schema is listed), or ``server_name`` is unknown.
        :raises HandlerImportError: a handler does not import (only with ``app``).
        """
        if isinstance(spec_path, Api):
            api = spec_path
        else:
            from asynction.spec import load_spec

            api = load_spec(spec_path)
        return cls(
            api,
            validation,
            docs,
            app,
            server_name=server_name,
            default_error_handler=default_error_handler,
            **kwargs,
        )

    def _json_only_events(self) -> frozenset[tuple[str, str]]:
        """The incoming events whose payload is validated JSON: binary attachments are refused."""
        if not self.validation:
            return frozenset()
        default = self.spec.default_content_type
        return frozenset(
            (namespace.name, event.name)
            for namespace in self.spec.namespaces
            for event in namespace.incoming
            if event.payload is not None
            and "json" in (event.content_type or default or "application/json").lower()
        )

    # -- set-up ---------------------------------------------------------------------------

    def init_app(self, app: Flask | None, **kwargs: Any) -> None:
        """Attach the server to ``app``: import and register the handlers, then the docs routes.

        Every handler is imported before anything is registered, so a document naming a handler
        that does not import leaves the app untouched. Called with ``app=None`` (Flask-SocketIO does
        so for a ``message_queue`` without an app), nothing is imported: the server only emits.
        """
        if app is not None and not self._handlers_registered:
            registrations = self._resolve_all()
            # Registered while there is no server, handlers are queued in self.handlers, which
            # Flask-SocketIO registers on every server init_app creates (a server made earlier
            # for a message queue without an app is replaced anyway).
            self.server = None
            for registration in registrations:
                self._register_namespace(registration)
            self._handlers_registered = True
        path = kwargs.get("path") or kwargs.get("resource")
        if path:
            self._socketio_path = str(path)
        super().init_app(app, **kwargs)
        bound_websocket_messages(self.server)
        _track_ack_requests(self.server)
        if app is not None:
            app.wsgi_app = PollingBodyLimit(  # type: ignore[method-assign]
                app.wsgi_app, self._socketio_path, self.server.eio.max_http_buffer_size
            )
            self._track_app(app)
            if self.docs:
                self._register_docs(app)

    def _resolve_all(self) -> list[NamespaceRegistration]:
        """Import every handler of the document and build each namespace's security, reporting
        every problem at once."""
        problems: list[tuple[SpecLocation, str]] = []
        imports_only = True
        registrations = []
        for namespace in self.spec.namespaces:
            handlers = LifecycleHandlers()
            security = None
            events: list[tuple[Event, Callable[..., Any]]] = []
            try:
                handlers = self._resolve_namespace_handlers(namespace)
            except HandlerImportError as error:
                problems.extend(error.problems)
            for event in namespace.incoming:
                try:
                    handler = self._resolve_handler(namespace, event)
                except HandlerImportError as error:
                    problems.extend(error.problems)
                    continue
                if handler is None:
                    continue
                if event.name in _RESERVED_EVENTS:
                    # Registered as an event, it would replace the connect handler that enforces
                    # bindings and security (or the disconnect handler).
                    problems.append(
                        (
                            event.location,
                            f"incoming event {event.name!r} of namespace {namespace.name!r} is "
                            f"reserved by Socket.IO: name its handler in the channel's "
                            f"x-handlers.{event.name} instead",
                        )
                    )
                    imports_only = False
                    continue
                events.append((event, handler))
            try:
                security = self._build_security(namespace)
            except SpecError as error:
                problems.extend(error.problems)
                imports_only = imports_only and isinstance(error, HandlerImportError)
            registrations.append(
                NamespaceRegistration(namespace, handlers, tuple(events), security)
            )
        if problems:
            if imports_only:
                raise HandlerImportError(problems, summary="cannot import handlers")
            raise SpecError(problems)
        return registrations

    def _import_handler(self, path: str, location: SpecLocation, what: str) -> Callable[..., Any]:
        """Import one handler, raising :class:`HandlerImportError` that names it and its location."""
        try:
            handler = import_dotted(path)
        except Exception as error:  # anything the module raises while importing
            reason = str(error) if isinstance(error, ImportError) else repr(error)
            raise HandlerImportError(
                [(location, f"cannot import {what} {path!r}: {reason}")],
                summary="cannot import handlers",
            ) from error
        if not callable(handler):
            raise HandlerImportError(
                [(location, f"{what} {path!r} is not callable ({type(handler).__name__})")],
                summary="cannot import handlers",
            )
        return handler  # type: ignore[no-any-return]

    def _resolve_handler(self, namespace: Namespace, event: Event) -> Callable[..., Any] | None:
        """The handler of an incoming event (default: its imported ``x-handler``), or ``None``.

        Events without a handler are not registered: Socket.IO ignores them.
        """
        if event.handler is None:
            return None
        return self._import_handler(
            event.handler,
            event.location,
            f"x-handler of event {event.name!r} in namespace {namespace.name!r}",
        )

    def _resolve_namespace_handlers(self, namespace: Namespace) -> LifecycleHandlers:
        """The namespace's ``connect``, ``disconnect`` and ``error`` handlers (``x-handlers``)."""
        declared = namespace.handlers
        problems: list[tuple[SpecLocation, str]] = []
        found: dict[str, Callable[..., Any]] = {}
        for kind in ("connect", "disconnect", "error"):
            path = getattr(declared, kind)
            if path is None:
                continue
            try:
                found[kind] = self._import_handler(
                    path,
                    namespace.location.child("x-handlers", kind),
                    f"{kind} handler of namespace {namespace.name!r}",
                )
            except HandlerImportError as error:
                problems.extend(error.problems)
        if problems:
            raise HandlerImportError(problems, summary="cannot import handlers")
        return LifecycleHandlers(**found)

    def _build_security(self, namespace: Namespace) -> ConnectSecurity | None:
        """The connect-time security of a namespace (:mod:`asynction.security`), or ``None`` when
        it is public. Raises :class:`SpecError` for security the document declares wrongly."""
        from asynction.security import ConnectSecurity

        return ConnectSecurity.build(self.spec, namespace, self.server_name)

    def _register_namespace(self, registration: NamespaceRegistration) -> None:
        """Register a namespace: its connect handler (always, so that the namespace accepts
        connections and its bindings and security are enforced), disconnect and error handlers,
        then each incoming event with a handler."""
        namespace = registration.namespace
        name = namespace.name
        handlers = registration.handlers
        security = registration.security
        validators = self._registration_validators()
        bindings = None if validators is None else validators.bindings(namespace)
        if handlers.error is not None:
            self.on_error(name)(handlers.error)
        connect = self._connect_handler(name, handlers.connect, bindings, security)
        self.on_event("connect", connect, namespace=name)
        disconnect = self._disconnect_handler(name, handlers.disconnect, security is not None)
        if disconnect is not None:
            self.on_event("disconnect", disconnect, namespace=name)
        for event, handler in registration.events:
            self._register_event(namespace, event, handler, security)

    def _registration_validators(self) -> ApiValidators | None:
        """The validators handlers are registered with; ``None`` without validation."""
        if not self.validation:
            return None
        if self._validators is None:
            # Validation switched on after the server was built without it.
            self._validators = compile_validators(self.spec)
        return self._validators

    def _register_event(
        self,
        namespace: Namespace,
        event: Event,
        handler: Callable[..., Any],
        security: ConnectSecurity | None = None,
    ) -> None:
        """Register the handler of one incoming event, wrapped with validation and security."""
        wrapped = self._event_handler(namespace, event, handler, security)
        self.on_event(event.name, wrapped, namespace=namespace.name)

    # -- wrappers -------------------------------------------------------------------------

    def _handle_event(
        self,
        handler: Callable[..., Any],
        message: str | None,
        namespace: str,
        sid: str,
        *args: Any,
    ) -> Any:
        """Flask-SocketIO's dispatch of every event to its handler, made to answer data that is not
        JSON through the error path, and to log (once, with the namespace, event and client) what
        fails with no error handler to take it, or in the error handler itself, instead of ending
        the event's thread with a traceback and no log."""
        # message is None for the ack callback of an emit: its own wrapper checks the ack.
        if message is not None and args and args[-1].__class__ is UndecodablePayload:
            undecodable: UndecodablePayload = args[-1]
            if message == "connect":
                logger.warning(
                    "namespace %r: connection refused: the auth payload is %s",
                    namespace,
                    undecodable.reason,
                )
                raise SocketIOConnectionRefusedError(f"invalid auth payload: {undecodable.reason}")
            event = str(args[0]) if message == "*" and len(args) > 1 else message
            handler = _refusal(undecodable, namespace, event)
        try:
            return super()._handle_event(handler, message, namespace, sid, *args)
        except SocketIOConnectionRefusedError:
            raise
        except Exception as error:
            server = self.server
            if server is None or not server.async_handlers:
                raise  # to the caller: the test client, or python-socketio, which logs it
            if message is None:
                where = f"namespace {namespace!r}, client {sid}, an ack callback"
            else:
                event = str(args[0]) if message == "*" and args else message
                where = f"namespace {namespace!r}, event {event!r}, client {sid}"
            if isinstance(error, ValidationException):
                logger.warning("%s", error)
            elif self._error_handler(namespace) is not None:
                logger.error(
                    "%s: the error handler failed on %r", where, error.__context__, exc_info=error
                )
            else:
                logger.error(
                    "%s: the handler raised %s: %s",
                    where,
                    type(error).__name__,
                    error,
                    exc_info=error,
                )
            return server.not_handled

    def _error_handler(self, namespace: str) -> ErrorHandler | None:
        handler: ErrorHandler | None = self.exception_handlers.get(
            namespace, self.default_exception_handler
        )
        return handler

    def _report(self, error: Exception, namespace: str) -> Any:
        """Hand a failure that cannot be raised to the caller to the error handler, else log it."""
        handler = self._error_handler(namespace)
        if handler is None:
            logger.error("namespace %r: %s", namespace, error, exc_info=error)
            return None
        try:
            return handler(error)
        except Exception:
            logger.exception("namespace %r: the error handler failed on %r", namespace, error)
            return None

    def _event_handler(
        self,
        namespace: Namespace,
        event: Event,
        handler: Callable[..., Any],
        security: ConnectSecurity | None,
    ) -> Callable[..., Any]:
        """The function registered for an incoming event: the checks it needs and nothing else."""
        name = namespace.name
        payload = ack = None
        validators = self._registration_validators()
        if validators is not None:
            payload_validator = validators.payload(name, event)
            ack_validator = validators.ack(name, event)
            payload = None if payload_validator is None else payload_validator.validate
            ack = None if ack_validator is None else ack_validator.validate
        authorize = None
        if security is not None and event.security is not None:
            authorize = self._authorizer(name, event, security)
        if payload is None and ack is None and authorize is None:
            return handler
        error_handler_of = self._error_handler
        unhandled = self._unhandled
        ack_requested = _ACK_REQUESTED.get

        if authorize is None and ack is None and payload is not None:
            validate_payload = payload

            def on_event(*args: Any) -> Any:
                try:
                    validate_payload(args)
                except ValidationException as error:
                    if error_handler_of(name) is None:
                        return unhandled(error)
                    raise
                return handler(*args)

        elif authorize is None and ack is not None and payload is not None:
            validate_args = payload
            validate_result = ack

            def on_event(*args: Any) -> Any:
                try:
                    validate_args(args)
                    result = handler(*args)
                    if result is not None:
                        validate_result(result if isinstance(result, tuple) else (result,))
                    elif ack_requested():
                        validate_result(())  # the client gets an ack with no arguments
                except ValidationException as error:
                    if error_handler_of(name) is None:
                        return unhandled(error)
                    raise
                return result

        else:
            maybe_payload = payload
            maybe_ack = ack
            check_access = authorize

            def on_event(*args: Any) -> Any:
                if check_access is not None:
                    try:
                        check_access()
                    except SecurityException as error:
                        # A SecurityException is a ConnectionRefusedError, which Flask-SocketIO
                        # passes by the error handlers: route it here.
                        error_handler = error_handler_of(name)
                        if error_handler is None:
                            return unhandled(error)
                        return error_handler(error)
                try:
                    if maybe_payload is not None:
                        maybe_payload(args)
                    result = handler(*args)
                    if maybe_ack is not None:
                        if result is not None:
                            maybe_ack(result if isinstance(result, tuple) else (result,))
                        elif ack_requested():
                            maybe_ack(())
                except ValidationException as error:
                    if error_handler_of(name) is None:
                        return unhandled(error)
                    raise
                return result

        on_event.__name__ = getattr(handler, "__name__", event.name)
        on_event.__qualname__ = getattr(handler, "__qualname__", event.name)
        on_event.__wrapped__ = handler  # type: ignore[attr-defined]
        return on_event

    def _unhandled(self, error: Exception) -> Any:
        """A failure of an incoming event that no error handler takes: log it, then raise it
        where the caller can catch it (the test client, ``async_handlers=False``) or, where it
        would only end a background thread with a traceback, send no ack (as a raise would)."""
        logger.warning("%s", error)
        server = self.server
        if server.async_handlers:
            return server.not_handled
        raise error

    def _authorizer(
        self, namespace: str, event: Event, security: ConnectSecurity
    ) -> Callable[[], None]:
        token_infos = self._token_infos

        def authorize() -> None:
            token_info = token_infos.get((flask.request.sid, namespace))  # type: ignore[attr-defined]
            if token_info is None:
                raise SecurityException("unauthorized")
            security.authorize_event(event, token_info)

        return authorize

    def _connect_handler(
        self,
        namespace: str,
        handler: Callable[..., Any] | None,
        bindings: BindingsValidator | None,
        security: ConnectSecurity | None,
    ) -> Callable[..., Any]:
        """The connect handler of a namespace: bindings, then security, then the user's handler.

        Refusals are raised as Socket.IO's ``ConnectionRefusedError``, which Flask-SocketIO lets
        through to python-socketio whatever error handlers exist, so they always become a
        CONNECT_ERROR. The function always takes ``auth``: Flask-SocketIO calls it again without
        ``auth`` when it raises ``TypeError``, so no ``TypeError`` escapes it either.
        """
        call = self._connect_caller(handler, security is not None) if handler else None
        token_infos = self._token_infos
        owner = self

        def on_connect(auth: Any = None) -> Any:
            request = flask.request
            environ = request.environ
            environ[_OWNER_KEY] = owner
            key = (request.sid, namespace)  # type: ignore[attr-defined]
            try:
                if bindings is not None:
                    bindings.validate(environ)
                token_info = None
                if security is not None:
                    token_info = token_infos[key] = security.authenticate(environ, auth)
                result = None if call is None else call(auth, token_info)
            except (BindingsValidationException, SecurityException) as error:
                token_infos.pop(key, None)
                owner._refuse(error, namespace)
            except SocketIOConnectionRefusedError:
                token_infos.pop(key, None)
                raise
            except ConnectionRefusedError as error:  # the builtin one: a refusal, not a failure
                token_infos.pop(key, None)
                raise SocketIOConnectionRefusedError(_REFUSED) from error
            except Exception as error:
                token_infos.pop(key, None)
                owner._report(error, namespace)
                raise SocketIOConnectionRefusedError(_REFUSED) from error
            if result is False:
                token_infos.pop(key, None)
            return result

        return on_connect

    def _refuse(
        self, error: BindingsValidationException | SecurityException, namespace: str
    ) -> NoReturn:
        """Refuse a connection: tell the error handler (whose answer cannot accept the
        connection), else log, then raise a CONNECT_ERROR with a message safe for the client."""
        handler = self._error_handler(namespace)
        if handler is None:
            logger.warning("namespace %r: connection refused: %s", namespace, error)
        else:
            try:
                handler(error)
            except Exception:
                logger.exception("namespace %r: the error handler failed on %r", namespace, error)
        if isinstance(error, SecurityException):
            raise error
        raise SocketIOConnectionRefusedError(_bindings_message(error, namespace)) from error

    @staticmethod
    def _connect_caller(
        handler: Callable[..., Any], secured: bool
    ) -> Callable[[Any, SecurityInfo | None], Any]:
        """Call the user's connect handler with what its signature accepts (inspected once)."""
        positional, var_positional, names, var_keyword = _accepts(handler)
        takes_auth = var_positional or positional >= 1
        takes_token = secured and (var_keyword or "token_info" in names)
        takes_user = secured and (var_keyword or "user" in names)

        def call(auth: Any, token_info: SecurityInfo | None) -> Any:
            extra: dict[str, Any] = {}
            if takes_token:
                extra["token_info"] = token_info
            if takes_user:
                extra["user"] = _user_of(token_info)
            return handler(auth, **extra) if takes_auth else handler(**extra)

        return call

    def _disconnect_handler(
        self, namespace: str, handler: Callable[..., Any] | None, secured: bool
    ) -> Callable[..., Any] | None:
        """The disconnect handler: forgets the client's token info, then calls the user's handler
        (with the disconnect reason when it takes one)."""
        if handler is None and not secured:
            return None
        token_infos = self._token_infos
        takes_reason = False
        if handler is not None:
            positional, var_positional, _, _ = _accepts(handler)
            takes_reason = var_positional or positional >= 1
        report = self._report
        error_handler_of = self._error_handler

        def on_disconnect(*reason: Any) -> Any:
            if secured:
                token_infos.pop((flask.request.sid, namespace), None)  # type: ignore[attr-defined]
            if handler is None:
                return None
            try:
                return handler(*reason) if takes_reason else handler()
            except Exception as error:
                # Escaping, it would stop python-socketio before it forgets the client (its rooms,
                # its other namespaces); a TypeError would also make it call the handler again.
                if error_handler_of(namespace) is None:
                    logger.error(
                        "namespace %r, client %s: the disconnect handler raised %s: %s",
                        namespace,
                        flask.request.sid,  # type: ignore[attr-defined]
                        type(error).__name__,
                        error,
                        exc_info=error,
                    )
                    return None
                return report(error, namespace)

        return on_disconnect

    # -- egress ---------------------------------------------------------------------------

    def _build_outgoing(self, validators: ApiValidators) -> dict[str, dict[str, _Outgoing]]:
        outgoing: dict[str, dict[str, _Outgoing]] = {}
        for namespace in self.spec.namespaces:
            events = outgoing[namespace.name] = {}
            for event in namespace.outgoing:
                payload = validators.payload(namespace.name, event)
                ack = validators.ack(namespace.name, event)
                events[event.name] = _Outgoing(
                    None if payload is None else payload.validate,
                    None if ack is None else ack.validate,
                )
        return outgoing

    def _outgoing_event(
        self, outgoing: dict[str, dict[str, _Outgoing]], namespace: str, event: str
    ) -> _Outgoing:
        events = outgoing.get(namespace)
        if events is None:
            declared = ", ".join(repr(name) for name in outgoing) or "none"
            raise ValidationException(
                f"namespace {namespace!r} is not declared in the AsyncAPI document "
                f"(namespaces: {declared})",
                namespace=namespace,
                event=event,
                rule="namespace",
            )
        found = events.get(event)
        if found is None:
            declared = ", ".join(repr(name) for name in events) or "none"
            raise ValidationException(
                f"event {event!r} is not declared as an outgoing event of namespace "
                f"{namespace!r} (outgoing events: {declared})",
                namespace=namespace,
                event=event,
                rule="event",
            )
        return found

    def _foreign_owner(self, function: str) -> AsynctionSocketIO | None:
        """When module-level ``flask_socketio.<function>`` runs inside a handler of another
        server sharing this app, that server (Flask-SocketIO only knows the app's last one)."""
        caller: Any = sys._getframe(2)
        # Step over the same method of subclasses that call this one through super().
        while caller is not None and caller.f_code.co_name == function:
            if caller.f_globals.get("__name__") == "flask_socketio":
                break
            if caller.f_locals.get("self") is not self:
                return None
            caller = caller.f_back
        else:
            return None
        if not has_request_context():
            return None
        owner = flask.request.environ.get(_OWNER_KEY)
        return owner if owner is not None and owner is not self else None

    def emit(self, event: str, *args: Any, **kwargs: Any) -> None:
        """Emit an event, after checking that the namespace declares it as outgoing and that its
        payload is valid; a ``callback`` gets the client's ack arguments validated first.

        :raises ValidationException: the namespace or the event is not declared.
        :raises PayloadValidationException: the payload does not match the event's schema.
        """
        if self._shares_app:
            owner = self._foreign_owner("emit")
            if owner is not None:
                return owner.emit(event, *args, **kwargs)
        outgoing = self._outgoing
        if outgoing is not None:
            namespace = kwargs.get("namespace") or "/"
            checks = self._outgoing_event(outgoing, namespace, event)
            if checks.payload is not None:
                checks.payload(_as_arguments(args[0] if args else kwargs.get("data")))
            if checks.ack is not None:
                callback = kwargs.get("callback")
                if callback is not None:
                    kwargs["callback"] = self._checked_callback(callback, checks.ack, namespace)
        super().emit(event, *args, **kwargs)
        return None

    def send(self, data: Any, json: bool = False, **kwargs: Any) -> None:
        """Send a ``message`` event (``json`` with ``json=True``), validated as :meth:`emit` does:
        the namespace must declare an outgoing ``message`` (or ``json``) event."""
        if self._shares_app:
            owner = self._foreign_owner("send")
            if owner is not None:
                return owner.send(data, json=json, **kwargs)
        super().send(data, json=json, **kwargs)
        return None

    def call(self, event: str, *args: Any, **kwargs: Any) -> Any:
        """Emit an event to one client and wait for its ack, validating the payload before it is
        sent and the ack before it is returned.

        :raises MessageAckValidationException: the client's ack does not match the ack schema.
        """
        if self._shares_app:
            owner = self._foreign_owner("call")
            if owner is not None:
                return owner.call(event, *args, **kwargs)
        outgoing = self._outgoing
        checks = None
        if outgoing is not None:
            checks = self._outgoing_event(outgoing, kwargs.get("namespace") or "/", event)
            if checks.payload is not None:
                checks.payload(_as_arguments(args[0] if args else kwargs.get("data")))
        result = super().call(event, *args, **kwargs)
        if checks is not None and checks.ack is not None:
            arguments = _as_arguments(result)
            _refuse_undecodable_ack(arguments, kwargs.get("namespace") or "/", event)
            checks.ack(arguments)
        return result

    def _checked_callback(
        self,
        callback: Callable[..., Any],
        validate: Callable[[tuple[Any, ...]], None],
        namespace: str,
    ) -> Callable[..., Any]:
        """Wrap an emit's callback so that it only sees ack arguments that match the schema;
        invalid ones go to the namespace's error handler (else the default one, else the log)."""
        report = self._report

        def checked(*args: Any) -> Any:
            try:
                _refuse_undecodable_ack(args, namespace, None)
                validate(args)
            except MessageAckValidationException as error:
                report(error, namespace)
                return None
            return callback(*args)

        return checked

    # -- apps and docs --------------------------------------------------------------------

    def _track_app(self, app: Flask) -> None:
        """Remember the servers of one app: with several, module-level emits need routing."""
        servers: list[AsynctionSocketIO] = app.extensions.setdefault("asynction", [])
        if self not in servers:
            servers.append(self)
        if len(servers) > 1:
            for server in servers:
                server._shares_app = True

    def run(
        self, app: Flask, host: str | None = None, port: int | None = None, **kwargs: Any
    ) -> None:
        """Run the server (Flask-SocketIO's ``run``). The connection is closed once a websocket
        ends — werkzeug (``threading``) and gevent's pywsgi (``gevent`` without gevent-websocket)
        would otherwise keep every disconnecting client waiting for seconds — unless a
        ``request_handler`` (werkzeug) or ``handler_class`` (pywsgi) is given."""
        server = getattr(self, "server", None)
        mode = server.eio.async_mode if server is not None else None
        if mode == "threading":
            from asynction.serving import WebSocketClosingHandler

            kwargs.setdefault("request_handler", WebSocketClosingHandler)
        elif mode == "gevent" and not _has_gevent_websocket():
            from asynction.serving import pywsgi_closing_handler

            kwargs.setdefault("handler_class", pywsgi_closing_handler())
        super().run(app, host=host, port=port, **kwargs)

    @property
    def socketio_path(self) -> str:
        """The Socket.IO path in use, without surrounding slashes (``events/socket.io``)."""
        return self._socketio_path.strip("/")

    @property
    def base_path(self) -> str:
        """Where the docs routes live: the parent of the Socket.IO path (``/events`` for
        ``events/socket.io``, ``""`` for ``socket.io``)."""
        return socketio_base_path(self._socketio_path)

    def _register_docs(self, app: Flask) -> None:
        from asynction.docs import make_docs_blueprint

        app.register_blueprint(make_docs_blueprint(self.spec, self.base_path, name=self._docs_name))
