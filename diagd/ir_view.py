"""Read the compiled IR for the diagnostics pages: the one module that knows the IR's shape.

Each function turns IR nodes into plain JSON-ready rows. A new Mapping field shows up without any change here:
``mapping_options`` lists every field that is not the default and has no column of its own. Give a field a column by
naming it in ``_MAPPING_COLUMNS`` and adding it to ``route_row``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from diagd.compile.ir.gateway import FilterChain, Gateway, ListenerPlan, RouteAction, RouteVariant, VirtualHost
from diagd.compile.ir.groups import RouteGroup
from diagd.compile.ir.host import Host
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.serialize import to_json
from diagd.compile.ir.tls import TLSContext

__all__ = [
    "route_rows", "mapping_options", "tls_summary", "host_rows", "listener_rows", "group_rows", "cluster_rows",
    "route_name", "mapping_sources", "walk_routes", "tcp_rows", "tls_rows",
]

# Mapping fields with a column of their own in the route table.
_MAPPING_COLUMNS = frozenset({
    "ref", "path", "hostname", "authority", "method", "headers", "query", "precedence", "rewrite", "timeout_ms",
    "weight", "upstream", "internal",
})


def route_name(mapping: HttpMapping) -> str:
    """The ``name`` the Envoy layer gives the routes of this Mapping."""
    return f"{mapping.ref.namespace}.{mapping.ref.name}"


def mapping_sources(ir: Gateway) -> dict[str, str]:
    """Envoy route name → the key of the Mapping that produced it."""
    return {route_name(m): m.ref.rkey for m in ir.mappings}


def mapping_options(mapping: HttpMapping) -> dict[str, Any]:
    """Every field of the Mapping that differs from its default and has no column of its own."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(mapping):
        if field.name in _MAPPING_COLUMNS or not field.init:  # derived fields are not something a user wrote
            continue
        value = getattr(mapping, field.name)
        if field.default is not dataclasses.MISSING:
            default: Any = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = dataclasses.MISSING
        if value != default:
            out[field.name] = to_json(value)
    return out


def walk_routes(ir: Gateway) -> Iterator[tuple[ListenerPlan, FilterChain, VirtualHost, int, RouteVariant]]:
    """Every route variant in every virtual host, in Envoy's order, with where it sits."""
    for plan in ir.listeners:
        for chain in plan.chains:
            for vhost in chain.virtual_hosts:
                for index, variant in enumerate(vhost.routes):
                    yield plan, chain, vhost, index, variant


def _match_row(mapping: HttpMapping) -> dict[str, Any]:
    return {
        "prefix": mapping.path.value,
        "match": mapping.path.kind.value,
        "case_sensitive": mapping.path.case_sensitive,
        "method": mapping.method,
        "hostname": mapping.hostname,
        "headers": [{"name": h.name, "value": h.value, "match": h.match.value} for h in mapping.match_headers],
        "query": [{"name": q.name, "value": q.value, "match": q.match.value} for q in mapping.query],
        "precedence": mapping.precedence,
    }


def route_row(ir: Gateway, plan: ListenerPlan, chain: FilterChain, vhost: VirtualHost, index: int,
              variant: RouteVariant) -> dict[str, Any]:
    group = ir.group_of(variant)
    member = group.members[variant.member]
    mapping = member.mapping
    routed = variant.action is RouteAction.ROUTE
    return {
        "listener": plan.listener.name,
        "port": plan.listener.port,
        "chain": chain.name,
        "virtual_host": vhost.name,
        "host": vhost.hostname,
        "host_source": vhost.host,
        "order": index,
        **_match_row(mapping),
        "xfp": variant.xfp,
        "action": variant.action.value,
        "weight": mapping.weight,
        "share": member.fraction,
        "percent": _percent(group, variant.member),
        "cluster": member.cluster if routed else None,
        "service": mapping.upstream.service,
        "rewrite": mapping.rewrite,
        "timeout_ms": mapping.timeout_ms,
        "internal": mapping.internal,
        "options": mapping_options(mapping),
        "group_id": group.group_id,
        "shadows": [{"cluster": sh.cluster, "percent": sh.percent, "source": sh.mapping.ref.rkey}
                    for sh in group.shadows],
        "source": mapping.ref.rkey,
        "source_kind": mapping.ref.kind,
        "source_name": f"{mapping.ref.namespace}/{mapping.ref.name}",
        "route_name": route_name(mapping),
    }


def _percent(group: RouteGroup, member: int) -> int:
    """The share of the group's traffic this member takes (shares are cumulative in member order)."""
    shares = [m.fraction if m.fraction is not None else 100 for m in group.members]
    return shares[member] - (shares[member - 1] if member else 0)


def route_rows(ir: Gateway) -> list[dict[str, Any]]:
    """The route table: one row per route in every virtual host of every listener, in Envoy's order."""
    return [route_row(ir, *where) for where in walk_routes(ir)]


