"""Where asynction's jinja2 templates live, in a source checkout and in an installed wheel.

The templates sit in the top-level ``templates/`` folder of the repository. The wheel ships that folder
inside the package, as ``asynction/templates/`` (a hatch ``force-include``); a source checkout or an
editable install finds it beside the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["template_dir"]

_PACKAGE = Path(__file__).resolve().parent
_KINDS = ("docs", "codegen")
"""The subfolders asynction's templates folder has."""


@cache
def template_dir() -> Path:
    """The folder holding asynction's templates (``docs/``, ``codegen/`` …).

    :raises FileNotFoundError: neither ``asynction/templates/`` (wheel) nor ``templates/`` beside
        the package (source checkout, editable install) exists.
    """
    candidates = (_PACKAGE / "templates", _PACKAGE.parent / "templates")
    for candidate in candidates:
        # Beside an installed package, a ``templates/`` folder may belong to somebody else.
        if any((candidate / kind).is_dir() for kind in _KINDS):
            return candidate
    searched = ", ".join(str(candidate) for candidate in candidates)
    raise FileNotFoundError(f"asynction's templates are missing (looked in {searched})")
