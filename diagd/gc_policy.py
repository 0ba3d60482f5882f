"""Garbage collection around reconfigurations.

A compiled configuration is a large heap of acyclic objects (dicts, tuples, frozen dataclasses) that reference
counting frees by itself; Python's cyclic collector still rescans all of it, which at 10,000 Mappings costs 50–200 ms
at unpredictable moments inside a reconfiguration. So automatic collection is paused while a reconfiguration runs,
the surviving heap is then frozen out of future scans, and every ``full_every`` reconfigurations a full collection
(unfreeze, collect, freeze) bounds whatever cyclic garbage there is.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["GcPolicy"]


class GcPolicy:
    def __init__(self, *, full_every: int = 50) -> None:
        self.full_every = full_every
        self.reconfigs = 0

    @contextmanager
    def reconfiguring(self) -> Iterator[None]:
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if enabled:
                gc.enable()
            self._after()

    def _after(self) -> None:
        self.reconfigs += 1
        if self.reconfigs % self.full_every == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()
