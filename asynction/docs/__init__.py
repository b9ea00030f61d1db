"""The documentation routes of an asynction server.

:func:`make_docs_blueprint` builds one Flask blueprint per server, mounted at ``{base_path}/docs``:

* ``GET {base_path}/docs/asyncapi.json`` — the AsyncAPI document as written (with ``$ref``s into other
  files bundled in, so that it stands alone), when the server was built from a document;
* ``GET {base_path}/docs`` — the HTML page, rendered from the spec model.

Each server gets a blueprint of its own name, so several servers can share one Flask app. Further
routes (the HTML page) are added by more ``_add_*_route`` functions called from
:func:`make_docs_blueprint`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from asynction.spec.model import Api

if TYPE_CHECKING:
    from flask import Blueprint, Response

__all__ = ["DEFAULT_BLUEPRINT_NAME", "docs_url_prefix", "make_docs_blueprint"]

DEFAULT_BLUEPRINT_NAME = "asynction_docs"


def docs_url_prefix(base_path: str) -> str:
    """The URL prefix of the docs routes for a base path (``/events`` → ``/events/docs``)."""
    base = base_path.strip("/")
    return f"/{base}/docs" if base else "/docs"


def make_docs_blueprint(
    api: Api, base_path: str = "", *, name: str = DEFAULT_BLUEPRINT_NAME
) -> Blueprint:
    """A blueprint serving the docs of ``api`` under ``{base_path}/docs``.

    :param api: the loaded document.
    :param base_path: the server's base path (the parent of its Socket.IO path), ``""`` for the root.
    :param name: the blueprint's name; it must be unique within the app it is registered on.
    """
    from flask import Blueprint  # not at import time: `asynction docs` needs no Flask

    blueprint = Blueprint(name, __name__, url_prefix=docs_url_prefix(base_path))
    # A model built in code (a generated module's embedded spec) carries no document to serve:
    # the page is still there, without a link to one.
    has_document = bool(api.document)
    if has_document:
        _add_json_route(blueprint, api)
    # The HTML page (GET …/docs), rendered once per server: asynction/docs/page.py.
    from asynction.docs.page import add_page_route

    add_page_route(blueprint, api, json_endpoint="asyncapi_json" if has_document else None)
    return blueprint


def _add_json_route(blueprint: Blueprint, api: Api) -> None:
    """``GET …/docs/asyncapi.json``: the document as written, serialised once on first request."""
    body: list[bytes] = []

    from flask import Response

    def asyncapi_json() -> Response:
        if not body:
            body.append(json.dumps(api.standalone_document(), ensure_ascii=False).encode("utf-8"))
        return Response(body[0], mimetype="application/json")

    blueprint.add_url_rule("/asyncapi.json", "asyncapi_json", asyncapi_json, methods=["GET"])
