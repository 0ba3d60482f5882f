"""Read watt's snapshot into the compiler's ``Snapshot``, decoding only lines not seen in the previous one."""

from __future__ import annotations

import itertools
import logging
import operator

from diagd.compile.model.source import InvalidSource, Location, Snapshot, SourceObject
from watt.formats.snapshot import InvalidRecord, SnapshotHeader, decode_record, decode_snapshot

__all__ = ["SnapshotReader"]

log = logging.getLogger("diagd.snapshot")

_Item = SourceObject | InvalidSource


class SnapshotReader:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lines: tuple[str, ...] = ()  # the previous read's record lines, and what each decoded to
        self._decoded: list[_Item] = []
        self._invalid: set[str] = set()  # those lines that decode to an InvalidSource
        self.decoded_last = 0
        self.changed_kinds: frozenset[str] = frozenset()  # kinds of the records added or removed by the last read

    def read(self) -> tuple[SnapshotHeader, Snapshot]:
        """Raises OSError or ValueError when the file is missing or not a snapshot."""
        with open(self.path, "rb") as handle:
            data = handle.read()
        parsed = decode_snapshot(data)
        lines = parsed.lines
        items, missing, gone = self._items(lines)
        for i in missing:
            items[i] = self._decode(lines[i])
        decoded: list[_Item] = items  # type: ignore[assignment]  # every item is decoded now
        self.changed_kinds = frozenset(_kind(decoded[i]) for i in missing) | frozenset(_kind(item) for item in gone)
        self._invalid = {line for line in self._invalid if line in lines} if gone else self._invalid
        self._invalid |= {lines[i] for i in missing if isinstance(decoded[i], InvalidSource)}
        self._lines, self._decoded = lines, decoded
        self.decoded_last = len(missing)
        if not self._invalid:  # the usual case: every line is an object, in line order
            objects = tuple(decoded)
            invalid: tuple[InvalidSource, ...] = ()
        else:
            objects = tuple(i for i in decoded if isinstance(i, SourceObject))
            invalid = tuple(i for i in decoded if isinstance(i, InvalidSource))
        return parsed.header, Snapshot(objects=objects, invalid=invalid,  # type: ignore[arg-type]
                                       meta=dict(parsed.header))

    def _items(self, lines: tuple[str, ...]) -> tuple[list[_Item | None], list[int], list[_Item]]:
        """The previous read's item for each unchanged line (None for the others), the positions of the others,
        and the items of lines that are gone. Lines compared position by position when their number is the same
        (an edit in place), else looked up by content."""
        previous, decoded = self._lines, self._decoded
        if len(previous) == len(lines):
            changed = list(itertools.compress(range(len(lines)), map(operator.ne, previous, lines)))
            items: list[_Item | None] = list(decoded)
            for i in changed:
                items[i] = None
            return items, changed, [decoded[i] for i in changed]
        known = dict(zip(previous, decoded))
        items = list(map(known.get, lines))
        missing = list(itertools.compress(range(len(lines)), map(operator.is_, items, itertools.repeat(None))))
        kept = set(lines)
        return items, missing, [item for line, item in known.items() if line not in kept]

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
