"""Write a compiled Envoy configuration for ambex: resource files named by content hash, then the manifest.

Only files whose content is new are written; the manifest, written last and atomically, is what makes a
configuration current. Files no longer referenced by the current or the previous manifest are removed, so ambex can
still finish reading the previous one.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagd.compile.envoy.output import EnvoyConfig
from watt.formats.atomic import atomic_write, is_temp_name
from watt.formats.layout import BaseLayout
from watt.formats.manifest import (
    FORMAT_VERSION, Manifest, RouteEntry, VirtualHostEntry, decode_manifest, encode_manifest, manifest_files,
    resource_file_name,
)

__all__ = ["Publisher", "PublishStats", "TYPES", "route_chunks"]

# A chunk ends after a route whose name hashes to 0 modulo this (about 32 routes per chunk on average), or at
# MAX_CHUNK routes. Boundaries depend on names only, so inserting or editing a route changes one chunk.
CHUNK_MODULUS = 32
MAX_CHUNK = 256

log = logging.getLogger("diagd.publish")

TYPES = {
    "cds": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
    "eds": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
    "lds": "type.googleapis.com/envoy.config.listener.v3.Listener",
    "rds": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
    "vh": "type.googleapis.com/envoy.config.route.v3.VirtualHost",
}


@dataclass(frozen=True, slots=True)
class PublishStats:
    files: int
    written: int
    bytes_written: int
    bootstrap_changed: bool


def _encode(prefix: str, resource: Mapping[str, Any]) -> bytes:
    return json.dumps({"@type": TYPES[prefix], **resource}, sort_keys=True, separators=(",", ":")).encode("utf-8")


class Publisher:
    def __init__(self, layout: BaseLayout) -> None:
        self.layout = layout
        self._previous_files: set[str] = self._files_of_existing_manifest()
        _remove_damaged(layout.envoy_dir)
        self._bootstrap: bytes | None = None
        self._previous_secrets: set[str] = set()
        # id(rendered dict) → (that dict, what it was published as). The compiler hands back the very same dict for
        # unchanged clusters and virtual hosts, so their JSON is not encoded and hashed again.
        self._published: dict[int, tuple[object, Any]] = {}
        # The ids of a chunk's route dicts → (those dicts, the chunk's file). A changed virtual host is a new dict
        # whose unchanged routes are the same dicts as before, so only its changed chunks are encoded again.
        self._chunks: dict[tuple[int, ...], tuple[list[Any], str]] = {}

    def publish(self, envoy: EnvoyConfig, meta: Mapping[str, Any], *,
                secret_files: Mapping[str, bytes] | None = None) -> tuple[Manifest, PublishStats]:
        os.makedirs(self.layout.envoy_dir, exist_ok=True)
        self._write_secrets(secret_files or {})
        pending: dict[str, bytes] = {}
        previous, published = self._published, {}
        previous_chunks = self._chunks
        chunks: dict[tuple[int, ...], tuple[list[Any], str]] = {}

        def add(prefix: str, resource: Mapping[str, Any]) -> str:
            data = _encode(prefix, resource)
            name = resource_file_name(prefix, data)
            pending[name] = data
            return name

        def once(resource: Mapping[str, Any], make: Any) -> Any:
            entry = previous.get(id(resource))
            if entry is None or entry[0] is not resource:
                entry = (resource, make())
            published[id(resource)] = entry
            return entry[1]

        def chunk_file(routes: list[Any]) -> str:
            key = tuple(map(id, routes))
            entry = previous_chunks.get(key) or chunks.get(key)
            if entry is None:
                entry = (routes, add("vh", {"routes": routes}))
            chunks[key] = entry
            return entry[1]

        manifest: Manifest = {
            "format": FORMAT_VERSION,
            "clusters": [once(c, lambda c=c: add("cds", c)) for c in envoy.clusters],
            "endpoints": [once(e, lambda e=e: add("eds", e)) for e in envoy.endpoints],
            "listeners": [add("lds", lst) for lst in envoy.listeners],
            "routes": [self._route_entry(rc, add, once, chunk_file) for rc in envoy.route_configs],
        }
        self._published, self._chunks = published, chunks
        manifest.update(meta)  # type: ignore[typeddict-item]
        written = self._write_new(pending)
        bootstrap_changed = self._write_bootstrap(envoy.bootstrap)
        atomic_write(self.layout.manifest_file, encode_manifest(manifest))
        current = manifest_files(manifest)
        self._collect_garbage(current | self._previous_files)
        self._previous_files = current
        stats = PublishStats(files=len(current), written=len(written),
                             bytes_written=sum(len(pending[n]) for n in written), bootstrap_changed=bootstrap_changed)
        return manifest, stats

    @staticmethod
    def _route_entry(config: Mapping[str, Any], add: Any, once: Any, chunk_file: Any) -> RouteEntry:
        base = {k: v for k, v in config.items() if k != "virtual_hosts"}

        def entry(vhost: Mapping[str, Any]) -> VirtualHostEntry:
            head = {k: v for k, v in vhost.items() if k != "routes"}
            chunks = [chunk_file(chunk) for chunk in route_chunks(vhost.get("routes", ()))]
            return {"file": add("vh", head), "routes": chunks}

        vhosts = [once(vhost, lambda v=vhost: entry(v)) for vhost in config.get("virtual_hosts", ())]
        return {"name": str(config["name"]), "file": add("rds", base), "virtual_hosts": vhosts}

    def _write_secrets(self, files: Mapping[str, bytes]) -> None:
        """PEM files (named by content hash) before the configuration that references them; mode 0600. Files of
        the previous configuration stay until the next one, as Envoy may still be loading them."""
        secrets_dir = self.layout.secrets_dir
        os.makedirs(secrets_dir, mode=0o700, exist_ok=True)
        names = {os.path.basename(p) for p in files}
        for path, data in files.items():
            target = os.path.join(secrets_dir, os.path.basename(path))
            if os.path.dirname(os.path.abspath(path)) != os.path.abspath(secrets_dir):
                log.warning("secret file %s is outside %s; writing it there", os.path.basename(path), secrets_dir)
            if not os.path.exists(target):
                atomic_write(target, data, mode=0o600)
        for name in os.listdir(secrets_dir):
            if name not in names and name not in self._previous_secrets and not is_temp_name(name):
                try:
                    os.unlink(os.path.join(secrets_dir, name))
                except FileNotFoundError:
                    pass
        self._previous_secrets = names

    def _write_new(self, pending: Mapping[str, bytes]) -> list[str]:
        written = []
        for name, data in pending.items():
            path = os.path.join(self.layout.envoy_dir, name)
            if not os.path.exists(path):
                atomic_write(path, data, sync=False)  # named by content hash: checked after a restart
                written.append(name)
        return written

    def _write_bootstrap(self, bootstrap: Mapping[str, Any]) -> bool:
        data = json.dumps(bootstrap, sort_keys=True, indent=1).encode("utf-8")
        if data == self._bootstrap:
            return False
        try:
            with open(self.layout.bootstrap_file, "rb") as handle:
                unchanged = handle.read() == data
        except OSError:
            unchanged = False
        if not unchanged:
            atomic_write(self.layout.bootstrap_file, data)
        self._bootstrap = data
        return not unchanged

    def _collect_garbage(self, keep: set[str]) -> None:
        envoy_dir = self.layout.envoy_dir
        for name in set(os.listdir(envoy_dir)) - keep - {os.path.basename(self.layout.manifest_file)}:
            if is_temp_name(name) or name.endswith(".json"):
                try:
                    os.unlink(os.path.join(envoy_dir, name))
                except FileNotFoundError:
                    pass

    def _files_of_existing_manifest(self) -> set[str]:
        try:
            with open(self.layout.manifest_file, "rb") as handle:
                return manifest_files(decode_manifest(handle.read()))
        except (OSError, ValueError):
            return set()


def _remove_damaged(envoy_dir: str) -> None:
    """Resource files are written without fsync (a reconfiguration may write hundreds), so after a power loss one
    may have its name and not all its content. When diagd starts, every resource file whose content does not hash
    to its name is removed, and written again by the next publish (which writes only files that do not exist)."""
    try:
        names = os.listdir(envoy_dir)
    except FileNotFoundError:
        return
    for name in names:
        prefix = name.split("-", 1)[0]
        if prefix not in TYPES or is_temp_name(name):
            continue
        path = os.path.join(envoy_dir, name)
        try:
            with open(path, "rb") as handle:
                intact = resource_file_name(prefix, handle.read()) == name
            if not intact:
                log.warning("removing %s: its content does not match its name (an interrupted write)", path)
                os.unlink(path)
        except OSError:
            continue


def route_chunks(routes: Any) -> list[list[Any]]:
    """Split a virtual host's routes where a route's name hashes to a boundary (content-defined chunking)."""
    chunks: list[list[Any]] = []
    current: list[Any] = []
    for route in routes:
        current.append(route)
        if _ends_chunk(str(route.get("name", ""))) or len(current) >= MAX_CHUNK:
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


@functools.lru_cache(maxsize=1 << 17)
def _ends_chunk(name: str) -> bool:
    return zlib.crc32(name.encode("utf-8")) % CHUNK_MODULUS == 0
