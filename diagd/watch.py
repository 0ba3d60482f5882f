"""File-change notifications for diagd: a new snapshot from watt, a new status from ambex. They only enqueue."""

from __future__ import annotations

import os
from collections.abc import Callable

from watt.formats.inotify import DirectoryEvents
from watt.formats.layout import BaseLayout

__all__ = ["BaseDirWatch"]


class BaseDirWatch:
    """Watches the snapshot and status files; calls ``enqueue("snapshot")`` or ``enqueue("status")``."""

    def __init__(self, layout: BaseLayout, enqueue: Callable[[str], None]) -> None:
        targets = {os.path.abspath(layout.snapshot_file): "snapshot",
                   os.path.abspath(layout.ambex_status_file): "status"}

        def on_event(path: str, is_directory: bool, removed: bool) -> None:
            kind = None if removed else targets.get(path)
            if kind is not None:
                enqueue(kind)

        directories = list(dict.fromkeys(os.path.abspath(d) for d in (layout.snapshots_dir, layout.status_dir)))
        for directory in directories:
            os.makedirs(directory, exist_ok=True)
        self._events = DirectoryEvents(directories, on_event, recursive=False)

    def start(self) -> None:
        self._events.start()

    def stop(self) -> None:
        self._events.stop()
