"""Listeners: one per planned Listener, a filter chain per SNI plus the shared cleartext chain, routes over RDS.

Routes travel over RDS rather than inline, so a route change never touches a listener and never drains
connections. Every filter carries a ``typed_config``, which current Envoy requires.
"""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.common import socket_address, typed
from diagd.compile.ir.gateway import FilterChain, ListenerPlan
from diagd.compile.ir.listener import Listener
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.model.settings import CompileSettings

__all__ = ["render_listener", "render_ready_listener", "ACCESS_LOG_FORMAT", "HCM_TYPE", "ROUTER"]

HCM_NAME = "envoy.filters.network.http_connection_manager"
HCM_TYPE = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
ROUTER = {"name": "envoy.filters.http.router", "typed_config": typed("envoy.extensions.filters.http.router.v3.Router")}

ACCESS_LOG_FORMAT = (
    'ACCESS [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% '
    '%RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% '
    '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n'
)


def _access_log(path: str) -> list[dict[str, Any]]:
    return [{
        "name": "envoy.access_loggers.file",
        "typed_config": typed("envoy.extensions.access_loggers.file.v3.FileAccessLog", path=path,
                              log_format={"text_format_source": {"inline_string": ACCESS_LOG_FORMAT}}),
    }]


def _hcm(listener: Listener, chain: FilterChain, options: GatewayOptions, settings: CompileSettings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "stat_prefix": listener.stats_prefix,
        "rds": {"route_config_name": chain.route_config,
                "config_source": {"ads": {}, "resource_api_version": "V3"}},
        "http_filters": [ROUTER],
        "use_remote_address": options.use_remote_address,
        "normalize_path": options.normalize_path,
        "server_name": options.server_name,
        "access_log": _access_log(settings.envoy_log_path),
    }
    if listener.l7_depth:
        config["xff_num_trusted_hops"] = listener.l7_depth
    if options.merge_slashes:
        config["merge_slashes"] = True
    if options.strip_matching_host_port:
        config["strip_matching_host_port"] = True
    return {"name": HCM_NAME, "typed_config": typed(HCM_TYPE, **config)}


def _chain(listener: Listener, chain: FilterChain, options: GatewayOptions,
           settings: CompileSettings) -> dict[str, Any]:
    out: dict[str, Any] = {"name": chain.name, "filters": [_hcm(listener, chain, options, settings)]}
    if chain.tls is not None:
        match: dict[str, Any] = {"transport_protocol": "tls"}
        if chain.server_names:
            match["server_names"] = list(chain.server_names)
        out["filter_chain_match"] = match
    return out


def render_listener(plan: ListenerPlan, options: GatewayOptions, settings: CompileSettings) -> dict[str, Any]:
    listener = plan.listener
    out: dict[str, Any] = {
        "name": listener.name,
        "address": socket_address(listener.bind_address, listener.port),
        "filter_chains": [_chain(listener, chain, options, settings) for chain in plan.chains],
    }
    filters = []
    if listener.protocol.has_proxy:
        filters.append({"name": "envoy.filters.listener.proxy_protocol",
                        "typed_config": typed("envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol")})
    if listener.protocol.has_tls:
        filters.append({"name": "envoy.filters.listener.tls_inspector",
                        "typed_config": typed("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector")})
    if filters:
        out["listener_filters"] = filters
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