def tls_summary(context: TLSContext | None) -> dict[str, Any] | None:
    """What a person may see of a TLS context: names, versions and a fingerprint; never a key or its path."""
    if context is None:
        return None
    cert = context.certificate
    ca = context.ca_certificate
    return {
        "name": context.name,
        "source": context.ref.rkey if context.ref is not None else None,
        "hosts": list(context.hosts),
        "secret": cert.secret if cert is not None else None,
        "fingerprint": cert.fingerprint if cert is not None else None,
        "ca_secret": ca.secret if ca is not None else None,
        "cert_required": context.cert_required,
        "min_tls_version": context.min_tls_version,
        "max_tls_version": context.max_tls_version,
        "alpn_protocols": list(context.alpn_protocols),
        "cipher_suites": list(context.cipher_suites),
        "ecdh_curves": list(context.ecdh_curves),
        "sni": context.sni,
    }


def _host_row(host: Host) -> dict[str, Any]:
    return {
        "name": host.name, "namespace": host.namespace, "hostname": host.hostname,
        "insecure_action": host.insecure_action.value, "tls": tls_summary(host.tls),
        "mapping_selector": dict(host.mapping_selector) if host.mapping_selector else None,
        "labels": dict(host.labels), "synthesized": host.synthesized, "source": host.ref.rkey,
    }


def host_rows(ir: Gateway) -> list[dict[str, Any]]:
    return [_host_row(h) for h in ir.hosts]


def _chain_row(chain: FilterChain) -> dict[str, Any]:
    return {
        "name": chain.name, "server_names": list(chain.server_names), "tls": tls_summary(chain.tls),
        "route_config": chain.route_config,
        "virtual_hosts": [{"name": vh.name, "hostname": vh.hostname, "domains": list(vh.domains),
                           "host_source": vh.host, "routes": len(vh.routes)} for vh in chain.virtual_hosts],
    }


def listener_rows(ir: Gateway) -> list[dict[str, Any]]:
    rows = []
    for plan in ir.listeners:
        listener = plan.listener
        rows.append({
            "name": listener.name, "port": listener.port, "bind_address": listener.bind_address,
            "protocol": listener.protocol.value, "security_model": listener.security_model.value,
            "l7_depth": listener.l7_depth, "stats_prefix": listener.stats_prefix, "source": listener.ref.rkey,
            "host_binding": to_json(listener.host_binding), "chains": [_chain_row(c) for c in plan.chains],
        })
    return rows


def _group_row(group: RouteGroup) -> dict[str, Any]:
    first = group.members[0].mapping
    return {
        "group_id": group.group_id, "key": f"grp-{group.group_id}", **_match_row(first),
        "members": [{"source": m.mapping.ref.rkey, "name": f"{m.mapping.ref.namespace}/{m.mapping.ref.name}",
                     "cluster": m.cluster, "service": m.mapping.upstream.service, "weight": m.mapping.weight,
                     "share": m.fraction, "rewrite": m.mapping.rewrite, "internal": m.mapping.internal}
                    for m in group.members],
        "shadows": [{"source": sh.mapping.ref.rkey, "cluster": sh.cluster, "percent": sh.percent,
                     "service": sh.mapping.upstream.service} for sh in group.shadows],
    }


def group_rows(ir: Gateway) -> list[dict[str, Any]]:
    """Route groups in route order (most specific first); the members of one group split its traffic."""
    return [_group_row(g) for g in ir.groups]


def cluster_rows(ir: Gateway) -> list[dict[str, Any]]:
    rows = []
    for cluster in ir.clusters:
        upstream = cluster.upstream
        rows.append({
            "name": cluster.name, "service": upstream.service, "host": upstream.host, "port": upstream.port,
            "discovery": upstream.discovery.value, "namespace": upstream.namespace,
            "tls_origination": upstream.tls_origination, "tls": tls_summary(upstream.tls), "http2": upstream.http2,
            "connect_timeout_ms": upstream.connect_timeout_ms, "marker": upstream.marker,
            "stats_name": cluster.stats_name, "sources": [s.rkey for s in cluster.sources],
        })
    return rows


def tcp_rows(ir: Gateway) -> list[dict[str, Any]]:
    """One row per TCPMapping: port, SNI host, upstream, and whether TLS is terminated, passed through or neither."""
    return [{"name": f"{t.ref.namespace}/{t.ref.name}", "source": t.ref.rkey, "port": t.port, "address": t.address,
             "host": t.host, "service": t.upstream.service, "weight": t.weight, "tls_context": tls_summary(t.tls),
             "tls": "terminate" if t.tls is not None else "passthrough" if t.host else None}
            for t in ir.tcp_mappings]


def tls_rows(ir: Gateway) -> list[dict[str, Any]]:
    """Every TLS context, named ones and those Hosts made inline (Secret names and fingerprints, never keys)."""
    contexts = list(ir.tls_contexts) + [h.tls for h in ir.hosts if h.tls is not None and h.tls not in ir.tls_contexts]
    return [row for row in (tls_summary(c) for c in contexts) if row is not None]
