"""The snapshot file watt writes and diagd reads: NDJSON, one record per line.

The first line is the header; every other line is one record: a configuration object with where it came from, or a
source that could not be read. One object per line lets diagd re-parse only the lines that changed since the last
snapshot (an unchanged line is the same string), which keeps a one-object change cheap at 10,000 objects.
Lines are encoded with sorted keys so that equal content always gives an equal line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

__all__ = [
    "FORMAT_VERSION",
    "SnapshotHeader",
    "SnapshotFile",
    "encode_header",
    "encode_object",
    "encode_invalid",
    "encode_snapshot",
    "decode_snapshot",
    "decode_record",
    "ObjectRecord",
    "InvalidRecord",
]

FORMAT_VERSION = 1


class SnapshotHeader(TypedDict, total=False):
    format: int
    seq: int
    source: dict[str, Any]
    change_seen: float
    written: float
    complete: bool


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    """A configuration object (a Kubernetes-shaped document) and where it came from."""

    body: Mapping[str, Any]
    location: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class InvalidRecord:
    """A source that could not be turned into objects (a file that does not parse, an object the API refused)."""

    location: Mapping[str, Any]
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class SnapshotFile:
    header: SnapshotHeader
    lines: tuple[str, ...] = field(default_factory=tuple)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_header(header: SnapshotHeader) -> str:
    return _dumps({"snapshot": header})


def encode_object(body: Mapping[str, Any], location: Mapping[str, Any]) -> str:
    return _dumps({"object": {"body": body, "location": location}})


def encode_invalid(location: Mapping[str, Any], reason: str, message: str) -> str:
    return _dumps({"invalid": {"location": location, "reason": reason, "message": message}})


def encode_snapshot(header: SnapshotHeader, lines: Iterable[str]) -> bytes:
    text = "\n".join([encode_header(header), *lines])
    return (text + "\n").encode("utf-8")


def decode_snapshot(data: bytes) -> SnapshotFile:
    """Split a snapshot into its header and record lines. Raises ValueError if the header is missing."""
    lines = data.decode("utf-8").split("\n")
    if not lines or not lines[0].startswith('{"snapshot":'):
        raise ValueError("snapshot has no header line")
    header = json.loads(lines[0])["snapshot"]
    if header.get("format") != FORMAT_VERSION:
        raise ValueError(f"snapshot format {header.get('format')!r} is not {FORMAT_VERSION}")
    return SnapshotFile(header=header, lines=tuple(line for line in lines[1:] if line))


def decode_record(line: str) -> ObjectRecord | InvalidRecord:
    """Decode one record line. Raises ValueError (json.JSONDecodeError) on a malformed line."""
    raw = json.loads(line)
    if "object" in raw:
        obj = raw["object"]
        return ObjectRecord(body=obj["body"], location=obj["location"])
    if "invalid" in raw:
        inv = raw["invalid"]
        return InvalidRecord(location=inv["location"], reason=inv["reason"], message=inv["message"])
    raise ValueError(f"unknown snapshot record with keys {sorted(raw)}")
