"""CommonMark descriptions of an AsyncAPI document, rendered as inert HTML.

Spec text is untrusted: raw HTML in it is shown as text (never passed through), links keep only the
``http``, ``https`` and ``mailto`` schemes or a relative target (anything else stays plain text),
and images are not rendered at all, since an image would make the page fetch from the network.
Headings are moved down three levels so that a description's ``#`` does not compete with the page's
own outline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

__all__ = ["ALLOWED_SCHEMES", "is_safe_link", "render_markdown"]

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
"""The URL schemes a link in spec text may use; a link without a scheme is relative."""

HEADING_SHIFT = 3

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_LINK_REL = "nofollow noopener noreferrer"


def is_safe_link(url: str) -> bool:
    """Whether ``url`` may become a link: ``http``, ``https``, ``mailto`` or relative.

    A colon before the first ``/``, ``?`` or ``#`` makes what precedes it a scheme, so an obfuscated
    scheme (``java%09script:``) is refused rather than taken for a relative path.
    """
    stripped = url.strip()
    head = re.split(r"[/?#]", stripped, maxsplit=1)[0]
    if ":" not in head:
        return True
    match = _SCHEME.match(stripped)
    return match is not None and match.group(1).lower() in ALLOWED_SCHEMES


class _SafeMarkdown(MarkdownIt):
    """CommonMark with raw HTML escaped, links restricted and images off."""

    def validateLink(self, url: str) -> bool:  # markdown-it's name
        return is_safe_link(url)


def _link_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    tokens[idx].attrSet("rel", _LINK_REL)
    rendered: str = self.renderToken(tokens, idx, options, env)
    return rendered


def _shift_heading(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    level = min(int(token.tag[1:]) + HEADING_SHIFT, 6)
    token.tag = f"h{level}"
    rendered: str = self.renderToken(tokens, idx, options, env)
    return rendered


@cache
def _parser() -> MarkdownIt:
    parser = _SafeMarkdown("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.disable("image")
    parser.add_render_rule("link_open", _link_open)
    parser.add_render_rule("heading_open", _shift_heading)
    parser.add_render_rule("heading_close", _shift_heading)
    return parser


def render_markdown(text: str | None) -> Markup:
    """``text`` (CommonMark) as HTML that runs nothing and fetches nothing; ``""`` for ``None``."""
    if not text:
        return Markup("")
    # markdown-it escapes every piece of text and attribute it outputs, and raw HTML is disabled,
    # so its output is safe to mark as such.
    return Markup(_parser().render(text))
