"""Publish a snapshot when, and only when, its content changed."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from _blake2 import blake2b  # what hashlib.blake2b is; importing hashlib would also map OpenSSL (~3.5 MiB RSS)

from watt.formats.atomic import atomic_write
from watt.formats.snapshot import FORMAT_VERSION, SnapshotHeader, decode_snapshot, encode_snapshot

__all__ = ["SnapshotWriter"]

log = logging.getLogger("watt.writer")


class SnapshotWriter:
    """Writes ``snapshot.ndjson`` atomically; numbers snapshots on from whatever was there before."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.seq = _previous_seq(path)
        self._digest: bytes | None = None

    def publish(self, lines: tuple[str, ...], *, change_seen: float, source: Mapping[str, Any]) -> bool:
        """Write a new snapshot if ``lines`` or ``source`` (which carries the source's problems, such as a kind
        whose CRD is absent) differ from the last one written; True when written."""
        described = json.dumps(source, sort_keys=True, default=str)
        digest = blake2b("\n".join((described, *lines)).encode("utf-8"), digest_size=16).digest()
        if digest == self._digest:
            return False
        self.seq += 1
        header: SnapshotHeader = {
            "format": FORMAT_VERSION,
            "seq": self.seq,
            "source": dict(source),
            "change_seen": change_seen,
            "written": time.time(),
            "complete": True,
        }
        atomic_write(self.path, encode_snapshot(header, lines), mode=0o600)
        self._digest = digest
        log.info(
            "snapshot %d: %d records, %.1f ms after the change was seen",
            self.seq, len(lines), (header["written"] - change_seen) * 1000,
        )
        return True


def _previous_seq(path: str) -> int:
    try:
        with open(path, "rb") as handle:
            first = handle.readline()
        return int(decode_snapshot(first).header.get("seq", 0))
    except (OSError, ValueError, KeyError):
        return 0
