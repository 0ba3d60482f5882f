"""What ambex tells diagd: the snapshot it serves, when each configuration was pushed and acknowledged, NACKs."""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from watt.formats.atomic import atomic_write
from watt.formats.status import NackInfo, encode_status

__all__ = ["StatusReporter"]

log = logging.getLogger("ambex.status")

_KEEP = 64


class StatusReporter:
    """Collects events; ``flush`` writes them as one status file. ``schedule`` coalesces flushes."""

    def __init__(self, path: str, schedule: Callable[[Callable[[], None]], object] | None = None) -> None:
        self.path = path
        self._schedule = schedule
        self._dirty = False
        self.pushed_for: OrderedDict[int, float] = OrderedDict()
        self.acked_for: OrderedDict[int, float] = OrderedDict()
        self.data: dict[str, Any] = {"pid": os.getpid(), "started": time.time(), "load_error": None,
                                     "last_nack": None, "acked": None, "acked_seq": None, "streams": 0}

    def _changed(self) -> None:
        if self._dirty:
            return
        self._dirty = True
        if self._schedule is None:
            self.flush()
        else:
            self._schedule(self.flush)

    @staticmethod
    def _remember(table: OrderedDict[int, float], seq: int, when: float) -> None:
        if seq not in table:
            table[seq] = when
            while len(table) > _KEEP:
                table.popitem(last=False)

    def loaded(self, *, version: str, seq: int) -> None:
        self.data.update(version=version, snapshot_seq=seq, loaded=time.time(), load_error=None)
        self._changed()

    def load_failed(self, message: str) -> None:
        self.data["load_error"] = message
        self._changed()

    def streams(self, count: int) -> None:
        self.data["streams"] = count
        self._changed()

    def pushed(self, seq: int) -> None:
        self._remember(self.pushed_for, seq, time.time())
        self._changed()

    def acked(self, seq: int, version: str | None) -> None:
        now = time.time()
        self._remember(self.pushed_for, seq, now)
        self._remember(self.acked_for, seq, now)
        self.data.update(acked=now, acked_seq=seq, acked_version=version)
        self._changed()

    def nacked(self, nack: NackInfo) -> None:
        self.data["last_nack"] = dict(nack)
        log.error("Envoy rejected %s version %s (config #%d): %s; it keeps its previous configuration",
                  nack["type"], nack["version"], nack["snapshot_seq"], nack["message"])
        self._changed()

    def snapshot_of_status(self) -> dict[str, Any]:
        return {**self.data, "pushed_for": {str(k): v for k, v in self.pushed_for.items()},
                "acked_for": {str(k): v for k, v in self.acked_for.items()}}

    def flush(self) -> None:
        self._dirty = False
        try:
            atomic_write(self.path, encode_status(self.snapshot_of_status()))
        except OSError as exc:
            log.error("cannot write status file %s: %s", self.path, exc)
