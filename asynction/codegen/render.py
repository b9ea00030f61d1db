"""The source text of a generated module (or package), from a plan and its models.

The structure lives in jinja2 templates (``templates/codegen/``); what needs laying out (signatures,
the spec literal, docstrings) is laid out by :mod:`asynction.codegen.layout`, so that the text is
already what ``ruff format`` writes.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2

from asynction.codegen.layout import (
    Atom,
    Bracket,
    Item,
    Node,
    call,
    docstring,
    flat,
    layout,
    literal,
    string,
)
from asynction.codegen.models import GeneratedModels
from asynction.codegen.plan import ArgsPlan, EventPlan, NamespacePlan, Plan
from asynction.spec import model as spec_model

__all__ = ["Header", "render_module", "render_package", "templates_directory"]

RUNTIME = "asynction.codegen.runtime"
SPEC_MODEL = "asynction.spec.model"
_SPEC_TYPES = {
    getattr(spec_model, name): name
    for name in (
        "Api",
        "ConnectBindings",
        "Event",
        "Namespace",
        "NamespaceHandlers",
        "SecurityScheme",
        "Server",
        "Direction",
    )
}


@dataclass(frozen=True)
class Header:
    """What the do-not-edit header says about the source."""

    source: str
    """The spec's path, relative to the generated file."""
    sha256: str


def templates_directory() -> Path:
    """Where the codegen templates are: inside the package in a wheel, else the checkout's
    top-level ``templates/``."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "templates" / "codegen", package.parent / "templates" / "codegen"):
        if (candidate / "module.py.jinja").is_file():
            return candidate
    raise FileNotFoundError(
        f"codegen templates not found (looked in {package / 'templates'} and "
        f"{package.parent / 'templates'})"
    )


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_directory())),
        autoescape=False,  # the output is Python source, not HTML
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


class _Imports:
    """``from module import name`` statements, grouped and sorted as ruff's isort does."""

    def __init__(self) -> None:
        self._names: dict[str, set[str]] = {}
        self._modules: set[str] = set()

    def add(self, module: str, *names: str) -> None:
        self._names.setdefault(module, set()).update(names)

    def extend(self, imports: Iterable[tuple[str, str, str | None]]) -> None:
        for module, name, alias in imports:
            if not name:
                self._modules.add(module if alias is None else f"{module} as {alias}")
            else:
                self.add(module, name if alias is None else f"{name} as {alias}")

    def render(self) -> str:
        groups: dict[int, list[str]] = {0: [], 1: [], 2: []}
        # isort's default: "import x" before "from x import y" within a section.
        for module in sorted(self._modules, key=_module_key):
            top = module.split(".", 1)[0]
            groups[0 if top in sys.stdlib_module_names else 1].append(f"import {module}")
        for module in sorted(self._names, key=_module_key):
            names = sorted(self._names[module], key=_name_key)
            statement = Bracket(
                f"from {module} import (",
                tuple(Item(Atom(name)) for name in names),
                ")",
            )
            one_line = f"from {module} import {', '.join(names)}"
            lines = [one_line] if len(one_line) <= 100 else layout(statement)
            top = module.split(".", 1)[0]
            if module.startswith("."):
                groups[2].extend(lines)
            else:
                groups[0 if top in sys.stdlib_module_names else 1].extend(lines)
        return "\n\n".join("\n".join(lines) for lines in groups.values() if lines)


def _module_key(module: str) -> tuple[str, ...]:
    return tuple(module.lower().split("."))


