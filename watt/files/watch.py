"""Report changes under a directory with watchdog (inotify on Linux), as bare "something changed" calls.

Events carry no data on purpose: the source rescans by stat, which is cheap and never misses a rename, an editor's
save-by-replace, or a burst of events that inotify coalesced.
"""

from __future__ import annotations

from collections.abc import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from watt.files.loader import CONFIG_SUFFIXES
from watt.formats.atomic import is_temp_name

__all__ = ["DirectoryWatch"]


class _Handler(FileSystemEventHandler):
    def __init__(self, notify: Callable[[], None]) -> None:
        self._notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [str(event.src_path), str(getattr(event, "dest_path", "") or "")]
        if event.is_directory or any(_relevant(p) for p in paths if p):
            self._notify()


def _relevant(path: str) -> bool:
    return path.endswith(CONFIG_SUFFIXES) and not is_temp_name(path)


class DirectoryWatch:
    def __init__(self, root: str, notify: Callable[[], None]) -> None:
        self._observer = Observer()
        self._observer.daemon = True
        self._observer.schedule(_Handler(notify), root, recursive=True)

    def start(self) -> None:
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)
