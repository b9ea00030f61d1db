"""The pydantic models of a plan, written by datamodel-code-generator in one call.

The whole typing view (one JSON Schema whose ``$defs`` hold every definition of the plan) goes to
datamodel-code-generator's library API at once: it costs about half a second to warm up in a
process and a few milliseconds per schema after that, so one call is much cheaper than one per
schema. Its model metadata maps every class it writes (inline objects included) back to the JSON
pointer of its schema, which the plan's origins turn into locations in the spec.
"""

from __future__ import annotations

import ast
import json
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asynction.codegen.layout import Atom, Bracket, Item, Node, docstring, flat, layout
from asynction.codegen.plan import Origin, Plan

__all__ = ["GeneratedModels", "ModelGenerationError", "generate_models"]

BASE_CLASS = "asynction.codegen.runtime.SpecModel"
ROOT_BASE_MODULE = "asynction.codegen.runtime"
ROOT_BASE = "SpecRootModel"
_DEFS = "#/$defs/"


class ModelGenerationError(RuntimeError):
    """datamodel-code-generator failed on the typing view of the spec."""


@dataclass(frozen=True)
class GeneratedModels:
    """datamodel-code-generator's output, split for assembly into a module."""

    imports: tuple[tuple[str, str, str | None], ...]
    """``(module, name, alias)`` of every ``from module import name`` it needs (not
    ``__future__``); ``name`` is ``""`` for ``import module``."""
    body: str
    """The class and alias definitions (and ``model_rebuild()`` calls), formatted."""
    names: dict[str, str]
    """Definition name of the plan → the name datamodel-code-generator gave it."""
    bindings: tuple[tuple[str, Origin], ...]
    """``(class name, origin)`` of every model class, in order of definition."""
    exported: tuple[str, ...]
    """Every class and alias name, in order of definition."""


def generate_models(plan: Plan) -> GeneratedModels:
    """Run datamodel-code-generator on the plan's typing view.

    :raises ModelGenerationError: with datamodel-code-generator's message.
    """
    if not plan.definitions:
        return GeneratedModels((), "", {}, (), ())
    from datamodel_code_generator import LiteralType, generate
    from datamodel_code_generator.enums import (
        DataModelType,
        InputFileType,
        NamingStrategy,
    )
    from datamodel_code_generator.format import Formatter, PythonVersion

    schema_text = json.dumps(plan.typing_schema(), ensure_ascii=False)
    with tempfile.TemporaryDirectory(prefix="asynction-codegen-") as directory:
        metadata_path = Path(directory) / "models.json"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                output = generate(
                    schema_text,
                    input_file_type=InputFileType.JsonSchema,
                    output_model_type=DataModelType.PydanticV2BaseModel,
                    target_python_version=PythonVersion.PY_310,
                    base_class=BASE_CLASS,
                    use_annotated=True,
                    field_constraints=True,
                    use_union_operator=True,
                    enum_field_as_literal=LiteralType.All,
                    use_type_alias=True,
                    use_tuple_for_closed_arrays=True,
                    use_schema_description=True,
                    # Both: `Field(description=...)` for pydantic, a docstring for IDEs.
                    use_inline_field_description=True,
                    # A payload schema's `examples` (the message's example payloads included)
                    # reach model_json_schema().
                    model_extra_keys={"examples"},
                    use_double_quotes=True,
                    skip_root_model=True,
                    keep_model_order=True,
                    naming_strategy=NamingStrategy.FullPath,
                    disable_timestamp=True,
                    formatters=[Formatter.BUILTIN],
                    emit_model_metadata=metadata_path,
                )
        except Exception as error:  # the library raises many types; report its message
            raise ModelGenerationError(
                f"datamodel-code-generator failed: {error}".strip()
            ) from error
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    if not isinstance(output, str):
        raise ModelGenerationError("datamodel-code-generator wrote several modules")
    return _split(output, metadata, plan)


