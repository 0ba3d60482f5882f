"""Status files: what a process reports about itself for diagd to show (ambex's pushes, ACKs and NACKs)."""

from __future__ import annotations

import json
from typing import Any, TypedDict

__all__ = ["NackInfo", "AmbexStatus", "encode_status", "decode_status"]


class NackInfo(TypedDict):
    type: str
    version: str
    message: str
    at: float
    snapshot_seq: int


class AmbexStatus(TypedDict, total=False):
    pid: int
    started: float
    load_error: str | None
    version: str
    snapshot_seq: int
    loaded: float
    pushed: float | None
    acked: float | None
    acked_version: str | None
    acked_seq: int | None
    streams: int
    last_nack: NackInfo | None


def encode_status(status: AmbexStatus | dict[str, Any]) -> bytes:
    return json.dumps(status, sort_keys=True).encode("utf-8")


def decode_status(data: bytes) -> dict[str, Any]:
    raw = json.loads(data)
    if not isinstance(raw, dict):
        raise ValueError("status file is not a JSON object")
    return raw
