"""How fast this machine is at the moment: a fixed pure-Python workload that uses none of the project's code, timed as
process CPU (median of several runs).

On shared machines the same compile can take 20–50 % longer in some minutes than in others. Printed beside the
compile figures, measured in the same minutes, this tells a slow machine from a slow change: a change to the compiler
moves the compile figure and not this one.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

__all__ = ["measure"]


def _workload() -> int:
    """Building, hashing, sorting and encoding small dicts and tuples: the kind of work a compile does."""
    records: list[dict[str, Any]] = [{"name": f"m{i}", "prefix": f"/t{i % 97}/api{i}/", "weight": (i * 7919) % 101, "tags": (i % 3, i % 5)}
               for i in range(40_000)]
    index = {(r["prefix"], r["tags"]): r for r in records}
    ordered = sorted(records, key=lambda r: (-r["weight"], r["prefix"], r["name"]))
    return len(json.dumps(ordered[::4])) + len(index)


def measure(repeats: int = 5) -> float:
    """CPU seconds of one run of the workload, the median of ``repeats``."""
    runs = []
    for _ in range(repeats):
        start = time.process_time()
        _workload()
        runs.append(time.process_time() - start)
    return statistics.median(runs)
