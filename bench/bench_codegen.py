"""Codegen benchmark: `asynction codegen` against `datamodel-codegen --input-file-type asyncapi`
on the same generated 300-schema spec, in the same run; and the import time of the generated module.

Run from the repository root:  python bench/bench_codegen.py [--rounds N]
Targets (issue 4): `asynction codegen` takes no longer than datamodel-codegen on the same spec
(both as command-line processes, wall time, median of interleaved rounds); the generated module
imports in <= 2 ms per model.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from bench_spec import medium_schema  # the same medium schema as the spec-layer benchmark

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
NAMESPACES = 60
MESSAGES = 5  # 60 x 5 = 300 message payload schemas
IMPORT_TARGET_MS_PER_MODEL = 2.0

DATAMODEL_OPTIONS = [
    "--output-model-type",
    "pydantic_v2.BaseModel",
    "--use-annotated",
    "--field-constraints",
    "--use-union-operator",
    "--enum-field-as-literal",
    "all",
    "--use-type-alias",
    "--disable-timestamp",
    "--target-python-version",
    "3.10",
]


def generated_spec() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for n in range(NAMESPACES):
        refs = []
        for m in range(MESSAGES):
            key = f"Message{n}x{m}"
            messages[key] = {"name": f"event {m}", "payload": medium_schema(n * MESSAGES + m)}
            refs.append({"$ref": f"#/components/messages/{key}"})
        channels[f"/ns{n}"] = {
            "publish": {"message": {"oneOf": refs[:3]}},
            "subscribe": {"message": {"oneOf": refs[3:]}},
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Bench", "version": "1.0.0"},
        "channels": channels,
        "components": {"messages": messages},
    }


def timed(command: list[str], cwd: Path) -> float:
    """Wall seconds of one process run (which must succeed)."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return elapsed


def import_ms(module_dir: Path, module: str, repeats: int = 7) -> float:
    """Median wall ms of importing the generated module in a fresh process (its dependencies,
    asynction.codegen.runtime included, imported first)."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); "
        "import asynction.codegen.runtime; "
        "start = time.perf_counter(); __import__(sys.argv[2]); "
        "print((time.perf_counter() - start) * 1000)"
    )
    figures = []
    for _ in range(repeats):
        result = subprocess.run(
            [sys.executable, "-c", code, str(module_dir), module],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        figures.append(float(result.stdout.strip()))
    return statistics.median(figures)


def count_models(path: Path) -> int:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    count = 0
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
            isinstance(base, ast.Name) and base.id != "TypedServer" for base in node.bases
        ):
            count += 1
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            function = node.value.func
            if isinstance(function, ast.Name) and function.id == "TypeAliasType":
                count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-codegen-") as temporary:
        work = Path(temporary)
        spec = work / "asyncapi.yaml"
        spec.write_text(yaml.safe_dump(generated_spec(), sort_keys=False), encoding="utf-8")
        ours = [
            sys.executable,
            "-m",
            "asynction",
            "codegen",
            str(spec),
            "-o",
            str(work / "bench_events.py"),
        ]
        datamodel = [
            str(VENV_BIN / "datamodel-codegen"),
            "--input",
            str(spec),
            "--input-file-type",
            "asyncapi",
            "--output",
            str(work / "datamodel_models.py"),
            *DATAMODEL_OPTIONS,
        ]
        datamodel_builtin = [*datamodel, "--formatters", "builtin"]
        figures: dict[str, list[float]] = {"ours": [], "datamodel": [], "datamodel_builtin": []}
        for round_number in range(arguments.rounds):
            order = [
                ("ours", ours),
                ("datamodel", datamodel),
                ("datamodel_builtin", datamodel_builtin),
            ]
            if round_number % 2:
                order.reverse()
            for name, command in order:
                figures[name].append(timed(command, ROOT))
        models = count_models(work / "bench_events.py")
        imported = import_ms(work, "bench_events")
        size = (work / "bench_events.py").stat().st_size
    medians = {name: statistics.median(values) for name, values in figures.items()}
    ratio = statistics.median(
        o / d for o, d in zip(figures["ours"], figures["datamodel"], strict=True)
    )
    per_model = imported / models
    print(f"spec: {NAMESPACES * MESSAGES} message payload schemas, {NAMESPACES} namespaces")
    print(
        f"asynction codegen (models + typed server, ruff-formatted): {medians['ours']:.2f} s wall"
    )
    print(
        f"datamodel-codegen --input-file-type asyncapi (black+isort): {medians['datamodel']:.2f} s"
    )
    print(
        f"datamodel-codegen --input-file-type asyncapi --formatters builtin: "
        f"{medians['datamodel_builtin']:.2f} s"
    )
    print(f"ratio ours / datamodel-codegen (median of rounds): {ratio:.2f} (target <= 1.00)")
    print(
        f"generated module: {size / 1024:.0f} KiB, {models} models; import {imported:.1f} ms wall, "
        f"{per_model:.3f} ms per model (target <= {IMPORT_TARGET_MS_PER_MODEL})"
    )
    ok = ratio <= 1.0 and per_model <= IMPORT_TARGET_MS_PER_MODEL
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
