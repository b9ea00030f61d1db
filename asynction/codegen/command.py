"""``asynction codegen``: the command-line entry of the generator.

Light to import (the CLI loads it on every run): the generator and datamodel-code-generator are
imported only when the command runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

__all__ = ["CONFIG_KEYS", "CodegenOptions", "codegen_command", "find_pyproject", "read_config"]

CONFIG_KEYS = ("spec", "output", "class-name", "package")
"""The keys of ``[tool.asynction]`` the command reads, spelled like its flags."""

EXIT_STALE = 1
EXIT_ERROR = 2


class CommandError(Exception):
    """A problem to report on stderr as one message, exiting with status 2."""


@dataclass(frozen=True)
class CodegenOptions:
    """The command's options once flags and ``[tool.asynction]`` are merged (flags win)."""

    spec: Path
    output: Path
    class_name: str | None
    package: bool


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` or above it."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_config(pyproject: Path) -> dict[str, Any]:
    """The ``[tool.asynction]`` table of ``pyproject`` (empty when absent).

    :raises CommandError: the file is not valid TOML, or the table holds a wrongly typed value.
    """
    toml: Any = None
    for name in ("tomllib", "tomli"):  # tomllib is Python 3.11+; tomli is its backport
        try:
            toml = importlib.import_module(name)
            break
        except ImportError:
            continue
    if toml is None:
        raise CommandError(
            f"{pyproject}: reading [tool.asynction] needs Python 3.11 or the tomli package"
        )
    try:
        document = toml.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, toml.TOMLDecodeError) as error:
        raise CommandError(f"{pyproject}: cannot read: {error}") from None
    tool = document.get("tool")
    table = tool.get("asynction") if isinstance(tool, Mapping) else None
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise CommandError(f"{pyproject}: [tool.asynction] must be a table")
    config: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        if key not in table:
            continue
        value = table[key]
        expected: type = bool if key == "package" else str
        if not isinstance(value, expected):
            raise CommandError(
                f"{pyproject}: [tool.asynction] {key} must be a {expected.__name__}, "
                f"got {type(value).__name__}"
            )
        config[key] = value
    return config


def _options(
    spec: Path | None,
    output: Path | None,
    class_name: str | None,
    package: bool | None,
    cwd: Path,
) -> CodegenOptions:
    pyproject = find_pyproject(cwd)
    config = read_config(pyproject) if pyproject is not None else {}
    base = pyproject.parent if pyproject is not None else cwd
    if spec is None and "spec" in config:
        spec = base / config["spec"]
    if output is None and "output" in config:
        output = base / config["output"]
    if spec is None:
        raise CommandError(
            "no spec: give SPEC, or spec = ... in [tool.asynction] of pyproject.toml"
        )
    if output is None:
        raise CommandError(
            "no output: give -o/--output, or output = ... in [tool.asynction] of pyproject.toml"
        )
    return CodegenOptions(
        spec=spec,
        output=output,
        class_name=class_name if class_name is not None else config.get("class-name"),
        package=package if package is not None else bool(config.get("package", False)),
    )


def codegen_command(
    spec: Annotated[
        Path | None,
        typer.Argument(
            help="The AsyncAPI document (YAML or JSON). Default: `spec` of \\[tool.asynction].",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The module to write (events.py), or with --package the package directory. "
            "Default: `output` of \\[tool.asynction].",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 0 if the output is up to date, 1 if it is stale or "
            "missing, 2 on error.",
        ),
    ] = False,
    class_name: Annotated[
        str | None,
        typer.Option(
            "--class-name",
            help="The server class's name. Default: `class-name` of \\[tool.asynction], else "
            "<Title>Server from info.title.",
            show_default=False,
        ),
    ] = None,
    package: Annotated[
        bool | None,
        typer.Option(
            "--package/--module",
            help="Write a package (spec.py, models.py, server.py, __init__.py) instead of one "
            "module. Default: `package` of \\[tool.asynction], else a module.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Generate typed pydantic models and a typed server class from an AsyncAPI document.

    The output is deterministic and formatted, with a do-not-edit header naming the spec.

    Options not given as flags come from \\[tool.asynction] in the nearest pyproject.toml:
    spec, output, class-name, package (paths relative to that file).
    """
    try:
        options = _options(spec, output, class_name, package, Path.cwd())
        files = _generate(options)
        if check:
            stale = [file.path for file in files if not _up_to_date(file.path, file.text)]
            for path in stale:
                typer.echo(f"stale: {path}", err=True)
            if stale:
                raise typer.Exit(EXIT_STALE)
            typer.echo(f"up to date: {options.output}")
            return
        for file in files:
            file.path.parent.mkdir(parents=True, exist_ok=True)
            file.path.write_bytes(file.text.encode("utf-8"))
        typer.echo(f"wrote {options.output}")
    except typer.Exit:
        raise
    except CommandError as error:
        _fail(str(error))
    except Exception as error:  # every failure is one message, never a traceback
        _fail(_describe(error))


def _generate(options: CodegenOptions) -> list[Any]:
    if importlib.util.find_spec("datamodel_code_generator") is None:
        raise CommandError(
            "asynction codegen needs datamodel-code-generator: pip install 'asynction[codegen]'"
        )
    from asynction.codegen.generator import generate

    if options.package and options.output.suffix == ".py":
        raise CommandError(f"{options.output}: with --package, the output is a directory")
    if not options.spec.is_file():
        raise CommandError(f"{options.spec}: no such file")
    return generate(
        options.spec,
        options.output,
        class_name=options.class_name,
        package=options.package,
    )


def _up_to_date(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def _describe(error: Exception) -> str:
    from asynction.exceptions import SpecError

    if isinstance(error, SpecError):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.filename or ''}: {error.strerror or error}".lstrip(": ")
    name = type(error).__name__
    message = str(error)
    return f"{name}: {message}" if message else name


def _fail(message: str) -> NoReturn:
    typer.echo(f"asynction codegen: {message}", err=True)
    sys.stderr.flush()
    raise typer.Exit(EXIT_ERROR)