def _name_key(name: str) -> tuple[int, str]:
    bare = name.split(" as ", 1)[0]
    if bare.isupper() and len(bare) > 1:
        kind = 0
    elif bare[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, bare


@dataclass
class _Method:
    signature: str
    docstring: str
    body: list[str]
    section: str | None = None


@dataclass
class _Renderer:
    plan: Plan
    models: GeneratedModels
    imports: _Imports = field(default_factory=_Imports)

    def type_name(self, definition: str) -> str:
        if definition == "Any":
            self.imports.add("typing", "Any")
            return "Any"
        return self.models.names[definition]

    # -- the spec ----------------------------------------------------------------------------

    def spec(self) -> str:
        api = self.plan.api
        node = literal(api, _SPEC_TYPES)
        self._import_spec_types(node)
        self.imports.add("typing", "Final")
        lines = layout(node, 0, "SPEC: Final = ")
        lines.extend(
            docstring(
                f"The {api.title} {api.version} AsyncAPI document, normalised: everything the "
                "server needs.",
                0,
            )
        )
        return "\n".join(lines)

    def _import_spec_types(self, node: Node) -> None:
        text = flat(node)
        for name in _SPEC_TYPES.values():
            if re.search(rf"(?<![\w.]){name}[(.]", text):
                self.imports.add(SPEC_MODEL, name)

    def bindings(self) -> str:
        if not self.models.bindings:
            return ""
        self.imports.add(RUNTIME, "bind_schemas")
        items = [Item(Atom("SPEC"))]
        for class_name, origin in self.models.bindings:
            items.append(
                Item(
                    Bracket(
                        "(",
                        (
                            Item(Atom(class_name)),
                            Item(Atom(string(origin.namespace))),
                            Item(Atom("None" if origin.event is None else string(origin.event))),
                            Item(Atom(string(origin.part))),
                            Item(Atom(string(origin.pointer))),
                        ),
                        ")",
                    )
                )
            )
        return "\n".join(layout(Bracket("bind_schemas(", tuple(items), ")")))

    # -- the server ----------------------------------------------------------------------------

    def server(self) -> str:
        plan = self.plan
        api = plan.api
        self.imports.add(RUNTIME, "TypedServer")
        self.imports.add("typing", "ClassVar")
        self.imports.add(SPEC_MODEL, "Api")
        description = f"The {_api_name(api)} as a typed Socket.IO server."
        if api.description:
            description += "\n\n" + api.description.strip()
        description += (
            "\n\nSubclass it and override the ``on_*`` methods of the events you handle (the others"
            "\nfall back to the spec's ``x-handler``), then build it with ``create(app)``; the"
            "\n``emit_*`` methods send typed events."
        )
        tables = ["    __asynction_spec__: ClassVar[Api] = SPEC"]
        tables.extend(self._table("__asynction_hooks__", "Hooks", self._hooks_nodes()))
        tables.extend(
            self._table(
                "__asynction_incoming__",
                "Incoming",
                [self._event_node("Incoming", event) for event in plan.incoming],
            )
        )
        tables.extend(
            self._table(
                "__asynction_outgoing__",
                "Outgoing",
                [self._event_node("Outgoing", event) for event in plan.outgoing],
            )
        )
        methods: list[_Method] = []
        incoming: dict[str, list[EventPlan]] = {event.namespace.name: [] for event in plan.incoming}
        for event in plan.incoming:
            incoming[event.namespace.name].append(event)
        outgoing: dict[str, list[EventPlan]] = {event.namespace.name: [] for event in plan.outgoing}
        for event in plan.outgoing:
            outgoing[event.namespace.name].append(event)
        for namespace in plan.namespaces:
            section: str | None = f"namespace {namespace.namespace.name}"
            for method in self._hook_methods(namespace):
                method.section, section = section, None
                methods.append(method)
            for event in incoming.get(namespace.namespace.name, ()):
                methods.append(self._incoming_method(event))
            for event in outgoing.get(namespace.namespace.name, ()):
                methods.append(self._outgoing_method(event))
        template = _environment().get_template("server.py.jinja")
        return template.render(
            class_name=plan.class_name,
            docstring="\n".join(docstring(description, 1)),
            tables=tables,
            methods=methods,
        ).rstrip("\n")

    def _table(self, name: str, kind: str, nodes: list[Node]) -> list[str]:
        self.imports.add(RUNTIME, kind)
        if not nodes:
            return [f"    {name}: ClassVar[tuple[{kind}, ...]] = ()"]
        node = Bracket("(", tuple(Item(node) for node in nodes), ")", single_comma=True)
        return layout(node, 1, f"{name}: ClassVar[tuple[{kind}, ...]] = ")

    def _hooks_nodes(self) -> list[Node]:
        nodes: list[Node] = []
        for namespace in self.plan.namespaces:
            kwargs: dict[str, Node] = {}
            if namespace.query is not None:
                kwargs["query"] = Atom(self.type_name(namespace.query))
            if namespace.headers is not None:
                kwargs["headers"] = Atom(self.type_name(namespace.headers))
            nodes.append(
                call(
                    "Hooks",
                    Atom(string(namespace.namespace.name)),
                    Atom(string(namespace.connect)),
                    Atom(string(namespace.disconnect)),
                    Atom(string(namespace.error)),
                    **kwargs,
                )
            )
        return nodes

    def _event_node(self, kind: str, event: EventPlan) -> Node:
        return call(
            kind,
            Atom(string(event.namespace.name)),
            Atom(string(event.event.name)),
            Atom(string(event.method)),
            payload=self._args_node(event.payload),
            ack=self._args_node(event.ack),
        )

    def _args_node(self, args: ArgsPlan) -> Node:
        self.imports.add(RUNTIME, "Args")
        if args.kind == "none":
            return call("Args.untyped")
        if args.kind == "null":
            return call("Args.null")
        if args.kind == "single":
            return call("Args.single", Atom(self.type_name(args.types[0])))
        if args.kind == "list":
            return call("Args.list_of", Atom(self.type_name(args.types[0])))
        kwargs: dict[str, Node] = {"required": Atom(str(args.required))}
        if args.rest is not None:
            kwargs["rest"] = Atom(self.type_name(args.rest))
        return call(
            "Args.positional", *(Atom(self.type_name(name)) for name in args.types), **kwargs
        )

    def _hook_methods(self, namespace: NamespacePlan) -> list[_Method]:
        name = namespace.namespace.name
        self.imports.add("typing", "Any")
        self.imports.add("asynction.types", "SecurityInfo")
        connect: list[tuple[str, str]] = [("auth", "Any")]
        if namespace.query is not None:
            connect.append(("query", self.type_name(namespace.query)))
        if namespace.headers is not None:
            connect.append(("headers", self.type_name(namespace.headers)))
        connect.append(("token_info", "SecurityInfo | None"))
        connect_text = _fill(
            f"A client connects to namespace ``{name}``. Called once its bindings and security "
            "have passed, with the Socket.IO ``auth`` payload, the typed query and headers the "
            "spec declares, and the security info (``None`` when the namespace is public).\n\n"
            "Return ``False`` (or raise ``ConnectionRefusedError``) to refuse the connection.",
            2,
        )
        description = namespace.namespace.description
        if description and description.strip():
            connect_text += "\n\n" + description.strip()
        return [
            _Method(
                _signature(
                    namespace.connect, ["*", *(f"{n}: {t}" for n, t in connect)], "bool | None"
                ),
                "\n".join(docstring(connect_text, 2)),
                ["        return None"],
            ),
            _Method(
                _signature(namespace.disconnect, ["reason: str", "/"], "None"),
                "\n".join(
                    docstring(
                        _fill(
                            f"A client of namespace ``{name}`` disconnected; ``reason`` is "
                            "python-socketio's.",
                            2,
                        ),
                        2,
                    )
                ),
                [],  # the docstring is the body: `return None` in a `-> None` method is noise
            ),
            _Method(
                _signature(namespace.error, ["error: Exception", "/"], "object"),
                "\n".join(
                    docstring(
                        _fill(
                            f"A handler of namespace ``{name}`` failed, or a payload or ack was "
                            "invalid.\n\nWhat it returns is sent as the ack, if the client asked "
                            "for one.",
                            2,
                        ),
                        2,
                    )
                ),
                ["        return None"],
            ),
        ]

    def _incoming_method(self, event: EventPlan) -> _Method:
        parameters = self._parameters(event.payload, handler=True)
        returns = self._returns(event.ack)
        text = _fill(
            f"Handle ``{event.event.name}`` from a client of namespace ``{event.namespace.name}``.",
            2,
        )
        text += _summary(event)
        if event.ack.kind not in ("none", "null"):
            text += (
                "\n\nReturn the ack. A client waiting for one gets it checked against the ack "
                "schema; ``None`` is an ack with no arguments."
            )
        if event.event.deprecated:
            text += "\n\nDeprecated by the spec."
        return _Method(
            _signature(event.method, parameters, returns),
            "\n".join(docstring(text, 2)),
            ["        raise NotImplementedError"],
        )

    def _outgoing_method(self, event: EventPlan) -> _Method:
        parameters = self._parameters(event.payload, handler=False)
        keywords = [
            "to: str | list[str] | None = None",
            "include_self: bool = True",
            "skip_sid: str | list[str] | None = None",
            f"callback: {self._callback(event.ack)} | None = None",
        ]
        if event.payload.kind != "none":
            keywords.insert(0, "*")
        values = self._values(event.payload)
        body = call(
            "self._emit_typed",
            Atom(string(event.namespace.name)),
            Atom(string(event.event.name)),
            values,
            to=Atom("to"),
            include_self=Atom("include_self"),
            skip_sid=Atom("skip_sid"),
            callback=Atom("callback"),
        )
        text = _fill(
            f"Send ``{event.event.name}`` to clients of namespace ``{event.namespace.name}``.", 2
        )
        text += _summary(event) + "\n\n"
        text += _fill(
            "To all of them, or to the room or client ``to``; ``callback`` receives the "
            "client's ack.",
            2,
        )
        if event.event.deprecated:
            text += "\n\nDeprecated by the spec."
        return _Method(
            _signature(event.method, [*parameters, *keywords], "None"),
            "\n".join(docstring(text, 2)),
            layout(body, 2),
        )

    def _parameters(self, args: ArgsPlan, *, handler: bool) -> list[str]:
        if args.kind == "none":
            self.imports.add("typing", "Any")
            return ["*args: Any"]
        if args.kind == "null":
            return []
        if args.kind in ("single", "list"):
            annotation = self.type_name(args.types[0])
            if args.nullable:
                return [f"payload: {annotation} | None = None", "/"]
            return [f"payload: {annotation}", "/"]
        parameters = []
        for index, (name, definition) in enumerate(zip(args.names, args.types, strict=True)):
            annotation = self.type_name(definition)
            if index < args.required:
                parameters.append(f"{name}: {annotation}")
            else:
                parameters.append(f"{name}: {annotation} | None = None")
        if parameters:
            parameters.append("/")
        if args.rest is not None:
            parameters.append(f"*rest: {self.type_name(args.rest)}")
        return parameters

    def _values(self, args: ArgsPlan) -> Node:
        if args.kind == "none":
            return Atom("args")
        if args.kind == "null":
            return Atom("()")
        if args.kind in ("single", "list"):
            return Atom("(payload,)")
        names = list(args.names)
        node = Bracket("(", tuple(Item(Atom(name)) for name in names), ")", single_comma=True)
        if args.rest is not None:
            return Atom(f"{flat(node)} + rest" if names else "rest")
        return node

    def _returns(self, ack: ArgsPlan) -> str:
        if ack.kind in ("none", "null"):
            return "None"
        if ack.kind in ("single", "list"):
            return f"{self.type_name(ack.types[0])} | None"
        if ack.required == len(ack.types) and ack.rest is None and ack.types:
            return f"tuple[{', '.join(self.type_name(name) for name in ack.types)}] | None"
        self.imports.add("typing", "Any")
        return "tuple[Any, ...] | None"

    def _callback(self, ack: ArgsPlan) -> str:
        self.imports.add("collections.abc", "Callable")
        if ack.kind == "none":
            return "Callable[..., object]"
        if ack.kind == "null":
            return "Callable[[], object]"
        if ack.kind in ("single", "list"):
            return f"Callable[[{self.type_name(ack.types[0])}], object]"
        if ack.required == len(ack.types) and ack.rest is None:
            return f"Callable[[{', '.join(self.type_name(name) for name in ack.types)}], object]"
        return "Callable[..., object]"


def _signature(name: str, parameters: list[str], returns: str) -> str:
    node = Bracket(
        f"def {name}(",
        tuple(Item(Atom(text)) for text in ["self", *parameters]),
        f") -> {returns}:",
    )
    return "\n".join(layout(node, 1))


def _summary(event: EventPlan) -> str:
    parts = [
        text.strip()
        for text in (event.event.summary, event.event.description)
        if text and text.strip()
    ]
    return ("\n\n" + "\n\n".join(parts)) if parts else ""


def _header_comment(header: Header) -> str:
    return (
        "# Generated by `asynction codegen`. DO NOT EDIT: change the spec and generate again.\n"
        f"# Source: {header.source}\n"
        f"# Source sha256: {header.sha256}"
    )


def _fill(text: str, indent: int) -> str:
    """Our own prose wrapped to the line length (spec text is left as written)."""
    width = 100 - 4 * indent
    paragraphs = []
    for number, paragraph in enumerate(text.split("\n\n")):
        # The first line of a docstring starts after its opening quotes.
        prefix = '"""' if number == 0 else ""
        filled = textwrap.fill(
            prefix + paragraph, width=width, break_long_words=False, break_on_hyphens=False
        )
        paragraphs.append(filled[len(prefix) :])
    return "\n\n".join(paragraphs)


def _module_docstring(plan: Plan, what: str) -> str:
    api = plan.api
    return "\n".join(docstring(f"{what} for the {_api_name(api)}.", 0))


def _api_name(api: spec_model.Api) -> str:
    """``Chat API 1.0.0`` (no ``API API`` when the title says it already)."""
    title = api.title.strip()
    suffix = "" if title.lower().endswith("api") else " API"
    return f"{title}{suffix} {api.version}"


def _exports(names: Iterable[str]) -> str:
    node = Bracket(
        "[", tuple(Item(Atom(string(name))) for name in sorted(set(names), key=_name_key)), "]"
    )
    return "\n".join(layout(node, 0, "__all__ = "))[len("__all__ = ") :]


def render_module(plan: Plan, models: GeneratedModels, header: Header) -> str:
    """The generated module as one file."""
    renderer = _Renderer(plan, models)
    renderer.imports.extend(models.imports)
    spec = renderer.spec()
    bindings = renderer.bindings()
    server = renderer.server()
    exports = ["SPEC", plan.class_name, *models.exported]
    template = _environment().get_template("module.py.jinja")
    return template.render(
        header=_header_comment(header),
        docstring=_module_docstring(plan, "Typed models and server"),
        imports=renderer.imports.render(),
        exports=_exports(exports),
        models=models.body.rstrip("\n"),
        spec=spec,
        bindings=bindings,
        server=server,
    )


def render_package(plan: Plan, models: GeneratedModels, header: Header) -> dict[str, str]:
    """The generated code as a package: ``spec.py``, ``models.py``, ``server.py`` and an
    ``__init__.py`` re-exporting their names."""
    template = _environment().get_template("module.py.jinja")
    comment = _header_comment(header)

    spec_renderer = _Renderer(plan, models)
    spec_source = spec_renderer.spec()
    files: dict[str, str] = {}
    files["spec.py"] = template.render(
        header=comment,
        docstring=_module_docstring(plan, "The normalised spec"),
        imports=spec_renderer.imports.render(),
        exports=_exports(["SPEC"]),
        models="",
        spec=spec_source,
        bindings="",
        server="",
    )

    models_renderer = _Renderer(plan, models)
    models_renderer.imports.extend(models.imports)
    bindings = models_renderer.bindings()
    if bindings:
        models_renderer.imports.add(".spec", "SPEC")
    files["models.py"] = template.render(
        header=comment,
        docstring=_module_docstring(plan, "Typed models"),
        imports=models_renderer.imports.render(),
        exports=_exports(models.exported),
        models=models.body.rstrip("\n"),
        spec="",
        bindings=bindings,
        server="",
    )

    server_renderer = _Renderer(plan, models)
    server = server_renderer.server()
    server_renderer.imports.add(".spec", "SPEC")
    used = sorted(name for name in models.exported if _uses(server, name))
    if used:
        server_renderer.imports.add(".models", *used)
    files["server.py"] = template.render(
        header=comment,
        docstring=_module_docstring(plan, "The typed server"),
        imports=server_renderer.imports.render(),
        exports=_exports([plan.class_name]),
        models="",
        spec="",
        bindings="",
        server=server,
    )

    init_imports = _Imports()
    init_imports.add(".spec", "SPEC")
    if models.exported:
        init_imports.add(".models", *models.exported)
    init_imports.add(".server", plan.class_name)
    files["__init__.py"] = template.render(
        header=comment,
        docstring=_module_docstring(plan, "Typed models and server"),
        imports=init_imports.render(),
        exports=_exports(["SPEC", plan.class_name, *models.exported]),
        models="",
        spec="",
        bindings="",
        server="",
    )
    return files


def _uses(source: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", source) is not None
