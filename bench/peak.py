"""Peak resident memory (VmHWM) of a process tree, from /proc."""

from __future__ import annotations

import psutil

__all__ = ["peak_rss_mib"]


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_rss_mib(proc: psutil.Process) -> float:
    return sum(_hwm(p.pid) for p in [proc, *proc.children(recursive=True)]) / (1024 * 1024)
