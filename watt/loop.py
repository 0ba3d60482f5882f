"""watt's one loop: signal handlers and watchers only enqueue; this loop debounces, scans and publishes."""

from __future__ import annotations

import logging
import queue
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

from watt.debounce import Debouncer
from watt.writer import SnapshotWriter

__all__ = ["Source", "WattLoop", "Event"]

log = logging.getLogger("watt")

RETRY_DELAY = 1.0  # after a failed snapshot write (full disk, read-only base dir)


class Source(Protocol):
    """A configuration source: tells the loop when something changed and produces snapshot lines on demand."""

    def start(self, notify: Callable[[], None]) -> None: ...

    def ready(self) -> bool: ...

    def lines(self) -> tuple[str, ...]: ...

    def describe(self) -> dict[str, Any]: ...

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # "change", "rescan", "stop"
    at: float


class WattLoop:
    def __init__(self, source: Source, writer: SnapshotWriter, debouncer: Debouncer) -> None:
        self._source = source
        self._writer = writer
        self._debouncer = debouncer
        self._queue: queue.Queue[Event] = queue.Queue()

    def enqueue(self, kind: str) -> None:
        self._queue.put_nowait(Event(kind, time.time()))

    def install_signals(self) -> None:
        handlers: dict[int, str] = {signal.SIGTERM: "stop", signal.SIGINT: "stop", signal.SIGHUP: "rescan"}

        def handle(signum: int, _frame: FrameType | None) -> None:
            self.enqueue(handlers[signum])

        for signum in handlers:
            signal.signal(signum, handle)

    def run(self, *, deadline: float | None = None) -> None:
        """Run until a stop event (or ``deadline``, a ``time.monotonic()`` value, for tests)."""
        self._source.start(lambda: self.enqueue("change"))
        self._debouncer.change(time.time())
        try:
            while not self._step(deadline):
                pass
        finally:
            self._source.stop()

    def _step(self, deadline: float | None) -> bool:
        wait = self._debouncer.wait_time(time.time()) if self._source.ready() else 0.5
        if deadline is not None:
            remaining = max(0.0, deadline - time.monotonic())
            if remaining == 0.0:
                return True
            wait = remaining if wait is None else min(wait, remaining)
        try:
            event = self._queue.get(timeout=wait)
        except queue.Empty:
            event = None
        if event is not None and event.kind == "stop":
            log.info("stopping")
            return True
        if event is not None:
            self._debouncer.change(event.at)
        self._publish_if_due()
        return False

    def _publish_if_due(self) -> None:
        if not self._source.ready():
            return
        wait = self._debouncer.wait_time(time.time())
        if wait is None or wait > 0:
            return
        first = self._debouncer.take()
        try:
            self._writer.publish(self._source.lines(), change_seen=first, source=self._source.describe())
        except OSError as exc:
            log.error("cannot write the snapshot to %s: %s; the last snapshot stays in use, retrying in %.0f s",
                      self._writer.path, exc, RETRY_DELAY)
            self._debouncer.retry(first, not_before=time.time() + RETRY_DELAY)
