"""Endpoints of EDS clusters: which addresses Envoy gets for each ``k8s/<ns>/<svc>/<port>`` key."""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.ir.cluster import Upstream

__all__ = ["Endpoint", "LoadAssignment", "endpoint_key"]


@dataclass(frozen=True, slots=True, order=True)
class Endpoint:
    address: str
    port: int


@dataclass(frozen=True, slots=True)
class LoadAssignment:
    """The endpoints for one EDS service name; empty while the Service has no ready endpoints (Envoy answers 503
    and the cluster stays warm)."""

    key: str
    endpoints: tuple[Endpoint, ...] = ()


def endpoint_key(upstream: Upstream) -> str:
    """``k8s/<ns>/<svc>/<port>`` for an upstream whose host is ``<svc>.<ns>[.svc.cluster.local]``."""
    service, _, rest = upstream.host.partition(".")
    namespace = rest.split(".", 1)[0] or upstream.namespace
    return f"k8s/{namespace}/{service}/{upstream.port}"
