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

from asynction.codegen.plan import Origin, Plan

__all__ = ["GeneratedModels", "ModelGenerationError", "generate_models"]

BASE_CLASS = "asynction.codegen.runtime.SpecModel"
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
                    use_field_description=True,
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
                    (node.module or "", alias.name, alias.asname) for alias in node.names
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
    pointers: dict[str, str] = {}
    for model in metadata.get("models", ()):
        reference = model.get("source_ref")
        if isinstance(reference, str):
            pointers.setdefault(model["class_name"], reference)
    names: dict[str, str] = {}
    for class_name, reference in pointers.items():
        if reference.startswith(_DEFS) and "/" not in reference[len(_DEFS) :]:
            names.setdefault(reference[len(_DEFS) :], class_name)
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
