"""Memory watch: the resident memory of every control-plane process and of Envoy, against the container's limit.

A slow leak is the usual way a gateway dies (the kernel's OOM killer, then a restart loop), so diagd samples every
process of the gateway periodically, logs one line per sample, keeps a bounded history for the diagnostics chart and
``/metrics``, and warns before the container's cgroup memory limit is near.

Processes are found without any help from them: supervisord's pidfile and its children (ambex, diagd, watt, Envoy),
ambex's own pidfile when diagd runs alone, and diagd itself.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from diagd import procfs
from watt.formats.layout import BaseLayout

__all__ = ["ProcessMemory", "MemorySample", "MemoryWatch", "find_processes", "cgroup_memory", "mib"]

log = logging.getLogger("diagd.memory")

_UNLIMITED = 1 << 60  # cgroup v1 reports "no limit" as a number near 2**63


def mib(value: int | float | None) -> float | None:
    return round(value / 1048576, 1) if value is not None else None


@dataclass(frozen=True, slots=True)
class ProcessMemory:
    name: str
    pid: int
    rss: int


@dataclass(frozen=True, slots=True)
class MemorySample:
    at: float
    processes: tuple[ProcessMemory, ...]
    cgroup_usage: int | None  # the cgroup's working set (usage less inactive file cache)
    cgroup_limit: int | None

    @property
    def total_rss(self) -> int:
        return sum(p.rss for p in self.processes)

    @property
    def used(self) -> int:
        """What counts against the limit: the cgroup's working set when known, else the sum of RSS."""
        return self.cgroup_usage if self.cgroup_usage is not None else self.total_rss

    @property
    def percent_of_limit(self) -> float | None:
        return round(100 * self.used / self.cgroup_limit, 1) if self.cgroup_limit else None

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "processes": {p.name: {"pid": p.pid, "rss": p.rss} for p in self.processes},
                "total_rss": self.total_rss, "cgroup_usage": self.cgroup_usage, "cgroup_limit": self.cgroup_limit,
                "percent_of_limit": self.percent_of_limit}

    def describe(self) -> str:
        parts = ", ".join(f"{p.name} {mib(p.rss)} MiB" for p in self.processes)
        text = f"memory: {parts}; total {mib(self.total_rss)} MiB"
        if self.cgroup_limit:
            text += f"; container {mib(self.used)} of {mib(self.cgroup_limit)} MiB ({self.percent_of_limit}%)"
        return text


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as handle:
            raw = handle.read().strip()
    except OSError:
        return None
    return int(raw) if raw.isdigit() else None


def _inactive_file(stat_path: str, key: str) -> int:
    try:
        with open(stat_path, encoding="ascii") as handle:
            for line in handle:
                name, _, value = line.partition(" ")
                if name == key and value.strip().isdigit():
                    return int(value)
    except OSError:
        pass
    return 0


def _own_cgroup_paths(proc_cgroup: str) -> tuple[str | None, str | None]:
    """(v1 memory controller path, v2 unified path) of this process, from /proc/self/cgroup."""
    v1 = v2 = None
    try:
        with open(proc_cgroup, encoding="ascii") as handle:
            for line in handle:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controllers == "":
                    v2 = path
                elif "memory" in controllers.split(","):
                    v1 = path
    except (OSError, ValueError):
        pass
    return v1, v2


def cgroup_memory(root: str = "/sys/fs/cgroup", proc_cgroup: str = "/proc/self/cgroup") -> tuple[int | None,
                                                                                                 int | None]:
    """(working set, limit) of this container's memory cgroup; (None, None) when there is no limit."""
    v1, v2 = _own_cgroup_paths(proc_cgroup)
    for rel in ([v2.lstrip("/")] if v2 else []) + [""]:
        directory = os.path.join(root, rel) if rel else root
        limit = _read_int(os.path.join(directory, "memory.max"))
        if limit is not None or os.path.exists(os.path.join(directory, "memory.max")):
            usage = _read_int(os.path.join(directory, "memory.current"))
            working = usage - _inactive_file(os.path.join(directory, "memory.stat"), "inactive_file") if usage else None
            return working, limit  # "max" reads as None: no limit
    for rel in ([v1.lstrip("/")] if v1 else []) + [""]:
        directory = os.path.join(root, "memory", rel) if rel else os.path.join(root, "memory")
        limit = _read_int(os.path.join(directory, "memory.limit_in_bytes"))
        if limit is not None:
            usage = _read_int(os.path.join(directory, "memory.usage_in_bytes"))
            working = usage - _inactive_file(os.path.join(directory, "memory.stat"), "total_inactive_file") \
                if usage else None
            return working, (limit if limit < _UNLIMITED else None)
    return None, None


