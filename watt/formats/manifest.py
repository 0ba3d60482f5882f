"""The Envoy manifest diagd writes and ambex reads.

diagd writes every Envoy resource to its own JSON file under ``<base>/envoy/`` named by the hash of its content,
then writes ``manifest.json`` (atomically, last) listing the files of the current configuration. A file's name
changes exactly when its content changes, so ambex parses only names it has not seen. Route configurations are
split for the same reason: a base file, then per virtual host a base file (the virtual host without its routes)
and its routes in chunks whose boundaries depend only on route names, so one changed route re-parses one chunk.
"""

from __future__ import annotations

import json
from _blake2 import blake2b  # hashlib's BLAKE2b without importing hashlib, which maps OpenSSL
from collections.abc import Mapping
from typing import Any, TypedDict

__all__ = [
    "FORMAT_VERSION",
    "VirtualHostEntry",
    "RouteEntry",
    "Manifest",
    "resource_file_name",
    "encode_manifest",
    "decode_manifest",
    "manifest_files",
]

FORMAT_VERSION = 2


class VirtualHostEntry(TypedDict):
    file: str
    routes: list[str]


class RouteEntry(TypedDict):
    name: str
    file: str
    virtual_hosts: list[VirtualHostEntry]


class Manifest(TypedDict, total=False):
    format: int
    snapshot_seq: int
    change_seen: float
    snapshot_written: float
    compiled: float
    written: float
    clusters: list[str]
    endpoints: list[str]
    listeners: list[str]
    routes: list[RouteEntry]


def resource_file_name(prefix: str, content: bytes) -> str:
    """The file name for a resource: its kind prefix and a 128-bit BLAKE2b hash of its exact bytes. BLAKE2b is
    CPython's own (no OpenSSL, which diagd's worker may run without), and faster than its own SHA-256."""
    return f"{prefix}-{blake2b(content, digest_size=16).hexdigest()}.json"


def encode_manifest(manifest: Manifest) -> bytes:
    return json.dumps(manifest, sort_keys=True, indent=1).encode("utf-8")


def decode_manifest(data: bytes) -> Manifest:
    raw: Any = json.loads(data)
    if not isinstance(raw, Mapping) or raw.get("format") != FORMAT_VERSION:
        raise ValueError("not an emissary-py Envoy manifest (format %r)" % (getattr(raw, "get", lambda k: None)("format"),))
    return raw  # type: ignore[return-value]


def manifest_files(manifest: Manifest) -> set[str]:
    """Every resource file a manifest refers to."""
    files = set(manifest.get("clusters", ())) | set(manifest.get("endpoints", ())) | set(manifest.get("listeners", ()))
    for entry in manifest.get("routes", ()):
        files.add(entry["file"])
        for vhost in entry["virtual_hosts"]:
            files.add(vhost["file"])
            files.update(vhost["routes"])
    return files