def _split(code: str, metadata: Any, plan: Plan) -> GeneratedModels:
    pointers: dict[str, str] = {}
    for model in metadata.get("models", ()):
        reference = model.get("source_ref")
        if isinstance(reference, str):
            pointers.setdefault(model["class_name"], reference)
    names: dict[str, str] = {}
    for class_name, reference in pointers.items():
        if reference.startswith(_DEFS) and "/" not in reference[len(_DEFS) :]:
            names.setdefault(reference[len(_DEFS) :], class_name)
    roots = {
        names.get(name, name): _description(plan.definitions[name].schema)
        for name in plan.arguments
        if name in plan.definitions
    }
    code = _aliases_as_root_models(code, roots)
    tree = ast.parse(code)
    imports: list[tuple[str, str, str | None]] = []
    body_start = None
    classes: list[str] = []
    exported: list[str] = []
    lines = code.splitlines()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.module != "__future__":
                imports.extend(
                    (node.module or "", alias.name, alias.asname)
                    for alias in node.names
                    # Every alias may have become a root model.
                    if alias.name != "TypeAliasType" or _used(tree, alias.asname or alias.name)
                )
            continue
        if isinstance(node, ast.Import):
            imports.extend((alias.name, "", alias.asname) for alias in node.names)
            continue
        if body_start is None:
            body_start = _first_line(node)
        if isinstance(node, ast.ClassDef):
            classes.append(node.name)
            exported.append(node.name)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                exported.append(target.id)
    body = "\n".join(lines[body_start - 1 :]).strip() + "\n" if body_start is not None else ""
    for name in plan.definitions:
        if name not in names:
            if name in exported:
                names[name] = name
            else:
                raise ModelGenerationError(f"datamodel-code-generator wrote no model for {name}")
    bindings = []
    for class_name in classes:
        origin = _origin(pointers.get(class_name), plan)
        if origin is not None:
            bindings.append((class_name, origin))
    return GeneratedModels(tuple(imports), body, names, tuple(bindings), tuple(exported))


def _description(schema: Any) -> str | None:
    description = schema.get("description") if isinstance(schema, dict) else None
    return description if isinstance(description, str) and description.strip() else None


def _aliases_as_root_models(code: str, roots: dict[str, str | None]) -> str:
    """``code`` with the type aliases named in ``roots`` written as :class:`SpecRootModel`
    classes, documented by their docstrings or else by the schema's description (the values of
    ``roots``).

    datamodel-code-generator writes either aliases or root models for every non-object schema;
    the aliases keep object fields plain (``name: str``), while payloads, acks and tuple positions
    are models. A class whose type names a class defined after it (or itself) quotes the type: a
    base class is evaluated when the class is made, and pydantic resolves the string later.
    """
    tree = ast.parse(code)
    lines = code.splitlines()
    needs_any = False
    defined_at: dict[str, int] = {}
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.ClassDef):
            defined_at[node.name] = index
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                defined_at[target.id] = index
    replacements: list[tuple[int, int, list[str]]] = []
    for index, node in enumerate(tree.body):
        alias = _alias(node)
        if alias is None or alias[0] not in roots:
            continue
        name, value = alias
        replace = _bare_generics(value)
        needs_any = needs_any or bool(replace)
        referenced = {
            sub.id for sub in ast.walk(value) if isinstance(sub, ast.Name) and sub.id in defined_at
        }
        expression = _type_node(code, value, replace)
        if any(defined_at[other] >= index for other in referenced):
            text = flat(expression)
            expression = Atom(f'"{text}"' if '"' not in text else repr(text))
        replaced = _class_header(name, expression)
        end = node.end_lineno or node.lineno
        following = tree.body[index + 1] if index + 1 < len(tree.body) else None
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docstring_lines = lines[following.lineno - 1 : following.end_lineno]
            replaced.extend(f"    {line}" if line else line for line in docstring_lines)
            end = following.end_lineno or following.lineno
        else:
            described = roots[name]
            replaced.extend(docstring(described, 1) if described else ["    pass"])
        replacements.append((node.lineno, end, replaced))
    if not replacements:
        return code
    for first, last, replaced in reversed(replacements):
        lines[first - 1 : last] = replaced
    # After `from __future__ import annotations`, which must come first.
    future = next(
        (index + 1 for index, line in enumerate(lines) if line.startswith("from __future__")), 0
    )
    lines.insert(future, f"from {ROOT_BASE_MODULE} import {ROOT_BASE}")
    if needs_any:
        lines.insert(future, "from typing import Any")
    return "\n".join(lines) + "\n"


