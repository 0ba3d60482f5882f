"""Clusters: one per IR cluster. IP literals are STATIC (no DNS, no warm-up); names use STRICT_DNS (or
LOGICAL_DNS), IPv4 unless the Module or Mapping enables IPv6."""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.common import duration, socket_address, typed
from diagd.compile.envoy.endpoints import eds_cluster
from diagd.compile.envoy.health_checks import render_health_checks
from diagd.compile.envoy.tls import upstream_tls
from diagd.compile.ir.cluster import Cluster, Discovery, Upstream
from diagd.compile.ir.endpoints import endpoint_key

__all__ = ["render_cluster", "http2_options"]

_HTTP_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"


def http2_options() -> dict[str, Any]:
    """Make a cluster speak HTTP/2 to its upstream (gRPC, and the ADS cluster)."""
    return {_HTTP_OPTIONS: typed(_HTTP_OPTIONS, explicit_http_config={"http2_protocol_options": {}})}


def _protocol_options(upstream: Upstream) -> dict[str, Any] | None:
    common: dict[str, Any] = {}
    if upstream.idle_timeout_ms is not None:
        common["idle_timeout"] = duration(upstream.idle_timeout_ms)
    if upstream.max_connection_lifetime_ms is not None:
        common["max_connection_duration"] = duration(upstream.max_connection_lifetime_ms)
    if not common and not upstream.http2:
        return None
    explicit: dict[str, Any] = {"http2_protocol_options": {}} if upstream.http2 else {"http_protocol_options": {}}
    options: dict[str, Any] = {"explicit_http_config": explicit}
    if common:
        options["common_http_protocol_options"] = common
    return {_HTTP_OPTIONS: typed(_HTTP_OPTIONS, **options)}


def _circuit_breakers(upstream: Upstream) -> dict[str, Any]:
    thresholds = []
    for breaker in upstream.circuit_breakers:
        entry: dict[str, Any] = {"priority": breaker.priority}
        for key in ("max_connections", "max_pending_requests", "max_requests", "max_retries"):
            value = getattr(breaker, key)
            if value is not None:
                entry[key] = value
        thresholds.append(entry)
    return {"thresholds": thresholds}


def _keepalive(upstream: Upstream) -> dict[str, Any]:
    assert upstream.keepalive is not None
    names = {"time": "keepalive_time", "interval": "keepalive_interval", "probes": "keepalive_probes"}
    values = {names[k]: getattr(upstream.keepalive, k) for k in names if getattr(upstream.keepalive, k) is not None}
    return {"tcp_keepalive": values}


def render_cluster(cluster: Cluster) -> dict[str, Any]:
    upstream = cluster.upstream
    out: dict[str, Any] = {
        "name": cluster.name,
        "type": upstream.discovery.value,
        "connect_timeout": duration(upstream.connect_timeout_ms),
        "lb_policy": upstream.load_balancer.envoy_policy if upstream.load_balancer else "ROUND_ROBIN",
        "alt_stat_name": cluster.stats_name,
        "load_assignment": {
            "cluster_name": cluster.name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": socket_address(host, port)}}
                                            for host, port in ((upstream.host, upstream.port), *upstream.more_endpoints)]}],
        },
    }
    if upstream.discovery is not Discovery.STATIC:
        out["dns_lookup_family"] = upstream.ip_family
        if upstream.respect_dns_ttl:
            out["respect_dns_ttl"] = True
    options = _protocol_options(upstream)
    if options is not None:
        out["typed_extension_protocol_options"] = options
    if upstream.tls_origination:
        sni = upstream.sni or (upstream.host if upstream.discovery is not Discovery.STATIC else None)
        out["transport_socket"] = upstream_tls(upstream.tls, sni=sni, http2=upstream.http2)
    if upstream.circuit_breakers:
        out["circuit_breakers"] = _circuit_breakers(upstream)
    if upstream.keepalive is not None:
        out["upstream_connection_options"] = _keepalive(upstream)
    if upstream.health_checks:
        out["health_checks"] = render_health_checks(upstream.health_checks)
    if upstream.discovery is Discovery.EDS:
        return eds_cluster(out, endpoint_key(upstream))
    return out
