"""Name and create one cluster per distinct upstream (SPEC §5.3 naming; long names shortened by hash)."""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Iterable

from diagd.compile.ir.cluster import Cluster, Upstream
from diagd.compile.memo import CompileMemo
from diagd.compile.model.problems import Diagnostics, ResourceRef

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


def assign_clusters(users: Iterable[tuple[Upstream, ResourceRef]], memo: CompileMemo | None = None,
                    ) -> tuple[tuple[Cluster, ...], dict[Upstream, str]]:
    """Give every distinct upstream one cluster; names clash only between distinct upstreams and get ``-<n>``.

    With a memo, a cluster whose upstream, name and users are unchanged is the same object as in the previous
    compile (so its rendering is reused too)."""
    sources: dict[Upstream, list[ResourceRef]] = {}
    for upstream, ref in users:
        sources.setdefault(upstream, []).append(ref)
    names: dict[Upstream, str] = {}
    taken: dict[str, int] = {}
    for upstream in sorted(sources, key=lambda u: u.order):
        base = base_cluster_name(upstream)
        count = taken.get(base, 0)
        taken[base] = count + 1
        names[upstream] = base if count == 0 else f"{base}-{count}"
    made = []
    for upstream in sorted(sources, key=lambda u: names[u]):
        refs = tuple(sources[upstream])
        if memo is None:
            made.append(_cluster(upstream, names[upstream], refs))
        else:
            made.append(memo.clusters.get(upstream.order, _NO_DIAG, lambda a, _: _cluster(*a),
                                          (upstream, names[upstream], refs), check=(upstream, names[upstream], *refs)))
    return tuple(made), names


_NO_DIAG = Diagnostics()  # cluster assignment records no problems


_RKEY = operator.attrgetter("rkey")


def _cluster(upstream: Upstream, name: str, refs: tuple[ResourceRef, ...]) -> Cluster:
    return Cluster(name=name, upstream=upstream, stats_name=upstream.stats_name or _UNSAFE.sub("_", upstream.service),
                   sources=tuple(sorted({ref.rkey: ref for ref in refs}.values(), key=_RKEY)))
