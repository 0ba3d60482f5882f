"""Everything the diagnostics pages look up, computed once per applied configuration and then only read.

``DiagIndex`` answers "what does this key name?" (a resource, a route group, a cluster), "what did this resource
produce?" (routes, clusters, Envoy JSON) and "what went wrong with it?" (problems), from one ``CompileResult`` and
the snapshot it was compiled from. Resource bodies are redacted here, when they enter the index, so no page can show
what a Secret holds.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from diagd.compile import CompileResult
from diagd.compile.model.problems import Problem, Severity
from diagd.compile.model.source import Location, Snapshot
from diagd.ir_view import (
    cluster_rows, group_rows, host_rows, listener_rows, mapping_sources, route_rows, tcp_rows, tls_rows,
)
from diagd.redact import redact_body, scrub_value

__all__ = ["DiagIndex", "IndexCache", "build_index", "problem_json"]

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def problem_json(problem: Problem) -> dict[str, Any]:
    location = problem.location.describe() if problem.location is not None else None
    return {"rkey": problem.rkey, "severity": problem.severity.value, "reason": problem.reason,
            "message": problem.message, "kind": problem.kind, "name": problem.name,
            "namespace": problem.namespace, "location": location}


@dataclass
class DiagIndex:
    """Lookup tables over one compiled configuration. Built by ``build_index``; never changed afterwards
    (except the lazily filled serialisation cache)."""

    result: CompileResult
    routes: list[dict[str, Any]]
    groups: dict[str, dict[str, Any]]
    clusters: dict[str, dict[str, Any]]
    listeners: list[dict[str, Any]]
    hosts: list[dict[str, Any]]
    tcp_mappings: list[dict[str, Any]]
    tls_contexts: list[dict[str, Any]]
    resources: dict[str, dict[str, Any]]
    problems: list[dict[str, Any]]
    problems_by_key: dict[str, list[dict[str, Any]]]
    envoy_routes: dict[str, list[dict[str, Any]]]
    envoy_clusters: dict[str, dict[str, Any]]
    route_sources: dict[str, str]
    vhost_sources: dict[str, str]
    bodies: dict[str, Any] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # parts derived from this index, computed on first use
    _yaml: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(r["kind"] for r in self.resources.values()).items()))

    def errors(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p["severity"] == Severity.ERROR.value]

    def notices(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p["severity"] == Severity.NOTICE.value]

    def serialization(self, rkey: str) -> str | None:
        """The resource as YAML, redacted (cached: YAML dumping is the slow part of the overview JSON)."""
        if rkey not in self.bodies:
            return None
        if rkey not in self._yaml:
            self._yaml[rkey] = yaml.dump(self.bodies[rkey], Dumper=_Dumper, sort_keys=False, default_flow_style=False)
        return self._yaml[rkey]

    def routes_of(self, rkey: str) -> list[dict[str, Any]]:
        return [r for r in self.routes if r["source"] == rkey or r["host_source"] == rkey
                or any(s["source"] == rkey for s in r["shadows"])]

    def clusters_of(self, rkey: str) -> list[dict[str, Any]]:
        return [c for c in self.clusters.values() if rkey in c["sources"]]

    def groups_of(self, rkey: str) -> list[dict[str, Any]]:
        return [g for g in self.groups.values() if any(m["source"] == rkey for m in g["members"])]


def _bodies_by_location(snapshot: Snapshot | None) -> dict[Location, Any]:
    if snapshot is None:
        return {}
    return {obj.location: obj.body for obj in snapshot.objects}


def _resources(result: CompileResult, snapshot: Snapshot | None) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    by_location = _bodies_by_location(snapshot)
    resources: dict[str, dict[str, Any]] = {}
    bodies: dict[str, Any] = {}
    for ref in result.resources:
        resources[ref.rkey] = {"rkey": ref.rkey, "kind": ref.kind, "name": ref.name, "namespace": ref.namespace,
                               "location": ref.location.describe(), "parent": ref.location.parent}
        body = by_location.get(ref.location)
        if body is not None:
            bodies[ref.rkey] = redact_body(ref.kind, body)
    return resources, bodies


def _envoy_routes(result: CompileResult, sources: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Mapping key → the Envoy routes rendered for it (each once, even if several virtual hosts share it)."""
    out: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    for config in result.envoy.route_configs:
        for vhost in config.get("virtual_hosts", ()):
            for route in vhost.get("routes", ()):
                rkey = sources.get(str(route.get("name")))
                marker = (str(rkey), repr(route))
                if rkey is None or marker in seen:
                    continue
                seen.add(marker)
                out.setdefault(rkey, []).append(scrub_value(route))
    return out


def build_index(result: CompileResult, snapshot: Snapshot | None) -> DiagIndex:
    problems = [problem_json(p) for p in result.problems]
    by_key: dict[str, list[dict[str, Any]]] = {}
    for problem in problems:
        by_key.setdefault(problem["rkey"], []).append(problem)
    resources, bodies = _resources(result, snapshot)
    sources = mapping_sources(result.ir)
    clusters = {row["name"]: row for row in cluster_rows(result.ir)}
    return DiagIndex(
        result=result,
        routes=route_rows(result.ir),
        groups={row["group_id"]: row for row in group_rows(result.ir)},
        clusters=clusters,
        listeners=listener_rows(result.ir),
        hosts=host_rows(result.ir),
        tcp_mappings=tcp_rows(result.ir),
        tls_contexts=tls_rows(result.ir),
        resources=resources,
        problems=problems,
        problems_by_key=by_key,
        envoy_routes=_envoy_routes(result, sources),
        envoy_clusters={str(c["name"]): scrub_value(c) for c in result.envoy.clusters},
        route_sources=sources,
        vhost_sources={vh.name: vh.host for plan in result.ir.listeners for chain in plan.chains
                       for vh in chain.virtual_hosts},
        bodies=bodies,
    )


class IndexCache:
    """Holds the index of the configuration currently published; rebuilds it when a new one appears."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, int] | None = None
        self._index: DiagIndex | None = None

    def get(self, result: CompileResult | None, snapshot: Snapshot | None) -> DiagIndex | None:
        if result is None:
            return None
        key = (id(result), id(snapshot))
        with self._lock:
            if self._index is None or self._key != key or self._index.result is not result:
                self._index = build_index(result, snapshot)
                self._key = key
            return self._index

