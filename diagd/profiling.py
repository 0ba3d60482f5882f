"""Looking inside a running diagd: every thread's stack, the top of tracemalloc, and a CPU profile of N seconds.

The CPU profile samples every thread's stack (``sys._current_frames``) at a fixed interval and counts a sample only
for threads whose CPU clock advanced since the previous one, so idle threads (blocked in a queue, a socket, a
sleep) do not drown out the ones doing work. The result is the collapsed-stack text flame-graph tools read, plus the
hottest functions. These are served to local clients only.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["thread_stacks", "tracemalloc_report", "cpu_profile", "Profile", "MAX_PROFILE_SECONDS"]

MAX_PROFILE_SECONDS = 60.0


def _names() -> dict[int, threading.Thread]:
    return {t.ident: t for t in threading.enumerate() if t.ident is not None}


def thread_stacks() -> list[dict[str, Any]]:
    """Every thread: name, ident, daemon flag, and its stack, innermost frame last."""
    threads = _names()
    out = []
    for ident, frame in sys._current_frames().items():
        thread = threads.get(ident)
        out.append({"ident": ident, "name": thread.name if thread else f"thread-{ident}",
                    "daemon": thread.daemon if thread else None,
                    "stack": [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_stack(frame)]})
    return sorted(out, key=lambda t: str(t["name"]))


def tracemalloc_report(*, limit: int = 25, start: bool = True, frames: int = 1) -> dict[str, Any]:
    """The lines that hold the most memory now. Starts tracing on first use: only later allocations are seen."""
    if not tracemalloc.is_tracing():
        if not start:
            return {"tracing": False, "top": []}
        tracemalloc.start(frames)
        return {"tracing": True, "started": True, "top": [],
                "note": "tracemalloc started now; ask again later to see what was allocated since"}
    snapshot = tracemalloc.take_snapshot().filter_traces((
        tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")))
    stats = snapshot.statistics("lineno")
    current, peak = tracemalloc.get_traced_memory()
    return {
        "tracing": True, "started": False, "traced_bytes": current, "peak_bytes": peak,
        "top": [{"where": f"{s.traceback[0].filename}:{s.traceback[0].lineno}", "bytes": s.size, "count": s.count}
                for s in stats[:limit]],
    }


@dataclass(slots=True)
class Profile:
    seconds: float
    interval: float
    samples: int = 0
    stacks: Counter[str] = field(default_factory=Counter)
    functions: Counter[str] = field(default_factory=Counter)

    def collapsed(self) -> str:
        """Brendan Gregg's collapsed format: ``frame;frame;frame count`` per line, outermost first."""
        return "".join(f"{stack} {count}\n" for stack, count in self.stacks.most_common())

    def to_json(self, limit: int = 30) -> dict[str, Any]:
        return {"seconds": self.seconds, "interval": self.interval, "samples": self.samples,
                "top_functions": [{"function": f, "samples": n, "percent": round(100 * n / max(1, self.samples), 1)}
                                  for f, n in self.functions.most_common(limit)],
                "top_stacks": [{"stack": s, "samples": n} for s, n in self.stacks.most_common(limit)]}


def _thread_cpu(ident: int) -> float | None:
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (OSError, AttributeError, OverflowError):
        return None


def _frames(frame: Any) -> list[str]:
    """``function (file:line)`` from the outermost frame to ``frame`` (no source lines read: it must be cheap)."""
    out = []
    while frame is not None:
        code = frame.f_code
        out.append(f"{code.co_name} ({code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno})")
        frame = frame.f_back
    out.reverse()
    return out


def _record(profile: Profile, frame: Any, thread_name: str) -> None:
    stack = _frames(frame)
    if not stack:
        return
    profile.samples += 1
    profile.stacks[";".join([thread_name, *stack])] += 1
    profile.functions[stack[-1]] += 1


def cpu_profile(seconds: float, *, interval: float = 0.005) -> Profile:
    """Sample the stacks of all other threads that use CPU, for ``seconds`` (capped at MAX_PROFILE_SECONDS)."""
    seconds = max(0.1, min(float(seconds), MAX_PROFILE_SECONDS))
    profile = Profile(seconds=seconds, interval=interval)
    me = threading.get_ident()
    last_cpu: dict[int, float] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        names = _names()
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            cpu = _thread_cpu(ident)
            previous = last_cpu.get(ident)
            busy = cpu is None or (previous is not None and cpu > previous)
            if cpu is not None:
                last_cpu[ident] = cpu
            if busy:
                thread = names.get(ident)
                _record(profile, frame, thread.name if thread else f"thread-{ident}")
        time.sleep(interval)
    return profile
