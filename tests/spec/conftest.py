"""Helpers for spec-layer tests: every test writes the documents it loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a document (a mapping, dumped as YAML or JSON by suffix, or raw text) under tmp_path."""

    def _write(name: str, content: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif name.endswith(".json"):
            path.write_text(json.dumps(content), encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
        return path

    return _write


def doc2(channels: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A minimal AsyncAPI 2.6 document."""
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "T", "version": "1"},
        "channels": channels,
        **extra,
    }


def doc3(**parts: Any) -> dict[str, Any]:
    """A minimal AsyncAPI 3.0 document."""
    return {"asyncapi": "3.0.0", "info": {"title": "T", "version": "1"}, **parts}
