"""``ruff format`` on generated code, when the ``ruff`` package is installed.

The generator lays its own code out as ruff would and datamodel-code-generator's builtin formatter
is close to it, so without ruff the output is the same in all but unusual cases; with it, the
output is exactly ruff's. Only the ``ruff`` Python package's own binary is used (never one found on
``PATH``), with fixed settings (``--isolated``, line length 100, Python 3.10), so that the bytes do
not depend on the project the command runs in.
"""

from __future__ import annotations

import subprocess
from functools import cache

__all__ = ["ruff_binary", "ruff_format"]

LINE_LENGTH = 100
TARGET = "py310"


@cache
def ruff_binary() -> str | None:
    """The path of the ``ruff`` package's binary, or ``None`` when the package is not installed."""
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return str(find_ruff_bin())
    except FileNotFoundError:
        return None


def ruff_format(source: str, filename: str = "generated.py") -> str:
    """``source`` formatted by ruff, or as it is when ruff is not installed or fails on it."""
    binary = ruff_binary()
    if binary is None:
        return source
    try:
        result = subprocess.run(  # the ruff package's own binary
            [
                binary,
                "format",
                "--isolated",
                "--line-length",
                str(LINE_LENGTH),
                "--target-version",
                TARGET,
                "--stdin-filename",
                filename,
                "-",
            ],
            input=source.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return source
    if result.returncode != 0:
        return source
    return result.stdout.decode("utf-8")
