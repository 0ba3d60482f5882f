"""Read watt's snapshot into the compiler's ``Snapshot``, decoding only lines not seen in the previous one."""

from __future__ import annotations

import logging

from diagd.compile.model.source import InvalidSource, Location, Snapshot, SourceObject
from watt.formats.snapshot import InvalidRecord, SnapshotHeader, decode_record, decode_snapshot

__all__ = ["SnapshotReader"]

log = logging.getLogger("diagd.snapshot")

_Item = SourceObject | InvalidSource


class SnapshotReader:
    def __init__(self, path: str) -> None:
        self.path = path
        self._cache: dict[str, _Item] = {}
        self.decoded_last = 0
        self.changed_kinds: frozenset[str] = frozenset()  # kinds of the records added or removed by the last read

    def read(self) -> tuple[SnapshotHeader, Snapshot]:
        """Raises OSError or ValueError when the file is missing or not a snapshot."""
        with open(self.path, "rb") as handle:
            data = handle.read()
        parsed = decode_snapshot(data)
        cache: dict[str, _Item] = {}
        decoded = 0
        for line in parsed.lines:
            item = self._cache.get(line)
            if item is None:
                item = self._decode(line)
                decoded += 1
            cache[line] = item
        self.changed_kinds = frozenset(_kind(cache[line]) for line in cache.keys() - self._cache.keys()) | frozenset(
            _kind(self._cache[line]) for line in self._cache.keys() - cache.keys())
        self._cache = cache
        self.decoded_last = decoded
        objects = tuple(i for i in cache.values() if isinstance(i, SourceObject))
        invalid = tuple(i for i in cache.values() if isinstance(i, InvalidSource))
        return parsed.header, Snapshot(objects=objects, invalid=invalid, meta=dict(parsed.header))

    @staticmethod
    def _decode(line: str) -> _Item:
        try:
            record = decode_record(line)
        except (ValueError, KeyError, TypeError) as exc:
            return InvalidSource(Location(file="<snapshot>"), "BadSnapshotRecord", f"unreadable snapshot line: {exc}")
        location = Location.from_mapping(record.location)
        if isinstance(record, InvalidRecord):
            return InvalidSource(location, record.reason, record.message)
        return SourceObject(record.body, location, key=line)


def _kind(item: _Item) -> str:
    body = item.body if isinstance(item, SourceObject) else None
    kind = body.get("kind") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else "?"
