"""Load one spec file in a process of its own, under a memory limit: ``python -m
tests.hardening.load_limited FILE [REF_ROOT]``.

Prints one JSON line: ``{"outcome": "api" | "SpecError" | <other exception type>, "message": ...,
"peak_mb": ...}``. A crash (a segfault from a C parser, say) shows as the process's return code,
without taking the test run down with it.
"""

from __future__ import annotations

import json
import resource
import sys

MEMORY_LIMIT = 1 << 30
"""Address space the loading process may use (bytes): an alias bomb that expanded would hit it."""


def main(path: str, ref_root: str | None) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    from asynction.exceptions import SpecError
    from asynction.spec import load_spec

    try:
        api = load_spec(path, ref_root=ref_root)
    except SpecError as error:
        outcome, message = "SpecError", str(error)
    except BaseException as error:  # everything else is what the test is looking for
        outcome, message = type(error).__name__, str(error)[:500]
    else:
        outcome, message = "api", repr([namespace.name for namespace in api.namespaces])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"outcome": outcome, "message": message, "peak_mb": peak_mb}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
