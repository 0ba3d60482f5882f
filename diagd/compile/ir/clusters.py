"""Name and create one cluster per distinct upstream (SPEC §5.3 naming; long names shortened by hash)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from diagd.compile.ir.cluster import Cluster, Upstream
from diagd.compile.model.problems import ResourceRef

__all__ = ["assign_clusters", "base_cluster_name", "MAX_NAME"]

MAX_NAME = 60
_UNSAFE = re.compile(r"[^0-9A-Za-z_]")


def base_cluster_name(upstream: Upstream) -> str:
    parts = ["cluster"]
    if upstream.marker:
        parts.append(upstream.marker)
    parts.append(upstream.service)
    if upstream.tls_origination:
        parts.append("otls")
        if upstream.tls is not None:
            parts.append(upstream.tls.name)
        if upstream.sni and upstream.tls is None:
            parts.append(f"hr-{upstream.sni}")
    parts.append(upstream.namespace)
    parts.extend(b.name_part() for b in upstream.circuit_breakers)
    if upstream.load_balancer is not None and upstream.load_balancer.policy != "round_robin":
        parts.append(f"lb-{upstream.load_balancer.policy}")
    name = _UNSAFE.sub("_", "_".join(parts))
    if len(name) > MAX_NAME:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:16].upper()
        name = f"{name[:40]}-{digest}"
    return name


def _upstream_sort_key(upstream: Upstream) -> str:
    return repr(upstream)


def assign_clusters(users: Iterable[tuple[Upstream, ResourceRef]]) -> tuple[tuple[Cluster, ...], dict[Upstream, str]]:
    """Give every distinct upstream one cluster; names clash only between distinct upstreams and get ``-<n>``."""
    sources: dict[Upstream, list[ResourceRef]] = {}
    for upstream, ref in users:
        sources.setdefault(upstream, []).append(ref)
    names: dict[Upstream, str] = {}
    taken: dict[str, int] = {}
    for upstream in sorted(sources, key=_upstream_sort_key):
        base = base_cluster_name(upstream)
        count = taken.get(base, 0)
        taken[base] = count + 1
        names[upstream] = base if count == 0 else f"{base}-{count}"
    clusters = tuple(
        Cluster(name=names[u], upstream=u, stats_name=u.stats_name or _UNSAFE.sub("_", u.service),
                sources=tuple(sorted(set(sources[u]), key=lambda r: r.rkey)))
        for u in sorted(sources, key=lambda u: names[u])
    )
    return clusters, names
