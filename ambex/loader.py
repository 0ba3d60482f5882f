"""Load diagd's manifest into a Snapshot, parsing only resource files not parsed before.

Files are named by content hash, so a cached parse is valid for as long as the name appears. A RouteConfiguration
is assembled from its base file and, per virtual host, a base file and route chunks, by concatenating serialized
messages (protobuf merges concatenated messages, appending repeated fields in order), so one changed route re-parses
one chunk of about 32 routes, however large the virtual host.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format

from ambex.protos import ensure_types, message_class
from ambex.snapshot import CLUSTER, ENDPOINT, LISTENER, ROUTE, Resource, Snapshot
from watt.formats.layout import BaseLayout
from watt.formats.manifest import Manifest, RouteEntry, VirtualHostEntry, decode_manifest, manifest_files

__all__ = ["LoadError", "ManifestLoader", "Loaded", "varint"]

log = logging.getLogger("ambex.loader")

_HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
_VHOSTS_TAG = b"\x12"  # RouteConfiguration.virtual_hosts: field 2, length-delimited
_ROUTES_TAG = b"\x1a"  # VirtualHost.routes: field 3, length-delimited


def varint(value: int) -> bytes:
    """Protobuf's base-128 varint, for the length prefix of a concatenated virtual host."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


class LoadError(Exception):
    """The manifest or one of its files cannot be used; the previous snapshot stays."""


@dataclass(frozen=True, slots=True)
class Loaded:
    snapshot: Snapshot
    manifest: Manifest
    parsed: int


@dataclass(frozen=True, slots=True)
class _Parsed:
    name: str
    body: bytes
    refs: frozenset[str]
    routes: tuple[bytes, ...] = ()  # a route chunk's routes, as keys of the loader's parsed routes


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def _listener_refs(doc: dict[str, Any]) -> frozenset[str]:
    return frozenset(str(node["rds"]["route_config_name"]) for node in _walk(doc)
                     if str(node.get("@type", "")).endswith(_HCM) and isinstance(node.get("rds"), dict))


def _cluster_refs(doc: dict[str, Any]) -> frozenset[str]:
    refs = set()
    for node in _walk(doc):
        route = node.get("route") if isinstance(node.get("route"), dict) else None
        if route is not None and isinstance(route.get("cluster"), str):
            refs.add(route["cluster"])
        for mirror in node.get("request_mirror_policies", []) if isinstance(node, dict) else []:
            if isinstance(mirror, dict) and isinstance(mirror.get("cluster"), str):
                refs.add(mirror["cluster"])
    return frozenset(refs)


