"""Tell ambex that a new configuration is on disk: SIGHUP to the pid in its pidfile."""

from __future__ import annotations

import logging
import os
import signal

__all__ = ["signal_ambex"]

log = logging.getLogger("diagd.notify")


def signal_ambex(pidfile: str) -> bool:
    """True if ambex was signalled. A missing ambex is fine: it loads the newest manifest when it starts."""
    try:
        with open(pidfile, encoding="ascii") as handle:
            pid = int(handle.read().strip())
        if not _is_ambex(pid):
            raise ProcessLookupError(f"pid {pid} from {pidfile} is not ambex")
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        log.info("ambex not signalled (%s); it will load the newest manifest when it starts", exc)
        return False
    return True


def _is_ambex(pid: int) -> bool:
    """Guard against a stale pidfile whose pid now belongs to another process."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"ambex" in handle.read()
    except OSError:
        return True  # no /proc (not Linux): trust the pidfile
