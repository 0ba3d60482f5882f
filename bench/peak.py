"""Peak resident memory (VmHWM) of a process tree, from /proc: in sum, and process by process."""

from __future__ import annotations

import psutil

__all__ = ["peak_rss_mib", "peaks_by_process_mib"]


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


def peaks_by_process_mib(programs: dict[str, psutil.Process]) -> dict[str, float]:
    """Each program's peak, and apart from it each of its descendants' (``diagd/<pid>`` is the gunicorn worker)."""
    peaks = {}
    for name, proc in programs.items():
        peaks[name] = _hwm(proc.pid) / (1024 * 1024)
        for child in proc.children(recursive=True):
            peaks[f"{name}/{child.pid}"] = _hwm(child.pid) / (1024 * 1024)
    return peaks
