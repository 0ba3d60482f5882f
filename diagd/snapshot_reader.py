"""Read watt's snapshot into the compiler's ``Snapshot``, decoding only lines not seen in the previous one."""

from __future__ import annotations

import itertools
import logging
import operator
from typing import cast

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
        decoded, new, gone = self._decode_changed(lines)
        self.changed_kinds = frozenset(_kind(decoded[i]) for i in new) | frozenset(_kind(item) for item in gone)
        self._invalid = {line for line in self._invalid if line in lines} if gone else self._invalid
        self._invalid |= {lines[i] for i in new if isinstance(decoded[i], InvalidSource)}
        self._lines, self._decoded = lines, decoded
        self.decoded_last = len(new)
        if not self._invalid:  # the usual case: every line is an object, in line order
            objects = cast(tuple[SourceObject, ...], tuple(decoded))
            invalid: tuple[InvalidSource, ...] = ()
        else:
            objects = tuple(i for i in decoded if isinstance(i, SourceObject))
            invalid = tuple(i for i in decoded if isinstance(i, InvalidSource))
        return parsed.header, Snapshot(objects=objects, invalid=invalid, meta=dict(parsed.header))

    def _decode_changed(self, lines: tuple[str, ...]) -> tuple[list[_Item], list[int], list[_Item]]:
        """Each line's item, decoded only for lines the previous read did not have; the positions of those lines;
        and the items of lines that are gone. Lines are compared position by position when their number is the
        same (an edit in place), else looked up by content."""
        previous, decoded = self._lines, self._decoded
        if len(previous) == len(lines):
            new = list(itertools.compress(range(len(lines)), map(operator.ne, previous, lines)))
            gone = [decoded[i] for i in new]
            items = list(decoded)
            for i in new:
                items[i] = self._decode(lines[i])
            return items, new, gone
        known = dict(zip(previous, decoded))
        new = [i for i, line in enumerate(lines) if line not in known]
        kept = set(lines)
        return ([known.get(line) or self._decode(line) for line in lines], new,
                [item for line, item in known.items() if line not in kept])

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
