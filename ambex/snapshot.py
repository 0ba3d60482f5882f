"""Immutable, versioned snapshots of Envoy resources, checked for consistency before they are served.

Each resource is kept as serialized protobuf bytes plus the names it refers to. The snapshot's version is a hash
of its content, so loading an unchanged configuration yields the same version and nothing is pushed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["CLUSTER", "ENDPOINT", "LISTENER", "ROUTE", "ORDER", "SHORT", "Resource", "Snapshot", "content_version"]

CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener"
ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"

ORDER = (CLUSTER, ENDPOINT, LISTENER, ROUTE)  # the ADS push order: CDS → EDS → LDS → RDS
SHORT = {CLUSTER: "CDS", ENDPOINT: "EDS", LISTENER: "LDS", ROUTE: "RDS"}


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    body: bytes
    digest: str
    refs: frozenset[str] = frozenset()  # clusters a route config uses; route configs a listener uses


def content_version(resources: Iterable[Resource]) -> str:
    digest = hashlib.sha256()
    for res in sorted(resources, key=lambda r: r.name):
        digest.update(res.name.encode("utf-8"))
        digest.update(res.digest.encode("ascii"))
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Snapshot:
    seq: int
    resources: Mapping[str, Mapping[str, Resource]] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return content_version(r for by_name in self.resources.values() for r in by_name.values())

    def of(self, type_url: str) -> Mapping[str, Resource]:
        return self.resources.get(type_url, {})

    def check_consistent(self) -> list[str]:
        """Every RDS name a listener uses exists; every cluster a route uses exists."""
        problems = []
        routes, clusters = self.of(ROUTE), self.of(CLUSTER)
        for listener in self.of(LISTENER).values():
            for name in sorted(listener.refs - routes.keys()):
                problems.append(f"listener {listener.name} uses route configuration {name}, which is missing")
        for config in routes.values():
            for name in sorted(config.refs - clusters.keys()):
                problems.append(f"route configuration {config.name} uses cluster {name}, which is missing")
        return problems
