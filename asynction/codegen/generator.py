"""``asynction codegen`` as a function: a spec file in, the generated files' text out."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePath

from asynction.codegen.formatting import ruff_format
from asynction.codegen.models import generate_models
from asynction.codegen.plan import make_plan
from asynction.codegen.render import Header, render_module, render_package
from asynction.spec import Api, load_spec

__all__ = ["GeneratedFile", "generate", "generate_from_api", "server_reserved_names"]


@dataclass(frozen=True)
class GeneratedFile:
    """One file to write: where, and what."""

    path: Path
    text: str


RESERVED_METHODS = frozenset(
    {"emit", "on", "on_error", "on_error_default", "on_event", "on_namespace"}
)
"""Attributes of the server's base classes (Flask-SocketIO's ``SocketIO``, ``AsynctionSocketIO``,
``TypedServer``) a generated method name could collide with: generated names all start with
``on_`` or ``emit_``. Listed rather than read from the classes, which would import Flask-SocketIO
for every generation; a test keeps the list complete."""


def server_reserved_names() -> frozenset[str]:
    """Method names the generated server class must not take."""
    return RESERVED_METHODS


def generate(
    spec: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    class_name: str | None = None,
    package: bool = False,
    format_with_ruff: bool = True,
) -> list[GeneratedFile]:
    """Generate the typed models and server for the AsyncAPI document ``spec``.

    :param output: the module to write (``events.py``), or with ``package`` the package directory.
    :param class_name: the server class's name (default ``<Title>Server``).
    :param format_with_ruff: run ``ruff format`` on the output when the ruff package is installed.
    :raises SpecError: the document does not load.
    :raises PlanError, ModelGenerationError: the document cannot be turned into code.
    """
    spec_path = Path(spec)
    output_path = Path(output)
    digest = hashlib.sha256(spec_path.read_bytes()).hexdigest()
    api = load_spec(spec_path)
    header = Header(source=_relative(spec_path, output_path.parent), sha256=digest)
    return generate_from_api(
        api,
        output_path,
        header,
        class_name=class_name,
        package=package,
        format_with_ruff=format_with_ruff,
    )


def generate_from_api(
    api: Api,
    output: Path,
    header: Header,
    *,
    class_name: str | None = None,
    package: bool = False,
    format_with_ruff: bool = True,
) -> list[GeneratedFile]:
    """Generate from an already-loaded spec (see :func:`generate`)."""
    plan = make_plan(api, class_name=class_name, reserved=server_reserved_names())
    models = generate_models(plan)
    if package:
        texts = {output / name: text for name, text in render_package(plan, models, header).items()}
    else:
        texts = {output: render_module(plan, models, header)}
    if format_with_ruff:
        texts = {path: ruff_format(text, path.name) for path, text in texts.items()}
    return [GeneratedFile(path, text) for path, text in texts.items()]


def _relative(spec: Path, directory: Path) -> str:
    """The spec's path relative to the output's directory, with ``/`` separators: the same bytes
    whatever the working directory or the platform."""
    try:
        relative = os.path.relpath(spec.resolve(), directory.resolve())
    except ValueError:  # another drive (Windows)
        return spec.name
    return PurePath(relative).as_posix()
