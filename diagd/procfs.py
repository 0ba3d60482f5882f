"""Processes as /proc shows them: whether one exists, its command line, its children, its resident memory.

diagd needs no more than these four facts about the gateway's processes, and reading them here costs nothing to
import.
"""

from __future__ import annotations

import os

__all__ = ["exists", "cmdline", "children", "rss"]

_PAGE = os.sysconf("SC_PAGE_SIZE")


def exists(pid: int) -> bool:
    return pid > 0 and os.path.exists(f"/proc/{pid}")


def cmdline(pid: int) -> list[str] | None:
    """The arguments of ``pid``; None when it is gone (an empty list for a kernel thread or a zombie)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    return [os.fsdecode(part) for part in raw.split(b"\0")[:-1]] if raw else []


def _parent(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1])


def children(pid: int) -> list[int]:
    """The direct children of ``pid``, by scanning every process's parent."""
    return sorted(int(entry) for entry in os.listdir("/proc") if entry.isdigit() and _parent(entry) == pid)


def rss(pid: int) -> int | None:
    """Resident memory of ``pid`` in bytes; None when it is gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None
