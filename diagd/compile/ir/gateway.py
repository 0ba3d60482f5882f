"""The assembled gateway: which Hosts each Listener serves, in which filter chains, with which routes.

Each virtual host lists route variants: one group member under one match condition (``x-forwarded-proto``) with one
action (route or redirect to HTTPS). Variants are emitted only where the secure and insecure actions differ, so a
Host whose cleartext action is Route gets one route per Mapping, not two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from diagd.compile.ir.cluster import Cluster
from diagd.compile.ir.groups import RouteGroup
from diagd.compile.ir.host import Host
from diagd.compile.ir.listener import Listener
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.ir.tls import TLSContext

__all__ = ["RouteAction", "RouteVariant", "VirtualHost", "FilterChain", "ListenerPlan", "Gateway"]


class RouteAction(str, Enum):
    ROUTE = "route"
    REDIRECT_HTTPS = "redirect_https"


@dataclass(frozen=True, slots=True)
class RouteVariant:
    group: int  # index into Gateway.groups
    member: int  # index into that group's members
    xfp: str | None  # require this x-forwarded-proto, or None for no condition
    action: RouteAction


@dataclass(frozen=True, slots=True)
class VirtualHost:
    name: str
    hostname: str
    domains: tuple[str, ...]
    host: str  # the Host's rkey
    routes: tuple[RouteVariant, ...]


@dataclass(frozen=True, slots=True)
class FilterChain:
    name: str
    server_names: tuple[str, ...]
    tls: TLSContext | None
    route_config: str
    virtual_hosts: tuple[VirtualHost, ...]


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
