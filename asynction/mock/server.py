"""The mock server: an AsyncAPI document served with fake data, before the API is built.

:class:`MockAsynctionSocketIO` is an :class:`~asynction.server.AsynctionSocketIO` that imports no
handler (``x-handler``, ``x-handlers``) and instead:

* answers every incoming event of the document: its payload is validated (as by the real server,
  failures going to the ``default_error_handler``, else the log) and, where the event has an ack
  schema, a fake ack is returned;
* emits every outgoing event with a fake payload, once per ``subscription_task_interval``, as a
  broadcast to the clients of its namespace (see :mod:`asynction.mock.scheduler`), from
  :meth:`~MockAsynctionSocketIO.run` or :meth:`~MockAsynctionSocketIO.start_subscription_tasks`;
* enforces connect-time bindings and security exactly as the real server does (the security info
  functions the document names are imported: they decide who may connect).

Fake data comes from :class:`~asynction.mock.fakes.FakeData` and always validates against its
schema before it is sent; ``seed`` makes it reproducible.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from os import PathLike
from typing import Any

import flask
from flask import Flask

from asynction.mock.fakes import FakeData
from asynction.mock.scheduler import Subscriptions, SubscriptionTask
from asynction.server import AsynctionSocketIO, ErrorHandler, LifecycleHandlers
from asynction.spec.model import Api, Event, Namespace

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "MockAsynctionSocketIO"]

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
_RESERVED_EVENTS = frozenset({"connect", "disconnect"})


def emit_data(arguments: tuple[Any, ...]) -> tuple[Any, ...]:
    """The positional ``emit`` arguments that send ``arguments`` as Socket.IO arguments: none,
    one value, or one tuple (which python-socketio sends as several arguments)."""
    if not arguments:
        return ()
    if len(arguments) == 1:
        return (arguments[0],)
    return (arguments,)


def ack_value(arguments: tuple[Any, ...]) -> Any:
    """What a handler returns for Flask-SocketIO to send ``arguments`` as its ack."""
    if not arguments:
        return None
    if len(arguments) == 1:
        return arguments[0]
    return arguments


class MockAsynctionSocketIO(AsynctionSocketIO):
    """A Flask-SocketIO server that fakes the API an AsyncAPI document describes.

    Build it with :meth:`from_spec`; run it with :meth:`run`. See the module docstring for what it
    does; ``fake_data`` makes the payloads and acks, ``subscriptions`` (once started) emits them.
    """

    fake_data: FakeData
    """The fake payload and ack maker (its ``seed`` reproduces the data)."""

    def __init__(
        self,
        spec: Api,
        validation: bool = True,
        docs: bool = True,
        app: Flask | None = None,
        custom_formats_sample_size: int = 20,
        *,
        seed: int | None = None,
        server_name: str | None = None,
        default_error_handler: ErrorHandler | None = None,
        **kwargs: Any,
    ) -> None:
        """Create the mock; see :meth:`from_spec` for the parameters."""
        self.fake_data = FakeData(
            spec, seed=seed, custom_formats_sample_size=custom_formats_sample_size
        )
        self.custom_formats_sample_size = custom_formats_sample_size
        self.subscriptions: Subscriptions | None = None
        self._clients: dict[str, set[str]] = {
            namespace.name: set() for namespace in spec.namespaces
        }
        self._clients_lock = threading.Lock()
        super().__init__(
            spec,
            validation,
            docs,
            app,
            server_name=server_name,
            default_error_handler=default_error_handler,
            **kwargs,
        )

    @classmethod
    def from_spec(
        cls,
        spec_path: str | PathLike[str] | Mapping[str, Any] | Api,
        validation: bool = True,
        server_name: str | None = None,
        docs: bool = True,
        default_error_handler: ErrorHandler | None = None,
        app: Flask | None = None,
        custom_formats_sample_size: int = 20,
        seed: int | None = None,
        **kwargs: Any,
    ) -> MockAsynctionSocketIO:
        """Create a mock server from an AsyncAPI document.

        It emits events of fake data at regular intervals through background subscription tasks,
        and answers every incoming event of the document with a fake ack where it has an ack
        schema. Every payload and ack it sends validates against its schema.

        :param spec_path: the document: a YAML or JSON file (``str`` or path-like), an
            already-parsed mapping, or an :class:`~asynction.spec.Api`.
        :param validation: when ``False``, incoming payloads and connect bindings are not validated
            (fake data always is, before it is sent).
        :param server_name: the server of the document's ``servers`` whose URL path becomes the
            Socket.IO ``path`` (and whose security applies).
        :param docs: serve ``GET {base_path}/docs`` and ``GET {base_path}/docs/asyncapi.json``.
        :param default_error_handler: the error handler of every namespace (the mock imports no
            ``x-handlers.error``); what it returns is the ack of a failed event.
        :param app: the Flask app; without it, call :meth:`init_app` later.
        :param custom_formats_sample_size: how many values of each Faker provider that a custom
            string ``format`` names are sampled (``format: first_name``…); ``0`` turns custom
            formats off.
        :param seed: makes the fake data reproducible (default: a random seed, in
            ``fake_data.seed``).
        :param kwargs: Flask-SocketIO, Socket.IO and Engine.IO server options.
        :raises SpecError: the document does not load, or ``server_name`` is unknown.
        :raises HandlerImportError: a security info function does not import (only with ``app``).
        """
        return super().from_spec(
            spec_path,
            validation=validation,
            server_name=server_name,
            docs=docs,
            default_error_handler=default_error_handler,
            app=app,
            custom_formats_sample_size=custom_formats_sample_size,
            seed=seed,
            **kwargs,
        )

    # -- handlers -------------------------------------------------------------------------------

    def _resolve_handler(self, namespace: Namespace, event: Event) -> Callable[..., Any] | None:
        """A handler answering ``event`` with a fake ack (no ``x-handler`` is imported)."""
        if event.name in _RESERVED_EVENTS:
            return None  # Socket.IO's own lifecycle events: the connect handler stays ours
        fake_data = self.fake_data
        name = namespace.name
        server = self

        def handler(*args: Any) -> Any:
            logger.info("namespace %r: received %r", name, event.name)
            if event.ack is None:
                return None
            arguments = fake_data.ack(name, event)
            if arguments is None:
                return server.server.not_handled  # no valid ack can be made: send none
            return ack_value(arguments)

        handler.__name__ = f"mock_{event.name}"
        return handler

    def _register_event(
        self,
        namespace: Namespace,
        event: Event,
        handler: Callable[..., Any],
        security: Any = None,
    ) -> None:
        # The base class validates what handlers return against the ack schema; the mock only
        # returns validated acks, or python-socketio's "no ack" marker when none can be made,
        # which that check must not see.
        if event.ack is not None:
            event = dataclasses.replace(event, ack=None)
        super()._register_event(namespace, event, handler, security)

    def _resolve_namespace_handlers(self, namespace: Namespace) -> LifecycleHandlers:
        """Connect and disconnect handlers that keep count of the namespace's clients (no
        ``x-handlers`` are imported)."""
        name = namespace.name

        def on_connect(*args: Any, **kwargs: Any) -> None:
            self._client_joined(name, flask.request.sid)  # type: ignore[attr-defined]

        def on_disconnect(*reason: Any) -> None:
            self._client_left(name, flask.request.sid)  # type: ignore[attr-defined]

        return LifecycleHandlers(connect=on_connect, disconnect=on_disconnect)

    def _client_joined(self, namespace: str, sid: str) -> None:
        with self._clients_lock:
            self._clients.setdefault(namespace, set()).add(sid)
        logger.info("namespace %r: client %s connected", namespace, sid)
        if self.subscriptions is not None:
            self.subscriptions.clients_changed(True)

    def _client_left(self, namespace: str, sid: str) -> None:
        with self._clients_lock:
            self._clients.get(namespace, set()).discard(sid)
            anyone = any(self._clients.values())
        logger.info("namespace %r: client %s disconnected", namespace, sid)
        if self.subscriptions is not None:
            self.subscriptions.clients_changed(anyone)

    def client_count(self, namespace: str | None = None) -> int:
        """Clients connected to ``namespace`` (to any namespace when ``None``), counted once per
        namespace they joined."""
        with self._clients_lock:
            if namespace is not None:
                return len(self._clients.get(namespace, ()))
            return sum(len(sids) for sids in self._clients.values())

    def _has_clients(self, namespace: str) -> bool:
        return bool(self._clients.get(namespace))

    # -- subscription tasks ---------------------------------------------------------------------

    def subscription_tasks(self) -> list[SubscriptionTask]:
        """One task per outgoing event of the document, emitting it with fake data."""
        tasks = []
        for namespace in self.spec.namespaces:
            for event in namespace.outgoing:
                tasks.append(
                    SubscriptionTask(namespace.name, event.name, self._emitter(namespace, event))
                )
        return tasks

    def _emitter(self, namespace: Namespace, event: Event) -> Callable[[], None]:
        fake_data = self.fake_data
        name = namespace.name

        def emit_fake() -> None:
            arguments = fake_data.payload(name, event)
            if arguments is None:
                return  # no valid payload can be made (logged once by FakeData)
            self.emit(event.name, *emit_data(arguments), namespace=name)

        return emit_fake

    def start_subscription_tasks(
        self, subscription_task_interval: float = 1.0, max_worker_number: int = 8
    ) -> Subscriptions:
        """Start emitting every outgoing event with fake data every
        ``subscription_task_interval`` seconds, on at most ``max_worker_number`` workers (a spec
        without outgoing events starts none). :meth:`run` calls this; call it yourself when the
        server is run another way (gunicorn, tests). Calling it again restarts the tasks.

        :raises RuntimeError: the server has no app yet (:meth:`init_app` first).
        """
        if getattr(self, "server", None) is None:
            raise RuntimeError("the mock server has no app yet: pass app= or call init_app first")
        self.stop_subscription_tasks()
        subscriptions = Subscriptions(
            self.subscription_tasks(),
            interval=subscription_task_interval,
            max_workers=max_worker_number,
            runtime=self,
            new_event=self.server.eio.create_event,
            has_clients=self._has_clients,
        )
        self.subscriptions = subscriptions
        subscriptions.clients_changed(self.client_count() > 0)
        subscriptions.start()
        return subscriptions

    def stop_subscription_tasks(self, timeout: float = 5.0) -> None:
        """Stop the subscription tasks (if started) and wait for their workers to return."""
        subscriptions = self.subscriptions
        self.subscriptions = None
        if subscriptions is not None:
            subscriptions.stop(timeout)

    def run(
        self,
        app: Flask,
        host: str | None = None,
        port: int | None = None,
        subscription_task_interval: float = 1.0,
        max_worker_number: int = 8,
        **kwargs: Any,
    ) -> None:
        """Run the mock Asynction SocketIO web server, with its subscription tasks.

        :param app: the Flask application instance.
        :param host: the interface to listen on; defaults to ``127.0.0.1``.
        :param port: the port to listen on; defaults to ``5000``.
        :param subscription_task_interval: how often (in seconds) each subscription task (an
            outgoing event broadcast to its namespace's clients) is scheduled. Defaults to 1.0.
        :param max_worker_number: the most workers started to run subscription tasks. Defaults
            to 8.
        :param kwargs: further options of :meth:`flask_socketio.SocketIO.run`. With the threading
            async mode (werkzeug), ``allow_unsafe_werkzeug`` defaults to ``True``: the mock is a
            development tool, and must run without a terminal (CI, Docker, the background).
        """
        if getattr(self, "server", None) is None:
            self.init_app(app)  # built without an app: attach it now, as Flask-SocketIO's run needs
        if self.server.eio.async_mode == "threading":
            kwargs.setdefault("allow_unsafe_werkzeug", True)
        # The models behind the fake data are generated while the server starts listening.
        self.start_background_task(self.fake_data.prepare)
        self.start_subscription_tasks(subscription_task_interval, max_worker_number)
        try:
            super().run(
                app,
                host=host if host is not None else DEFAULT_HOST,
                port=port if port is not None else DEFAULT_PORT,
                **kwargs,
            )
        finally:
            self.stop_subscription_tasks()
