"""File-change notifications for diagd: a new snapshot from watt, a new status from ambex. They only enqueue."""

from __future__ import annotations

import os
from collections.abc import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from watt.formats.layout import BaseLayout

__all__ = ["BaseDirWatch"]


class _Handler(FileSystemEventHandler):
    def __init__(self, targets: dict[str, str], enqueue: Callable[[str], None]) -> None:
        self._targets = targets
        self._enqueue = enqueue

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write", "deleted"):
            return
        for path in (str(event.src_path), str(getattr(event, "dest_path", "") or "")):
            kind = self._targets.get(os.path.abspath(path)) if path else None
            if kind is not None:
                self._enqueue(kind)


class BaseDirWatch:
    """Watches the snapshot and status files; calls ``enqueue("snapshot")`` or ``enqueue("status")``."""

    def __init__(self, layout: BaseLayout, enqueue: Callable[[str], None]) -> None:
        targets = {os.path.abspath(layout.snapshot_file): "snapshot",
                   os.path.abspath(layout.ambex_status_file): "status"}
        handler = _Handler(targets, enqueue)
        self._observer = Observer()
        self._observer.daemon = True
        for directory in (layout.snapshots_dir, layout.status_dir):
            os.makedirs(directory, exist_ok=True)
            self._observer.schedule(handler, directory, recursive=False)

    def start(self) -> None:
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