class ManifestLoader:
    def __init__(self, layout: BaseLayout) -> None:
        self.layout = layout
        self._cache: dict[str, _Parsed] = {}
        # Serialized routes by a digest of their JSON: a changed chunk parses only its changed routes. When one
        # Mapping that every virtual host takes changes, each virtual host has one changed chunk; its other routes
        # are found here. Each is a slice of the latest chunk body holding it (body, start, end), so that route
        # bytes are held once.
        self._routes: dict[bytes, tuple[bytes, int, int]] = {}
        self._routes_pruned = 0

    def load(self) -> Loaded:
        manifest = self._read_manifest()
        before = len(self._cache)
        resources = {
            CLUSTER: self._plain(manifest.get("clusters", []), "envoy.config.cluster.v3.Cluster"),
            ENDPOINT: self._plain(manifest.get("endpoints", []), "envoy.config.endpoint.v3.ClusterLoadAssignment"),
            LISTENER: self._plain(manifest.get("listeners", []), "envoy.config.listener.v3.Listener", _listener_refs),
            ROUTE: {e["name"]: self._route(e) for e in manifest.get("routes", [])},
        }
        keep = manifest_files(manifest)
        parsed = len(self._cache) - before
        self._cache = {name: value for name, value in self._cache.items() if name in keep}
        self._prune_routes()
        snapshot = Snapshot(seq=int(manifest.get("snapshot_seq", 0)), resources=resources)
        return Loaded(snapshot=snapshot, manifest=manifest, parsed=max(parsed, 0))

    def _read_manifest(self) -> Manifest:
        try:
            with open(self.layout.manifest_file, "rb") as handle:
                return decode_manifest(handle.read())
        except FileNotFoundError as exc:
            raise LoadError(f"no manifest yet at {self.layout.manifest_file}") from exc
        except (OSError, ValueError) as exc:
            raise LoadError(f"cannot read {self.layout.manifest_file}: {exc}") from exc

    def _plain(self, files: list[str], type_name: str, refs: Any = None) -> dict[str, Resource]:
        out = {}
        for file in files:
            parsed = self._parse(file, type_name, refs)
            out[parsed.name] = Resource(parsed.name, parsed.body, file, parsed.refs)
        return out

    def _route(self, entry: RouteEntry) -> Resource:
        base = self._parse(entry["file"], "envoy.config.route.v3.RouteConfiguration", None)
        parts, names = [base.body], [entry["file"]]
        refs: set[str] = set()
        for vhost in entry["virtual_hosts"]:
            body, vhost_refs = self._virtual_host(vhost)
            parts += [_VHOSTS_TAG, varint(len(body)), body]
            refs |= vhost_refs
            names += [vhost["file"], *vhost["routes"]]
        digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:32]
        return Resource(entry["name"], b"".join(parts), digest, frozenset(refs))

    def _virtual_host(self, entry: VirtualHostEntry) -> tuple[bytes, frozenset[str]]:
        head = self._parse(entry["file"], "envoy.config.route.v3.VirtualHost", None)
        chunks = [self._chunk(f) for f in entry["routes"]]
        return head.body + b"".join(c.body for c in chunks), frozenset().union(*(c.refs for c in chunks))

    def _read(self, file: str) -> tuple[str, dict[str, Any]]:
        try:
            with open(os.path.join(self.layout.envoy_dir, file), encoding="utf-8") as handle:
                text = handle.read()
            doc = json.loads(text)
        except (OSError, ValueError) as exc:
            raise LoadError(f"{file}: {exc}") from exc
        if not isinstance(doc, dict):
            raise LoadError(f"{file}: not a JSON object")
        doc.pop("@type", None)
        return text, doc

    def _parse(self, file: str, type_name: str, refs: Any) -> _Parsed:
        cached = self._cache.get(file)
        if cached is not None:
            return cached
        text, doc = self._read(file)
        try:
            ensure_types(text)
            message = json_format.ParseDict(doc, message_class(type_name)())
        except (ValueError, json_format.ParseError) as exc:
            raise LoadError(f"{file}: {exc}") from exc
        name = doc.get("name") or doc.get("cluster_name", "")  # a ClusterLoadAssignment is named by cluster_name
        parsed = _Parsed(name=str(name), body=message.SerializeToString(deterministic=True),
                         refs=refs(doc) if refs is not None else frozenset())
        self._cache[file] = parsed
        return parsed

    def _chunk(self, file: str) -> _Parsed:
        """A chunk of a virtual host's routes, serialized as a VirtualHost holding only them: the concatenation of
        its routes, each parsed once (``_routes``)."""
        cached = self._cache.get(file)
        if cached is not None:
            return cached
        text, doc = self._read(file)
        routes = doc.get("routes")
        if doc.keys() != {"routes"} or not isinstance(routes, list) or not all(isinstance(r, dict) for r in routes):
            return self._parse(file, "envoy.config.route.v3.VirtualHost", _cluster_refs)
        try:
            ensure_types(text)
            serialized = [self._route_bytes(route) for route in routes]
        except (ValueError, json_format.ParseError) as exc:
            raise LoadError(f"{file}: {exc}") from exc
        parts, places, at = [], [], 0
        for _, route_bytes in serialized:
            head = _ROUTES_TAG + varint(len(route_bytes))
            parts += [head, route_bytes]
            places.append((at + len(head), at + len(head) + len(route_bytes)))
            at = places[-1][1]
        body = b"".join(parts)
        for (key, _), (start, end) in zip(serialized, places, strict=True):
            self._routes[key] = (body, start, end)  # the older chunk holding it can go
        keys = tuple(key for key, _ in serialized)
        parsed = self._cache[file] = _Parsed(name="", body=body, refs=_cluster_refs(doc), routes=keys)
        return parsed

    def _route_bytes(self, route: dict[str, Any]) -> tuple[bytes, bytes | memoryview]:
        """(key, serialized route): parsed only when no cached chunk holds it."""
        key = hashlib.blake2b(json.dumps(route, sort_keys=True, separators=(",", ":")).encode(), digest_size=16).digest()
        place = self._routes.get(key)
        if place is not None:
            return key, memoryview(place[0])[place[1]:place[2]]
        message = json_format.ParseDict(route, message_class("envoy.config.route.v3.Route")())
        return key, message.SerializeToString(deterministic=True)

    def _prune_routes(self) -> None:
        """Drop routes no cached chunk holds, once they may be a fifth of all."""
        if len(self._routes) > self._routes_pruned * 6 // 5 + 256:
            live = {key for parsed in self._cache.values() for key in parsed.routes}
            self._routes = {key: body for key, body in self._routes.items() if key in live}
            self._routes_pruned = len(self._routes)
