"""``asynction mock run``: serve an AsyncAPI document as a live Socket.IO API of fake data.

Both ``asynction mock run SPEC`` and the predecessor's ``asynction --spec SPEC mock run`` work. The
command prints where it listens and what it will emit, then serves until Ctrl-C (or SIGTERM). It
needs no terminal: stdin may be closed or redirected (CI, Docker, the background). The working
directory goes first on the import path, and the spec's own directory last, so that the security
info functions a spec names import from modules beside it.

This module imports nothing heavy at import time, so that the ``asynction`` command starts quickly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from asynction.mock.server import MockAsynctionSocketIO
    from asynction.spec import Api

__all__ = ["describe_mock", "mock_app", "run_command"]

mock_app = typer.Typer(
    name="mock",
    help="Serve an AsyncAPI document as a Socket.IO API of fake data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@mock_app.callback()
def _mock() -> None:
    """Serve an AsyncAPI document as a Socket.IO API of fake data (no handlers, no Redis)."""


@mock_app.command("run")
def run_command(
    ctx: typer.Context,
    spec: Annotated[
        Path | None,
        typer.Argument(
            help="The AsyncAPI document (YAML or JSON). Also accepted as `asynction --spec SPEC`.",
            metavar="SPEC",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="The interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="The port to listen on.")] = 5000,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            min=0.001,
            help="Seconds between two emits of each outgoing event.",
        ),
    ] = 1.0,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="The most worker threads emitting events.",
        ),
    ] = 8,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Make the fake data reproducible.", show_default=False),
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            help="The server of the spec whose path (and security) to use.",
            show_default=False,
        ),
    ] = None,
    validation: Annotated[
        bool,
        typer.Option(
            "--validation/--no-validation",
            help="Validate incoming payloads and connect bindings.",
        ),
    ] = True,
    docs: Annotated[
        bool, typer.Option("--docs/--no-docs", help="Serve the docs page at {base}/docs.")
    ] = True,
    custom_formats_sample_size: Annotated[
        int,
        typer.Option(
            "--custom-formats-sample-size",
            min=0,
            help="Faker samples per custom string format (format: first_name…); 0 turns them off.",
        ),
    ] = 20,
    debugger: Annotated[
        bool, typer.Option("--debugger", help="Run Flask in debug mode (without the reloader).")
    ] = False,
) -> None:
    """Serve SPEC with fake data: every outgoing event is broadcast to its namespace's clients
    every --interval seconds, every incoming event is validated and answered with a fake ack."""
    root = ctx.find_root().obj
    spec = spec or (root.get("spec") if isinstance(root, dict) else None)
    if spec is None:
        typer.echo(
            "Missing the AsyncAPI document: asynction mock run SPEC "
            "(or asynction --spec SPEC mock run)",
            err=True,
        )
        raise typer.Exit(2)
    _extend_import_path(spec)
    _configure_logging()
    api = _load(spec)
    mock, app = _build(
        api,
        validation=validation,
        server_name=server,
        docs=docs,
        custom_formats_sample_size=custom_formats_sample_size,
        seed=seed,
    )
    typer.echo(describe_mock(mock, host, port, interval, workers))
    sys.stdout.flush()
    _stop_on_sigterm()
    with contextlib.suppress(KeyboardInterrupt):
        mock.run(
            app,
            host=host,
            port=port,
            subscription_task_interval=interval,
            max_worker_number=workers,
            debug=debugger,
            use_reloader=False,
        )
    typer.echo("Mock server stopped.")


def _extend_import_path(spec: Path) -> None:
    """The working directory first on the import path (as ``python -m`` does), the spec's
    directory last (so that nothing installed is shadowed by it)."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    directory = str(spec.resolve().parent)
    if directory not in sys.path:
        sys.path.append(directory)


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # werkzeug's request lines and its "production deployment" warning are noise for a mock.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def _load(spec: Path) -> Api:
    from asynction.exceptions import SpecError
    from asynction.spec import load_spec

    try:
        return load_spec(spec)
    except SpecError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    except OSError as error:
        typer.echo(f"cannot read {spec}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from None


def _build(api: Api, **options: Any) -> tuple[MockAsynctionSocketIO, Any]:
    import flask

    from asynction.exceptions import SpecError
    from asynction.mock.server import MockAsynctionSocketIO

    app = flask.Flask("asynction.mock")
    try:
        mock = MockAsynctionSocketIO.from_spec(api, app=app, async_mode="threading", **options)
    except SpecError as error:  # unknown server, security info functions that do not import…
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    return mock, app


def _stop_on_sigterm() -> None:
    """SIGTERM (``docker stop``, ``kill``) stops the server as Ctrl-C does."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # ValueError: not the main thread (the command run from a test's thread).
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, interrupt)


def describe_mock(
    mock: MockAsynctionSocketIO, host: str, port: int, interval: float, workers: int
) -> str:
    """What ``mock run`` prints before serving: where, what it emits, what it answers."""
    api = mock.spec
    base = f"http://{host}:{port}"
    path = "/" + mock.socketio_path
    lines = [
        f"Mock of {api.title} {api.version} (AsyncAPI {api.asyncapi_version}) from {api.source}",
        f"Listening on {base} (Socket.IO path {path})",
        f"Fake data seed: {mock.fake_data.seed} (--seed {mock.fake_data.seed} repeats this data)",
    ]
    if mock.server_name is None:
        others = [server for server in api.servers if server.path and f"/{server.path}" != path]
        if others:
            lines.insert(
                2,
                "  (the spec's servers use "
                + ", ".join(f"{server.name}: /{server.path}" for server in others)
                + "; --server NAME serves that path)",
            )
    emitting = [namespace for namespace in api.namespaces if namespace.outgoing]
    if emitting:
        count = sum(len(namespace.outgoing) for namespace in emitting)
        lines.append(
            f"Emitting every {interval:g} s to each namespace's clients "
            f"({count} event{'s' if count != 1 else ''}, {min(workers, count)} "
            f"worker{'s' if min(workers, count) != 1 else ''}):"
        )
        for namespace in emitting:
            names = ", ".join(repr(event.name) for event in namespace.outgoing)
            lines.append(f"  {namespace.name}: {names}")
    else:
        lines.append("Emitting nothing: the document declares no outgoing event.")
    answering = [namespace for namespace in api.namespaces if namespace.incoming]
    if answering:
        lines.append("Answering:")
        for namespace in answering:
            names = ", ".join(
                repr(event.name) + (" (fake ack)" if event.ack is not None else "")
                for event in namespace.incoming
            )
            lines.append(f"  {namespace.name}: {names}")
    if mock.docs:
        lines.append(f"Docs: {base}{mock.base_path}/docs")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)