_BARE_GENERICS = {"list": "list[Any]", "dict": "dict[str, Any]"}
"""datamodel-code-generator writes a bare ``list`` for an array whose items refer to the array
itself; mypy --strict refuses it, and the JSON Schema check enforces the items anyway."""


def _bare_generics(value: ast.expr) -> dict[tuple[int, int], str]:
    """The bare ``list`` and ``dict`` names of a type expression, given type arguments."""
    subscripted = {id(node.value) for node in ast.walk(value) if isinstance(node, ast.Subscript)}
    return {
        (node.lineno, node.col_offset): _BARE_GENERICS[node.id]
        for node in ast.walk(value)
        if isinstance(node, ast.Name) and node.id in _BARE_GENERICS and id(node) not in subscripted
    }


def _class_header(name: str, expression: Node) -> list[str]:
    """``class name(SpecRootModel[expression]):`` laid out as ruff lays it out."""
    base = Bracket(f"{ROOT_BASE}[", (Item(expression),), "]", split_comma=False)
    return layout(Bracket(f"class {name}(", (Item(base),), "):", split_comma=False))


def _type_node(code: str, value: ast.expr, replace: dict[tuple[int, int], str]) -> Node:
    """The type expression ``value`` as a layout node: subscripts, calls and lists split where
    ruff splits them; everything else as written (``replace`` maps the (line, column) of a name
    to what it is written as instead)."""
    if isinstance(value, ast.Subscript):
        head = _type_node(code, value.value, replace)
        if isinstance(head, Atom):
            if isinstance(value.slice, ast.Tuple) and value.slice.elts:
                items = tuple(Item(_type_node(code, sub, replace)) for sub in value.slice.elts)
                return Bracket(f"{head.text}[", items, "]")
            inner = _type_node(code, value.slice, replace)
            return Bracket(f"{head.text}[", (Item(inner),), "]", split_comma=False)
    if isinstance(value, ast.Call):
        head = _type_node(code, value.func, replace)
        if isinstance(head, Atom) and all(keyword.arg is not None for keyword in value.keywords):
            arguments = [Item(_type_node(code, arg, replace)) for arg in value.args]
            arguments.extend(
                Item(_type_node(code, keyword.value, replace), f"{keyword.arg}=")
                for keyword in value.keywords
            )
            return Bracket(f"{head.text}(", tuple(arguments), ")")
    if isinstance(value, ast.List):
        return Bracket("[", tuple(Item(_type_node(code, sub, replace)) for sub in value.elts), "]")
    if isinstance(value, ast.Name):
        return Atom(replace.get((value.lineno, value.col_offset), value.id))
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr):
        left = _type_node(code, value.left, replace)
        right = _type_node(code, value.right, replace)
        return Atom(f"{flat(left)} | {flat(right)}")
    segment = ast.get_source_segment(code, value)
    return Atom(segment if segment is not None and "\n" not in segment else ast.unparse(value))


def _alias(node: ast.stmt) -> tuple[str, ast.expr] | None:
    """``(name, type)`` of a ``Name = TypeAliasType("Name", type)`` statement."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return None
    target, value = node.targets[0], node.value
    if not (
        isinstance(target, ast.Name)
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "TypeAliasType"
        and len(value.args) == 2
    ):
        return None
    return target.id, value.args[1]


def _used(tree: ast.Module, name: str) -> bool:
    """Whether ``name`` is used anywhere but in import statements."""
    return any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(tree))


def _first_line(node: ast.stmt) -> int:
    if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.decorator_list:
        return min(decorator.lineno for decorator in node.decorator_list)
    return node.lineno


def _origin(reference: str | None, plan: Plan) -> Origin | None:
    """The spec location of the schema datamodel-code-generator built a class from."""
    if reference is None or not reference.startswith(_DEFS):
        return None
    name, slash, rest = reference[len(_DEFS) :].partition("/")
    definition = plan.definitions.get(name)
    if definition is None:
        return None
    return definition.origin.at(f"{slash}{rest}" if slash else "")