def _pid_from(path: str) -> int | None:
    value = _read_int(path)
    return value if value and procfs.exists(value) else None


def _program_name(pid: int) -> str | None:
    cmdline = procfs.cmdline(pid)
    if not cmdline:
        return None
    if os.path.basename(cmdline[0]) == "envoy":
        return "envoy"
    for name in ("ambex", "diagd", "watt"):
        if any(part == name or part.endswith(f"/{name}") for part in cmdline[1:3]) or f"-m {name}" in " ".join(cmdline):
            return name
    return None


def find_processes(layout: BaseLayout) -> dict[str, int]:
    """Name → pid of every gateway process that can be found now."""
    found: dict[str, int] = {}
    supervisor = _pid_from(os.path.join(layout.base, "supervisord.pid"))
    if supervisor is not None:
        found["supervisord"] = supervisor
        for child in procfs.children(supervisor):
            name = _program_name(child)
            if name is not None:
                found[name if name != "diagd" else "diagd-master"] = child
    ambex = _pid_from(layout.ambex_pidfile)
    if ambex is not None:
        found.setdefault("ambex", ambex)
    me = os.getpid()
    if found.get("diagd-master") == me:
        found.pop("diagd-master")
    found["diagd"] = me
    return found


def _measure(processes: dict[str, int]) -> tuple[ProcessMemory, ...]:
    out = []
    for name, pid in sorted(processes.items()):
        rss = procfs.rss(pid)
        if rss is not None:
            out.append(ProcessMemory(name=name, pid=pid, rss=rss))
    return tuple(out)


class MemoryWatch:
    """Samples memory every ``interval`` seconds in a thread; keeps the last ``keep`` samples."""

    def __init__(self, layout: BaseLayout, *, interval: float = 30.0, warn_percent: float = 80.0, keep: int = 240,
                 clock: Callable[[], float] = time.time,
                 cgroup: Callable[[], tuple[int | None, int | None]] = cgroup_memory) -> None:
        self.layout = layout
        self.interval = interval
        self.warn_percent = warn_percent
        self._clock = clock
        self._cgroup = cgroup
        self._samples: deque[MemorySample] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False

    def sample(self) -> MemorySample:
        """Take one sample now, remember it, and log it (a warning when the limit is near)."""
        usage, limit = self._cgroup()
        sample = MemorySample(at=self._clock(), processes=_measure(find_processes(self.layout)),
                              cgroup_usage=usage, cgroup_limit=limit)
        with self._lock:
            self._samples.append(sample)
        self._report(sample)
        return sample

    def _report(self, sample: MemorySample) -> None:
        percent = sample.percent_of_limit
        if percent is not None and percent >= self.warn_percent:
            log.warning("%s: above %g%% of the container's memory limit; the kernel kills processes at 100%%",
                        sample.describe(), self.warn_percent)
            self._warned = True
            return
        if self._warned:
            log.info("%s: back below %g%% of the limit", sample.describe(), self.warn_percent)
            self._warned = False
            return
        log.info("%s", sample.describe())

    def samples(self) -> list[MemorySample]:
        with self._lock:
            return list(self._samples)

    def latest(self, *, max_age: float | None = None) -> MemorySample | None:
        """The newest sample; a fresh one (not logged) if the newest is older than ``max_age`` seconds."""
        with self._lock:
            newest = self._samples[-1] if self._samples else None
        if newest is not None and (max_age is None or self._clock() - newest.at <= max_age):
            return newest
        if max_age is None:
            return None
        usage, limit = self._cgroup()
        return MemorySample(at=self._clock(), processes=_measure(find_processes(self.layout)),
                            cgroup_usage=usage, cgroup_limit=limit)

    @property
    def near_limit(self) -> bool:
        newest = self.latest()
        percent = newest.percent_of_limit if newest is not None else None
        return percent is not None and percent >= self.warn_percent

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="memory-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a failed sample must not end the watch
                log.exception("memory sample failed")
            self._stop.wait(self.interval)
