"""Upstreams and clusters: one cluster per distinct upstream setting, however many Mappings share it."""

from __future__ import annotations

import operator

from dataclasses import dataclass, field, fields
from enum import Enum

from diagd.compile.ir.health import HealthCheck
from diagd.compile.ir.policies import CircuitBreaker, Keepalive, LoadBalancer
from diagd.compile.ir.tls import TLSContext
from diagd.compile.model.problems import ResourceRef
from diagd.compile.model.records import DERIVED, direct_init

__all__ = ["Discovery", "Upstream", "Cluster"]


class Discovery(str, Enum):
    STATIC = "STATIC"
    STRICT_DNS = "STRICT_DNS"
    LOGICAL_DNS = "LOGICAL_DNS"
    EDS = "EDS"


@direct_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Upstream:
    """Everything that makes two upstreams different clusters. Equal upstreams share one cluster."""

    service: str  # as the user wrote it
    host: str
    port: int
    discovery: Discovery
    namespace: str
    tls: TLSContext | None = None
    tls_origination: bool = False
    http2: bool = False
    connect_timeout_ms: int = 3000
    marker: str = ""  # cluster_tag, "shadow", "extauth"
    sni: str | None = None  # SNI sent when originating TLS (host_rewrite, or the context's sni)
    stats_name: str | None = None
    load_balancer: LoadBalancer | None = None
    circuit_breakers: tuple[CircuitBreaker, ...] = ()
    idle_timeout_ms: int | None = None
    max_connection_lifetime_ms: int | None = None
    respect_dns_ttl: bool = False
    ip_family: str = "V4_ONLY"
    keepalive: Keepalive | None = None
    health_checks: tuple[HealthCheck, ...] = ()  # EDS clusters only (kinds/resolvers.py)
    more_endpoints: tuple[tuple[str, int], ...] = ()  # further (host, port)s of one cluster (several AuthServices)
    # Computed once: an Upstream is hashed for every Mapping of every compile; its order is made when first read.
    _hash: int = field(init=False, repr=False, compare=False, metadata=DERIVED)
    _order: str | None = field(init=False, default=None, repr=False, compare=False, metadata=DERIVED)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(_compared(self)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def order(self) -> str:
        """A total order of distinct upstreams."""
        if self._order is None:
            object.__setattr__(self, "_order", repr(self))
        assert self._order is not None
        return self._order


_compared = operator.attrgetter(*(f.name for f in fields(Upstream) if f.compare))


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster:
    name: str
    upstream: Upstream
    stats_name: str
    sources: tuple[ResourceRef, ...]
