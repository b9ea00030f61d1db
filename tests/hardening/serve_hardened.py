"""hardened.yaml served in a process of its own: ``python -m tests.hardening.serve_hardened``.

Prints ``READY <port>`` once listening on a free port of 127.0.0.1, then serves until terminated.
Used where the server's own memory is measured (``/proc/<pid>/status``).
"""

from __future__ import annotations

from werkzeug.serving import make_server

from tests.hardening.conftest import hardened_app
from tests.live import QuietHandler


def main() -> None:
    app, _ = hardened_app()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    server.daemon_threads = True
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
