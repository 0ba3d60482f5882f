"""Clusters: one per IR cluster. IP literals are STATIC (no DNS, no warm-up); names use STRICT_DNS, IPv4."""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.common import duration, socket_address, typed
from diagd.compile.envoy.endpoints import eds_cluster
from diagd.compile.ir.cluster import Cluster, Discovery
from diagd.compile.ir.endpoints import endpoint_key

__all__ = ["render_cluster", "http2_options"]


def http2_options() -> dict[str, Any]:
    """Make a cluster speak HTTP/2 to its upstream (gRPC, and the ADS cluster)."""
    return {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": typed(
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            explicit_http_config={"http2_protocol_options": {}},
        )
    }


def _upstream_tls(cluster: Cluster) -> dict[str, Any]:
    context: dict[str, Any] = {"common_tls_context": {}}
    sni = cluster.upstream.tls.sni if cluster.upstream.tls is not None else None
    if sni or cluster.upstream.discovery is not Discovery.STATIC:
        context["sni"] = sni or cluster.upstream.host
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": typed("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", **context),
    }


def render_cluster(cluster: Cluster) -> dict[str, Any]:
    upstream = cluster.upstream
    out: dict[str, Any] = {
        "name": cluster.name,
        "type": upstream.discovery.value,
        "connect_timeout": duration(upstream.connect_timeout_ms),
        "lb_policy": "ROUND_ROBIN",
        "alt_stat_name": cluster.stats_name,
        "load_assignment": {
            "cluster_name": cluster.name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": socket_address(upstream.host, upstream.port)}}]}],
        },
    }
    if upstream.discovery is not Discovery.STATIC:
        out["dns_lookup_family"] = "V4_ONLY"
    if upstream.http2:
        out["typed_extension_protocol_options"] = http2_options()
    if upstream.tls_origination:
        out["transport_socket"] = _upstream_tls(cluster)
    if upstream.discovery is Discovery.EDS:
        return eds_cluster(out, endpoint_key(upstream))
    return out
