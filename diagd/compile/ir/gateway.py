"""The assembled gateway: which Hosts each Listener serves, in which filter chains, with which routes.

Each virtual host lists route variants: one group member under one match condition (``x-forwarded-proto``) with one
action (route or redirect to HTTPS). Variants are emitted only where the secure and insecure actions differ, so a
Host whose cleartext action is Route gets one route per Mapping, not two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from diagd.compile.ir.cluster import Cluster
from diagd.compile.ir.external import ExternalServices
from diagd.compile.ir.groups import GroupMember, RouteGroup
from diagd.compile.ir.host import Host
from diagd.compile.ir.listener import Listener
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.ir.tcp import TcpMapping
from diagd.compile.ir.tls import TLSContext
from diagd.compile.model.records import DERIVED, direct_init

__all__ = ["RouteAction", "RouteVariant", "VirtualHost", "TcpProxy", "FilterChain", "ListenerPlan", "Gateway"]


class RouteAction(str, Enum):
    ROUTE = "route"
    REDIRECT_HTTPS = "redirect_https"


@direct_init
@dataclass(frozen=True, slots=True)
class RouteVariant:
    group: str  # the group's group_id (stable across compiles, unlike a position)
    member: int  # index into that group's members
    xfp: str | None  # require this x-forwarded-proto, or None for no condition
    action: RouteAction


@direct_init
@dataclass(frozen=True, slots=True)
class VirtualHost:
    name: str
    hostname: str
    domains: tuple[str, ...]
    host: str  # the Host's rkey
    routes: tuple[RouteVariant, ...]
    sources: frozenset[str] = field(default=frozenset(), repr=False, compare=False, metadata=DERIVED)  # Mapping rkeys
    group_ids: tuple[str, ...] = field(init=False, repr=False, compare=False, metadata=DERIVED)  # per route

    def __post_init__(self) -> None:
        object.__setattr__(self, "group_ids", tuple([variant.group for variant in self.routes]))


@dataclass(frozen=True, slots=True, kw_only=True)
class TcpProxy:
    """TCPMappings sharing one port and SNI: plain TCP forwarding, split by weight over their clusters."""

    stat_prefix: str
    clusters: tuple[tuple[str, int], ...]  # (cluster, relative weight)
    idle_timeout_ms: int | None = None
    sources: tuple[str, ...] = ()  # rkeys of the TCPMappings


@dataclass(frozen=True, slots=True)
class FilterChain:
    """One filter chain: HTTP (virtual hosts over one route configuration) or TCP (``tcp``).

    A chain matches TLS when it terminates TLS (``tls``) or routes TLS by SNI without terminating (``match_tls``).
    """

    name: str
    server_names: tuple[str, ...]
    tls: TLSContext | None
    route_config: str
    virtual_hosts: tuple[VirtualHost, ...]
    tcp: TcpProxy | None = None
    match_tls: bool = False

    @property
    def matches_tls(self) -> bool:
        return self.tls is not None or self.match_tls


@dataclass(frozen=True, slots=True)
class ListenerPlan:
    listener: Listener
    chains: tuple[FilterChain, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Gateway:
    options: GatewayOptions
    listeners: tuple[ListenerPlan, ...]
    hosts: tuple[Host, ...]
    mappings: tuple[HttpMapping, ...]
    groups: tuple[RouteGroup, ...]
    clusters: tuple[Cluster, ...]
    tls_contexts: tuple[TLSContext, ...] = ()
    tcp_mappings: tuple[TcpMapping, ...] = ()
    services: ExternalServices = ExternalServices()  # AuthService, RateLimitService, TracingService, LogServices
    group_index: Mapping[str, RouteGroup] = field(init=False, repr=False, compare=False, metadata=DERIVED)

    def __post_init__(self) -> None:
        object.__setattr__(self, "group_index", {g.group_id: g for g in self.groups})

    def group_of(self, variant: RouteVariant) -> RouteGroup:
        return self.group_index[variant.group]

    def member_of(self, variant: RouteVariant) -> GroupMember:
        return self.group_index[variant.group].members[variant.member]
