"""Assemble listeners × hosts × route groups into filter chains and virtual hosts (SPEC §4.4)."""

from __future__ import annotations

from collections.abc import Iterator

from diagd.compile.ir.attach import host_takes_mapping, listener_takes_host
from diagd.compile.ir.gateway import FilterChain, ListenerPlan, RouteAction, RouteVariant, VirtualHost
from diagd.compile.ir.groups import RouteGroup
from diagd.compile.ir.host import Host, InsecureAction
from diagd.compile.ir.listener import Listener, SecurityModel
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.model.problems import Diagnostics

__all__ = ["plan_listeners", "route_variants"]


def route_variants(model: SecurityModel, insecure: InsecureAction, mapping: HttpMapping) -> Iterator[tuple[str | None, RouteAction]]:
    """The (x-forwarded-proto condition, action) pairs one Mapping gets in one Host's virtual host."""
    if mapping.is_acme_challenge:
        insecure = InsecureAction.ROUTE
    if model is SecurityModel.SECURE:
        yield None, RouteAction.ROUTE
        return
    if model is SecurityModel.INSECURE:
        if insecure is not InsecureAction.REJECT:
            yield None, RouteAction.ROUTE if insecure is InsecureAction.ROUTE else RouteAction.REDIRECT_HTTPS
        return
    if insecure is InsecureAction.ROUTE:
        yield None, RouteAction.ROUTE  # secure and insecure would be the same route: emit it once
        return
    yield "https", RouteAction.ROUTE
    if insecure is InsecureAction.REDIRECT:
        yield None, RouteAction.REDIRECT_HTTPS


def plan_listeners(listeners: tuple[Listener, ...], hosts: tuple[Host, ...], groups: tuple[RouteGroup, ...],
                   *, strict_selectors: bool, diag: Diagnostics) -> tuple[ListenerPlan, ...]:
    plans = []
    for listener in sorted(listeners, key=lambda lst: (lst.port, lst.name)):
        taken = sorted((h for h in hosts if listener_takes_host(listener, h)), key=lambda h: (h.hostname, h.name))
        chains = _chains(listener, taken, groups, strict_selectors, diag)
        if not chains:
            diag.error(listener.ref, "NoMatchingHosts", "No matching Hosts/TCPMappings found, disabling!")
            continue
        plans.append(ListenerPlan(listener=listener, chains=chains))
    return tuple(plans)


def _chains(listener: Listener, hosts: list[Host], groups: tuple[RouteGroup, ...], strict: bool,
            diag: Diagnostics) -> tuple[FilterChain, ...]:
    chains: list[FilterChain] = []
    if listener.protocol.has_tls:
        seen: dict[str, Host] = {}
        for host in (h for h in hosts if h.tls is not None):
            if host.sni in seen:
                diag.error(host.ref, "DuplicateSNI", f"{listener.name}: SNI {host.sni} is already served by "
                           f"{seen[host.sni].ref.describe()}; this Host gets no TLS filter chain there")
                continue
            seen[host.sni] = host
            vhost = _virtual_host(listener, host, groups, strict)
            names = () if host.sni == "*" else (host.sni,)
            chains.append(FilterChain(name=f"httpshost-{host.name}", server_names=names, tls=host.tls,
                                      route_config=f"{listener.name}-routes-tls-{host.sni}", virtual_hosts=(vhost,)))
    cleartext = [h for h in hosts if not (listener.security_model is SecurityModel.INSECURE
                                          and h.insecure_action is InsecureAction.REJECT)]
    vhosts = _unique_vhosts(listener, cleartext, groups, strict, diag)
    if vhosts:
        chains.append(FilterChain(name="httphost-shared", server_names=(), tls=None,
                                  route_config=f"{listener.name}-routes-cleartext", virtual_hosts=vhosts))
    return tuple(chains)


def _unique_vhosts(listener: Listener, hosts: list[Host], groups: tuple[RouteGroup, ...], strict: bool,
                   diag: Diagnostics) -> tuple[VirtualHost, ...]:
    by_hostname: dict[str, Host] = {}
    for host in hosts:
        if host.hostname in by_hostname:
            diag.error(host.ref, "DuplicateHostname", f"{listener.name}: hostname {host.hostname} is already served "
                       f"by {by_hostname[host.hostname].ref.describe()}; this Host is skipped on that Listener")
            continue
        by_hostname[host.hostname] = host
    return tuple(_virtual_host(listener, host, groups, strict) for host in by_hostname.values())


def _virtual_host(listener: Listener, host: Host, groups: tuple[RouteGroup, ...], strict: bool) -> VirtualHost:
    routes = []
    for gi, group in enumerate(groups):
        for mi, member in enumerate(group.members):
            if host_takes_mapping(host, member.mapping, strict=strict):
                for xfp, action in route_variants(listener.security_model, host.insecure_action, member.mapping):
                    routes.append(RouteVariant(group=gi, member=mi, xfp=xfp, action=action))
    return VirtualHost(name=f"{listener.name}-{host.hostname}", hostname=host.hostname, domains=(host.hostname,),
                       host=host.ref.rkey, routes=tuple(routes))
