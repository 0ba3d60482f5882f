"""Build the compiler's input from YAML text exactly as the pipeline does (watt's loader, snapshot lines)."""

from __future__ import annotations

from diagd.compile.model.source import InvalidSource, Snapshot, SourceObject
from diagd.snapshot_reader import SnapshotReader
from watt.files.loader import parse_text
from watt.formats.snapshot import encode_invalid, encode_object

__all__ = ["snapshot_from_text", "snapshot_lines"]


def snapshot_lines(text: str, filename: str = "input.yaml") -> list[str]:
    parsed = parse_text(text, is_json=filename.endswith(".json"))
    if parsed.error is not None:
        location = {"file": filename, "line": parsed.error.line}
        return [encode_invalid(location, "YAMLParseError", parsed.error.message)]
    return [encode_object(d.body, {"file": filename, "line": d.line, "index": d.index}) for d in parsed.documents]


def snapshot_from_text(text: str, filename: str = "input.yaml") -> Snapshot:
    items = [SnapshotReader._decode(line) for line in snapshot_lines(text, filename)]
    return Snapshot(objects=tuple(i for i in items if isinstance(i, SourceObject)),
                    invalid=tuple(i for i in items if isinstance(i, InvalidSource)))
