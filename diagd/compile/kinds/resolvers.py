"""Resolvers (SPEC §4.6, §5.4): how a Mapping's ``service`` becomes addresses.

``KubernetesServiceResolver`` (the default, ``kubernetes-service``): the Service's DNS name. ``KubernetesEndpoint
Resolver`` (``kubernetes-endpoint`` and ``endpoint`` are predefined): the Service's endpoints, sent to Envoy over EDS
under ``k8s/<ns>/<svc>/<port>``, so that endpoint changes never touch routes or clusters. A Mapping picks one by
``resolver`` (TCPMappings too); the Module's ``resolver`` sets the default. An IP-literal service is always used as it is.
``ConsulResolver`` is accepted but not implemented: its Mappings resolve the service name by DNS, with a notice.
A Mapping's ``health_checks`` stay only on EDS clusters: Envoy checks each endpoint it knows of, and a DNS or static
cluster has one address for the whole Service.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from diagd.compile.ir.cluster import Discovery, Upstream
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.tcp import TcpMapping
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.settings import CompileSettings
from diagd.compile.splice import ItemMap, mapped

__all__ = ["Resolution", "RESOLVER_KINDS", "ResolverDefaults", "resolver_table", "apply_resolvers"]

M = TypeVar("M", HttpMapping, TcpMapping)


class Resolution(str, Enum):
    SERVICE = "service"
    ENDPOINT = "endpoint"
    CONSUL = "consul"


RESOLVER_KINDS = {
    "KubernetesServiceResolver": Resolution.SERVICE,
    "KubernetesEndpointResolver": Resolution.ENDPOINT,
    "ConsulResolver": Resolution.CONSUL,
}
DEFAULT_RESOLVER = "kubernetes-service"
_PREDEFINED = {"kubernetes-service": Resolution.SERVICE, "kubernetes-endpoint": Resolution.ENDPOINT,
               "endpoint": Resolution.ENDPOINT}


def resolver_table(by_kind: Mapping[str, Sequence[Resource]], diag: Diagnostics) -> dict[str, Resolution]:
    """The predefined resolvers, then every resolver resource by name (a resource may redefine a predefined one)."""
    table = dict(_PREDEFINED)
    for kind, resolution in RESOLVER_KINDS.items():
        for res in by_kind.get(kind, ()):
            table[res.name] = resolution
            if resolution is Resolution.CONSUL:
                diag.notice(res.ref, "UnsupportedResolver", "ConsulResolver is not implemented: Mappings using it "
                            "resolve their service by DNS")
    return table


@dataclass(frozen=True, slots=True)
class ResolverDefaults:
    """What the ``ambassador`` Module says about resolution."""

    resolver: str = DEFAULT_RESOLVER
    own_namespace_services: bool = False  # use_ambassador_namespace_for_service_resolution

    @classmethod
    def from_modules(cls, modules: Sequence[Resource]) -> ResolverDefaults:
        for module in modules:
            config = module.spec.get("config")
            if module.name == "ambassador" and isinstance(config, Mapping):
                resolver = config.get("resolver")
                return cls(resolver=resolver if isinstance(resolver, str) and resolver else DEFAULT_RESOLVER,
                           own_namespace_services=config.get("use_ambassador_namespace_for_service_resolution")
                           is True)
        return cls()


def _endpoint_upstream(upstream: Upstream, settings: CompileSettings, own_namespace_services: bool) -> Upstream:
    """EDS, with the host written as ``<svc>.<ns>`` so that the endpoint key names the namespace."""
    service, _, rest = upstream.host.partition(".")
    namespace = rest.split(".", 1)[0] if rest else (settings.namespace if own_namespace_services
                                                     else upstream.namespace)
    return dataclasses.replace(upstream, discovery=Discovery.EDS, host=f"{service}.{namespace}")


def apply_resolvers(mappings: Sequence[M], resources: Callable[[], Mapping[str, Resource]], *,
                    table: Mapping[str, Resolution], defaults: ResolverDefaults, settings: CompileSettings,
                    diag: Diagnostics, memo: ItemMap[M, M | None] | None = None) -> list[M]:
    """Mappings (or TCPMappings) with their resolver applied; one naming an unknown resolver is dropped with an
    error. ``resources()`` gives the resources by key (asked for only when a Mapping is resolved). With a memo, a
    Mapping object resolved in the previous compile gives the same object back (an endpoint resolver replaces the
    upstream, and downstream memos compare Mappings by identity)."""

    def resolve(mapping: M, child: Diagnostics) -> M | None:
        if isinstance(mapping, HttpMapping) and mapping.internal:  # probe and diag routes are not the user's
            return mapping
        res = resources().get(mapping.ref.rkey)
        given = res.spec.get("resolver") if res is not None else None
        name: str = given if isinstance(given, str) and given else defaults.resolver
        resolution: Resolution | None = table.get(name)
        if resolution is not None and resolution is not Resolution.ENDPOINT and not mapping.upstream.health_checks:
            return mapping  # nothing to change
        return _resolved(mapping, name, resolution, defaults, settings, child)

    resolved = mapped(mappings, diag, resolve, memo)
    return list(filter(None, resolved))


def _resolved(mapping: M, name: str, resolution: Resolution | None, defaults: ResolverDefaults,
              settings: CompileSettings, diag: Diagnostics) -> M | None:
    if resolution is None:
        diag.error(mapping.ref, "NoSuchResolver", f"resolver {name!r} is not defined; this "
                   f"{mapping.ref.kind} is not routed")
        return None
    upstream = mapping.upstream
    if resolution is Resolution.ENDPOINT and upstream.discovery is not Discovery.STATIC:
        upstream = _endpoint_upstream(upstream, settings, defaults.own_namespace_services)
    upstream = _health_checks_for_eds(upstream, mapping, name, diag)
    return mapping if upstream is mapping.upstream else dataclasses.replace(mapping, upstream=upstream)


def _health_checks_for_eds(upstream: Upstream, mapping: HttpMapping | TcpMapping, resolver: str,
                           diag: Diagnostics) -> Upstream:
    """Health checks act on the endpoints of an EDS cluster; any other cluster keeps none, with a notice."""
    if not upstream.health_checks or upstream.discovery is Discovery.EDS:
        return upstream
    why = ("its service is an IP address" if upstream.discovery is Discovery.STATIC
           else f"its resolver {resolver!r} resolves by DNS")
    diag.notice(mapping.ref, "HealthChecksNeedEndpointResolver", f"health_checks apply only to Mappings with an "
                f"endpoint resolver (EDS clusters), and {why}; its health checks are ignored")
    return dataclasses.replace(upstream, health_checks=())
