"""Listeners: one per planned Listener, a filter chain per SNI plus the shared cleartext chain, routes over RDS.

Routes travel over RDS rather than inline, so a route change never touches a listener and never drains
connections. Every filter carries a ``typed_config``, which current Envoy requires. HTTP filters come from the
registry in ``http_filters``.
"""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.common import duration, socket_address, typed
from diagd.compile.envoy import ext_authz, module_filters, ratelimit  # noqa: F401 - importing them registers their HTTP filters
from diagd.compile.envoy.http_filters import http_filters
from diagd.compile.envoy.observability import hcm_tracing, http_access_logs, tcp_access_logs
from diagd.compile.envoy.tls import downstream_tls
from diagd.compile.ir.gateway import FilterChain, Gateway, ListenerPlan, TcpProxy
from diagd.compile.ir.listener import Listener
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.model.settings import CompileSettings

__all__ = ["render_listener", "render_ready_listener", "HCM_TYPE", "ROUTER"]

HCM_NAME = "envoy.filters.network.http_connection_manager"
HCM_TYPE = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
ROUTER = {"name": "envoy.filters.http.router", "typed_config": typed("envoy.extensions.filters.http.router.v3.Router")}

def _module_knobs(config: dict[str, Any], options: GatewayOptions) -> None:
    """HCM settings the Module sets; each is emitted only when it differs from Envoy's default."""
    if options.merge_slashes:
        config["merge_slashes"] = True
    if options.strip_matching_host_port:
        config["strip_matching_host_port"] = True
    if options.reject_requests_with_escaped_slashes:
        config["path_with_escaped_slashes_action"] = "REJECT_REQUEST"
    if options.max_request_headers_kb is not None:
        config["max_request_headers_kb"] = options.max_request_headers_kb
    if options.preserve_external_request_id:
        config["preserve_external_request_id"] = True
    common: dict[str, Any] = {}
    if options.listener_idle_timeout_ms is not None:
        common["idle_timeout"] = duration(options.listener_idle_timeout_ms)
    if options.headers_with_underscores_action is not None:
        common["headers_with_underscores_action"] = options.headers_with_underscores_action
    if common:
        config["common_http_protocol_options"] = common
    http1: dict[str, Any] = {}
    if options.enable_http10:
        http1["accept_http_10"] = True
    if options.allow_chunked_length:
        http1["allow_chunked_length"] = True
    if options.proper_case:
        http1["header_key_format"] = {"proper_case_words": {}}
    if http1:
        config["http_protocol_options"] = http1


def _hcm(listener: Listener, chain: FilterChain, gateway: Gateway, settings: CompileSettings) -> dict[str, Any]:
    options = gateway.options
    config: dict[str, Any] = {
        "stat_prefix": listener.stats_prefix,
        "rds": {"route_config_name": chain.route_config,
                "config_source": {"ads": {}, "resource_api_version": "V3"}},
        "http_filters": http_filters(gateway, listener),
        "use_remote_address": options.use_remote_address,
        "normalize_path": options.normalize_path,
        "server_name": options.server_name,
        "access_log": http_access_logs(gateway, settings),
    }
    if gateway.services.tracing is not None:
        config["tracing"] = hcm_tracing(gateway.services.tracing)
    if listener.l7_depth:
        config["xff_num_trusted_hops"] = listener.l7_depth
    _module_knobs(config, options)
    return {"name": HCM_NAME, "typed_config": typed(HCM_TYPE, **config)}


def _tcp_proxy(proxy: TcpProxy, gateway: Gateway, settings: CompileSettings) -> dict[str, Any]:
    config: dict[str, Any] = {"stat_prefix": proxy.stat_prefix, "access_log": tcp_access_logs(gateway, settings)}
    if len(proxy.clusters) == 1:
        config["cluster"] = proxy.clusters[0][0]
    else:
        config["weighted_clusters"] = {"clusters": [{"name": c, "weight": w} for c, w in proxy.clusters]}
    if proxy.idle_timeout_ms is not None:
        config["idle_timeout"] = duration(proxy.idle_timeout_ms)
    return {"name": "envoy.filters.network.tcp_proxy",
            "typed_config": typed("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", **config)}


def _chain(listener: Listener, chain: FilterChain, gateway: Gateway, settings: CompileSettings) -> dict[str, Any]:
    network = (_tcp_proxy(chain.tcp, gateway, settings) if chain.tcp is not None
               else _hcm(listener, chain, gateway, settings))
    out: dict[str, Any] = {"name": chain.name, "filters": [network]}
    if chain.matches_tls:
        match: dict[str, Any] = {"transport_protocol": "tls"}
        if chain.server_names:
            match["server_names"] = list(chain.server_names)
        out["filter_chain_match"] = match
    if chain.tls is not None:
        out["transport_socket"] = downstream_tls(chain.tls)
    return out


def render_listener(plan: ListenerPlan, gateway: Gateway, settings: CompileSettings) -> dict[str, Any]:
    listener = plan.listener
    out: dict[str, Any] = {
        "name": listener.name,
        "address": socket_address(listener.bind_address, listener.port),
        "filter_chains": [_chain(listener, chain, gateway, settings) for chain in plan.chains],
    }
    filters = []
    if listener.protocol.has_proxy:
        filters.append({"name": "envoy.filters.listener.proxy_protocol",
                        "typed_config": typed("envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol")})
    if listener.protocol.has_tls or any(chain.matches_tls for chain in plan.chains):
        filters.append({"name": "envoy.filters.listener.tls_inspector",
                        "typed_config": typed("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector")})
    if filters:
        out["listener_filters"] = filters
    if gateway.options.buffer_limit_bytes is not None:
        out["per_connection_buffer_limit_bytes"] = gateway.options.buffer_limit_bytes
    if gateway.services.tracing is not None:
        out["traffic_direction"] = "OUTBOUND"  # traced spans are named for the upstream side, as Emissary's are
    return out


def render_ready_listener(settings: CompileSettings) -> dict[str, Any]:
    """Envoy's readiness endpoint, ``GET 127.0.0.1:<ready port>/ready``; it exists once Envoy has config."""
    health = {
        "name": "envoy.filters.http.health_check",
        "typed_config": typed("envoy.extensions.filters.http.health_check.v3.HealthCheck", pass_through_mode=False,
                              headers=[{"name": ":path", "string_match": {"exact": "/ready"}}]),
    }
    hcm = typed(HCM_TYPE, stat_prefix="ready_http", route_config={"name": "local_route"},
                http_filters=[health, ROUTER])
    return {
        "name": f"ambassador-listener-ready-127.0.0.1-{settings.ready_port}",
        "address": socket_address("127.0.0.1", settings.ready_port),
        "filter_chains": [{"filters": [{"name": HCM_NAME, "typed_config": hcm}]}],
    }
