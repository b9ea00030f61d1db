"""The ``asynction`` command line (typer)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from asynction import __version__
from asynction.exceptions import SpecError
from asynction.spec import Api, Event, load_spec

app = typer.Typer(
    name="asynction",
    help="Spec-first Socket.IO: AsyncAPI documents as validated Flask-SocketIO servers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"asynction {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="The AsyncAPI document, for `mock run` (the predecessor's "
            "`asynction --spec SPEC mock run`).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Spec-first Socket.IO for Python."""
    ctx.ensure_object(dict)["spec"] = spec


def _load(spec: Path) -> Api:
    try:
        return load_spec(spec)
    except SpecError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


@app.command()
def check(
    spec: Annotated[Path, typer.Argument(help="The AsyncAPI document (YAML or JSON).")],
) -> None:
    """Load SPEC, compile its schemas and print what asynction sees in it; exit 1 with the errors
    if it is invalid."""
    from asynction.validation import check_schemas

    api = _load(spec)
    try:
        # What from_spec compiles at start-up: a schema it would refuse fails the check too.
        check_schemas(api)
    except SpecError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(describe(api))


def describe(api: Api) -> str:
    """A human-readable outline of a loaded API."""
    lines = [
        f"{api.title} {api.version} (AsyncAPI {api.asyncapi_version}, {api.source})",
    ]
    if api.servers:
        lines.append("servers:")
        for server in api.servers:
            security = f", security:{_requirements(server.security)}" if server.security else ""
            lines.append(
                f"  {server.name}: {server.url} ({server.protocol}), Socket.IO path "
                f"/{server.path or 'socket.io'}{security}"
            )
    lines.append(f"namespaces: {len(api.namespaces)}")
    for namespace in api.namespaces:
        lines.append(f"  {namespace.name}")
        if namespace.security is not None:
            lines.append(f"    security:{_requirements(namespace.security) or ' public'}")
        if namespace.bindings is not None:
            bindings = namespace.bindings
            parts = []
            if bindings.method:
                parts.append(f"method {bindings.method}")
            if bindings.query is not None:
                parts.append(f"query {summarise(bindings.query)}")
            if bindings.headers is not None:
                parts.append(f"headers {summarise(bindings.headers)}")
            lines.append(f"    bindings: {', '.join(parts) or 'none'}")
        handlers = namespace.handlers
        named = [
            f"{kind}={path}"
            for kind, path in (
                ("connect", handlers.connect),
                ("disconnect", handlers.disconnect),
                ("error", handlers.error),
            )
            if path
        ]
        if named:
            lines.append(f"    handlers: {', '.join(named)}")
        for title, events in (("incoming", namespace.incoming), ("outgoing", namespace.outgoing)):
            if events:
                lines.append(f"    {title}:")
                lines.extend(f"      {_event_line(event)}" for event in events)
    if api.security_schemes:
        lines.append("security schemes:")
        for name, scheme in api.security_schemes.items():
            detail = scheme.scheme or scheme.location_in or ""
            lines.append(f"  {name}: {scheme.type}{f' ({detail})' if detail else ''}")
    return "\n".join(lines)


def _requirements(requirements: Any) -> str:
    alternatives = [
        " + ".join(
            f"{name}{'[' + ', '.join(scopes) + ']' if scopes else ''}"
            for name, scopes in requirement.items()
        )
        or "public"
        for requirement in requirements
    ]
    return " " + " | ".join(alternatives) if alternatives else ""


def _event_line(event: Event) -> str:
    payload = "not validated" if event.payload is None else summarise(event.payload)
    line = f"{event.name!r}: {payload}"
    if event.ack is not None:
        line += f" -> ack {summarise(event.ack)}"
    if event.handler:
        line += f"  [{event.handler}]"
    if event.security is not None:
        line += f"  security:{_requirements(event.security)}"
    return line


def summarise(schema: Any, depth: int = 0) -> str:
    """A one-line summary of a JSON Schema: ``object {id*: integer, tags: [string]}``."""
    if schema is True:
        return "any"
    if schema is False:
        return "nothing"
    if not isinstance(schema, Mapping):
        return "?"
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    if "const" in schema:
        return repr(schema["const"])
    if "enum" in schema:
        return " | ".join(repr(value) for value in schema["enum"])
    for combinator, joiner in (("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")):
        if combinator in schema:
            return joiner.join(summarise(part, depth + 1) for part in schema[combinator])
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if "prefixItems" in schema:
        return "(" + ", ".join(summarise(item, depth + 1) for item in schema["prefixItems"]) + ")"
    if "array" in kinds and "items" in schema:
        return f"[{summarise(schema['items'], depth + 1)}]"
    if ("object" in kinds or "properties" in schema) and depth < 2:
        required = set(schema.get("required", ()))
        fields = [
            f"{name}{'*' if name in required else ''}: {summarise(sub, depth + 1)}"
            for name, sub in (schema.get("properties") or {}).items()
        ]
        return "object {" + ", ".join(fields) + "}" if fields else "object"
    text = " | ".join(str(k) for k in kinds) if kinds else "any"
    if "format" in schema:
        text += f"<{schema['format']}>"
    return text


# `asynction docs` lives with the docs page (asynction/docs/command.py).
from asynction.docs.command import docs as _docs_command  # noqa: E402

app.command("docs")(_docs_command)

# `asynction codegen` lives with the generator (asynction/codegen/command.py).
from asynction.codegen.command import codegen_command as _codegen_command  # noqa: E402

app.command("codegen")(_codegen_command)

# `asynction mock run` lives with the mock server (asynction/mock/command.py).
from asynction.mock.command import mock_app as _mock_app  # noqa: E402

app.add_typer(_mock_app, name="mock")


def main() -> None:
    """Entry point of the ``asynction`` console script."""
    app(prog_name="asynction")


if __name__ == "__main__":  # pragma: no cover
    main()
