"""Report changes under a directory (inotify, see ``watt.formats.inotify``), as bare "something changed" calls.

Events carry no data on purpose: the source rescans by stat, which is cheap and never misses a rename, an editor's
save-by-replace, or a burst of events that inotify coalesced.
"""

from __future__ import annotations

from collections.abc import Callable

from watt.files.loader import CONFIG_SUFFIXES
from watt.formats.atomic import is_temp_name
from watt.formats.inotify import DirectoryEvents

__all__ = ["DirectoryWatch"]


def _relevant(path: str) -> bool:
    return path.endswith(CONFIG_SUFFIXES) and not is_temp_name(path)


class DirectoryWatch:
    def __init__(self, root: str, notify: Callable[[], None]) -> None:
        def on_event(path: str, is_directory: bool, removed: bool) -> None:
            if is_directory or _relevant(path):
                notify()

        self._events = DirectoryEvents([root], on_event, recursive=True)

    def start(self) -> None:
        self._events.start()

    def stop(self) -> None:
        self._events.stop()
