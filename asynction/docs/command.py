"""``asynction docs SPEC -o api.html``: the docs page as one static, self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["docs"]


def docs(
    spec: Annotated[Path, typer.Argument(help="The AsyncAPI document (YAML or JSON).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The HTML file to write (default: standard output).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write the HTML docs page of SPEC: the page a server serves at {base_path}/docs, as one
    file that needs nothing else (no network, no other files)."""
    from asynction.docs.page import render_page
    from asynction.exceptions import SpecError
    from asynction.spec import load_spec

    try:
        api = load_spec(spec)
    except SpecError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    html = render_page(api)
    if output is None:
        typer.echo(html, nl=False)
        return
    try:
        output.write_text(html, encoding="utf-8")
    except OSError as error:
        typer.echo(f"cannot write {output}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {output} ({len(html.encode('utf-8')) // 1024 + 1} KiB)", err=True)
