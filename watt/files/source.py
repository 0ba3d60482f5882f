"""A directory of configuration files, re-read cheaply: only files whose stat changed are parsed again.

Each scan walks the tree (hidden names and editor temp files skipped), reuses the encoded snapshot lines of
unchanged files, and parses the rest. A file that stops parsing keeps serving its last good documents, with an
error that names the file and line, so one typo never removes routes that were working.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from watt.files.loader import CONFIG_SUFFIXES, FileDocuments, parse_text
from watt.files.watch import DirectoryWatch
from watt.formats.snapshot import encode_invalid, encode_object

__all__ = ["DirectorySource", "FilesSource", "ScanResult"]

log = logging.getLogger("watt.files")

_StatKey = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class _Cached:
    stat: _StatKey
    lines: tuple[str, ...]
    good_lines: tuple[str, ...]
    error: str | None


@dataclass(frozen=True, slots=True)
class ScanResult:
    lines: tuple[str, ...]
    files: int
    parsed: int
    errors: int


class DirectorySource:
    """Keeps the snapshot lines of every config file under ``root``."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._cache: dict[str, _Cached] = {}

    def scan(self) -> ScanResult:
        """Walk the tree, re-parse changed files, forget deleted ones; return all lines in path order."""
        seen: dict[str, _Cached] = {}
        parsed = 0
        for rel, stat in self._walk():
            cached = self._cache.get(rel)
            if cached is None or cached.stat != stat:
                cached = self._load(rel, stat, cached)
                parsed += 1
            seen[rel] = cached
        self._cache = seen
        lines = tuple(line for rel in sorted(seen) for line in seen[rel].lines)
        errors = sum(1 for entry in seen.values() if entry.error)
        return ScanResult(lines=lines, files=len(seen), parsed=parsed, errors=errors)

    def _walk(self) -> Iterator[tuple[str, _StatKey]]:
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or not name.endswith(CONFIG_SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                yield os.path.relpath(path, self.root), (st.st_mtime_ns, st.st_size, st.st_ino)

    def _load(self, rel: str, stat: _StatKey, previous: _Cached | None) -> _Cached:
        path = os.path.join(self.root, rel)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            return self._failed(rel, stat, previous, None, f"cannot read file: {exc}")
        result = parse_text(text, is_json=rel.endswith(".json"))
        if result.error is not None:
            return self._failed(rel, stat, previous, result.error.line, result.error.message)
        lines = tuple(_object_lines(rel, result))
        return _Cached(stat=stat, lines=lines, good_lines=lines, error=None)

    def _failed(self, rel: str, stat: _StatKey, previous: _Cached | None, line: int | None, msg: str) -> _Cached:
        good = previous.good_lines if previous is not None else ()
        where = f"{rel}:{line}" if line else rel
        kept = f"; serving its last good version ({len(good)} objects)" if good else ""
        log.warning("%s: %s%s", where, msg, kept)
        location = {"file": rel, "line": line}
        message = msg + kept
        invalid = encode_invalid(location, "YAMLParseError" if not rel.endswith(".json") else "JSONParseError", message)
        return _Cached(stat=stat, lines=(invalid, *good), good_lines=good, error=msg)


def _object_lines(rel: str, result: FileDocuments) -> Iterator[str]:
    for doc in result.documents:
        location = {"file": rel, "line": doc.line, "index": doc.index}
        try:
            yield encode_object(doc.body, location)
        except (TypeError, ValueError) as exc:
            yield encode_invalid(location, "UnencodableDocument", f"document cannot be encoded as JSON: {exc}")




class FilesSource:
    """The ``Source`` for a directory: a DirectorySource rescanned whenever inotify reports a change."""

    def __init__(self, root: str) -> None:
        self._dir = DirectorySource(root)
        self._watch: DirectoryWatch | None = None
        self._last: ScanResult | None = None

    def start(self, notify: Callable[[], None]) -> None:
        os.makedirs(self._dir.root, exist_ok=True)
        self._watch = DirectoryWatch(self._dir.root, notify)
        self._watch.start()

    def ready(self) -> bool:
        return True

    def lines(self) -> tuple[str, ...]:
        result = self._dir.scan()
        self._last = result
        log.debug("scanned %d files (%d parsed, %d with errors)", result.files, result.parsed, result.errors)
        return result.lines

    def describe(self) -> dict[str, object]:
        info: dict[str, object] = {"kind": "files", "dir": self._dir.root}
        if self._last is not None:
            info.update(files=self._last.files, file_errors=self._last.errors)
        return info

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.stop()
