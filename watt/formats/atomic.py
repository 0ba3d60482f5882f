"""One way to publish a file that another process reads: write a temp file, fsync, rename.

Readers never see a partial file: either the old content or the new one. Temporary names start with
``TEMP_PREFIX`` so that watchers and loaders can ignore them. ``sync=False`` leaves out the fsync, for files whose
name carries a hash of their content, which the writer checks after a restart (a power loss may leave such a file
with the right name and not all of its content).
"""

from __future__ import annotations

import os
import tempfile

__all__ = ["TEMP_PREFIX", "atomic_write", "is_temp_name"]

TEMP_PREFIX = ".tmp-"


def atomic_write(path: str, data: bytes, *, mode: int = 0o644, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (same-directory temp file, fsync unless ``sync`` is false,
    ``os.replace``)."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def is_temp_name(name: str) -> bool:
    """True for files that ``atomic_write`` is still writing (readers must skip them)."""
    return os.path.basename(name).startswith(TEMP_PREFIX)
