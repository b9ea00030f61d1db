"""Subscription tasks: each outgoing event emitted every interval, by a bounded set of workers.

A subscription task emits one outgoing event of one namespace with fake data, as a broadcast to
every client connected to that namespace. Tasks are spread over at most ``max_workers`` workers
(background tasks of the Socket.IO server, so threads, greenlets or eventlets as its async mode
says); each worker runs its tasks in turn, each once per ``interval``, never catching up on missed
runs in a burst.

* A task that raises is logged with its traceback; the worker goes on with the next run.
* A task whose namespace has no client is skipped; when no namespace has a client, workers block
  on an event until one connects: an idle mock costs no CPU. With no task at all, no worker starts.
* :meth:`Subscriptions.stop` wakes every worker and they return at once.

Why one broadcast per namespace rather than one task per client: every client of a namespace sees
the same stream, as it would from a real server broadcasting to a room; the cost does not grow with
the number of clients; and the rate per client is the configured one whatever their number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["SubscriptionTask", "Subscriptions"]

logger = logging.getLogger(__name__)


class _Event(Protocol):
    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class _Runtime(Protocol):
    """What the scheduler needs of a (Flask-)SocketIO server."""

    def start_background_task(self, target: Callable[..., Any], *args: Any) -> Any: ...


@dataclass(frozen=True)
class SubscriptionTask:
    """One outgoing event of one namespace, emitted by :attr:`run`."""

    namespace: str
    event: str
    run: Callable[[], None]


class Subscriptions:
    """Runs :class:`SubscriptionTask`\\ s every ``interval`` seconds on at most ``max_workers``
    workers, while their namespaces have clients.

    :param runtime: starts the workers (``SocketIO.start_background_task``).
    :param new_event: makes an event object of the server's async mode (``eio.create_event``).
    :param has_clients: whether a namespace has connected clients now.
    """

    def __init__(
        self,
        tasks: Sequence[SubscriptionTask],
        *,
        interval: float,
        max_workers: int,
        runtime: _Runtime,
        new_event: Callable[[], _Event],
        has_clients: Callable[[str], bool],
    ) -> None:
        if not interval > 0:
            raise ValueError(f"subscription_task_interval must be positive, not {interval!r}")
        if max_workers < 1:
            raise ValueError(f"max_worker_number must be at least 1, not {max_workers!r}")
        self.tasks = tuple(tasks)
        self.interval = float(interval)
        self.max_workers = max_workers
        self._runtime = runtime
        self._has_clients = has_clients
        self._stopping = new_event()
        self._clients_present = new_event()
        self._workers: list[Any] = []
        self._started = False

    @property
    def worker_count(self) -> int:
        """How many workers run (or will run): no more than the tasks, nor ``max_workers``."""
        return min(self.max_workers, len(self.tasks))

    @property
    def running(self) -> bool:
        """Whether the workers have been started and not stopped."""
        return self._started and not self._stopping.is_set()

    def start(self) -> None:
        """Start the workers (none when there is no task). Starting twice does nothing."""
        if self._started:
            return
        self._started = True
        count = self.worker_count
        for index in range(count):
            share = self.tasks[index::count]
            self._workers.append(self._runtime.start_background_task(self._work, share))

    def clients_changed(self, present: bool) -> None:
        """Tell the workers whether any namespace has clients (wakes idle workers)."""
        if present:
            self._clients_present.set()
        else:
            self._clients_present.clear()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers and wait (up to ``timeout`` seconds each) for them to return."""
        self._stopping.set()
        self._clients_present.set()
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            join = getattr(worker, "join", None)
            if join is not None:
                join(max(0.0, deadline - time.monotonic()))
        self._workers.clear()

    def _work(self, tasks: Sequence[SubscriptionTask]) -> None:
        interval = self.interval
        stopping = self._stopping
        present = self._clients_present
        has_clients = self._has_clients
        due = _staggered(len(tasks), interval)
        while not stopping.is_set():
            if not present.is_set():
                present.wait()  # no client anywhere: sleep until one connects (or stop)
                # Start afresh from now: the first emit a little after the connection (which
                # Socket.IO completes once the connect handler has returned), none in a burst.
                due = _staggered(len(tasks), interval)
                continue
            now = time.monotonic()
            index = min(range(len(due)), key=due.__getitem__)
            delay = due[index] - now
            if delay > 0:
                stopping.wait(delay)
                continue
            task = tasks[index]
            if has_clients(task.namespace):
                try:
                    task.run()
                except Exception:
                    logger.exception(
                        "subscription task of event %r in namespace %r failed",
                        task.event,
                        task.namespace,
                    )
            following = due[index] + interval
            now = time.monotonic()
            due[index] = following if following > now else now + interval


def _staggered(count: int, interval: float) -> list[float]:
    """First run times of ``count`` tasks: spread over the next interval, so that their emits do
    not come in bunches."""
    start = time.monotonic()
    return [start + interval * (index + 1) / count for index in range(count)]
