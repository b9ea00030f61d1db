"""`asynction check` as a user runs it: a real subprocess, no terminal on stdin."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "generated_examples"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asynction", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def test_check_prints_what_asynction_sees() -> None:
    result = run("check", str(EXAMPLES / "telemetry" / "asyncapi.yaml"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Telemetry 2.1.0 (AsyncAPI 2.6.0" in out
    assert "/devices" in out
    assert "/dashboard" in out
    assert "'reading': (string, number," in out
    assert "-> ack (boolean, integer)" in out
    assert "bindings: headers object {X-Firmware-Version*: string}" in out
    assert "security: deviceKey" in out
    assert "deviceKey: httpApiKey (header)" in out


def test_check_reads_3_0() -> None:
    result = run("check", str(EXAMPLES / "chat_v3" / "asyncapi.yaml"))
    assert result.returncode == 0, result.stderr
    assert "(AsyncAPI 3.0.0" in result.stdout
    assert "'send message': object {room*: string, text*: string" in result.stdout


def test_check_bad_spec_prints_located_errors_without_traceback(
    write: Callable[..., Path],
) -> None:
    path = write(
        "bad.yaml",
        "asyncapi: 2.6.0\ninfo: {title: T}\nchannels:\n  /chat:\n    publish:\n      mesage: {}\n",
    )
    result = run("check", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{path}#/info" in result.stderr
    assert f"{path}#/channels/~1chat/publish" in result.stderr
    assert "mesage" in result.stderr


def test_check_missing_file() -> None:
    result = run("check", "does-not-exist.yaml")
    assert result.returncode == 1
    assert "does-not-exist.yaml" in result.stderr
    assert "file not found" in result.stderr


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("asynction ")
