"""EDS: clusters whose endpoints come over ADS, and their ClusterLoadAssignments.

An EDS cluster names its ``service_name`` (``k8s/<ns>/<svc>/<port>``); the assignment with that name carries the
addresses. Endpoint changes therefore travel as new assignments only: routes, clusters and listeners stay as they
are, and Envoy keeps its connections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from diagd.compile.envoy.common import socket_address
from diagd.compile.ir.endpoints import LoadAssignment

__all__ = ["eds_cluster", "render_load_assignments", "inline_endpoints"]

_NOT_FOR_EDS = ("load_assignment", "dns_lookup_family", "respect_dns_ttl")


def eds_cluster(rendered: Mapping[str, Any], service_name: str) -> dict[str, Any]:
    """A rendered cluster turned into an EDS cluster fed over ADS."""
    out = {k: v for k, v in rendered.items() if k not in _NOT_FOR_EDS}
    out["type"] = "EDS"
    out["eds_cluster_config"] = {"eds_config": {"ads": {}, "resource_api_version": "V3"},
                                 "service_name": service_name}
    return out


def render_load_assignments(assignments: Iterable[LoadAssignment]) -> tuple[dict[str, Any], ...]:
    return tuple(
        {"cluster_name": a.key,
         "endpoints": [{"lb_endpoints": [{"endpoint": {"address": socket_address(e.address, e.port)}}
                                         for e in a.endpoints]}] if a.endpoints else []}
        for a in assignments
    )


def inline_endpoints(cluster: Mapping[str, Any], assignments: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """For a static configuration (``envoy --mode validate``): an EDS cluster as a STATIC one carrying its
    assignment inline; any other cluster unchanged."""
    out = dict(cluster)
    config = out.pop("eds_cluster_config", None)
    if config is None:
        return out
    by_name = {a["cluster_name"]: a for a in assignments}
    assignment = dict(by_name.get(config["service_name"], {"endpoints": []}))
    out.update(type="STATIC", load_assignment={**assignment, "cluster_name": out["name"]})
    return out
