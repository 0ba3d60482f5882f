"""The Module's HTTP filters, in Emissary's order ahead of ``cors``: gRPC HTTP/1.1 bridge, gRPC-Web, gRPC
statistics, Lua, compressor (gzip), buffer, RBAC (``ip_allow`` / ``ip_deny``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from diagd.compile.envoy.common import typed
from diagd.compile.envoy.http_filters import HttpFilter, register
from diagd.compile.ir.module_filters import GrpcStats, Gzip, IpPolicy, ModuleFilters

__all__ = ["render_gzip", "render_grpc_stats", "render_rbac"]

_EXT = "envoy.extensions.filters.http."
T = TypeVar("T")


def render_gzip(gzip: Gzip) -> dict[str, Any]:
    library = {k: v for k, v in (("memory_level", gzip.memory_level), ("compression_level", gzip.compression_level),
                                 ("compression_strategy", gzip.compression_strategy),
                                 ("window_bits", gzip.window_bits)) if v is not None}
    common: dict[str, Any] = {}
    if gzip.min_content_length is not None:
        common["min_content_length"] = gzip.min_content_length
    if gzip.content_types:
        common["content_type"] = list(gzip.content_types)
    response: dict[str, Any] = {"common_config": common}
    if gzip.disable_on_etag_header:
        response["disable_on_etag_header"] = True
    if gzip.remove_accept_encoding_header:
        response["remove_accept_encoding_header"] = True
    return typed(_EXT + "compressor.v3.Compressor", response_direction_config=response, compressor_library={
        "name": "envoy.compression.gzip.compressor",
        "typed_config": typed("envoy.extensions.compression.gzip.compressor.v3.Gzip", **library)})


def render_grpc_stats(stats: GrpcStats) -> dict[str, Any]:
    config: dict[str, Any] = {"emit_filter_state": True, "enable_upstream_stats": stats.upstream_stats}
    if stats.services:
        config["individual_method_stats_allowlist"] = {"services": [
            {"name": name, "method_names": list(methods)} for name, methods in stats.services]}
    else:
        config["stats_for_all_methods"] = stats.all_methods
    return typed(_EXT + "grpc_stats.v3.FilterConfig", **config)


def render_rbac(policy: IpPolicy) -> dict[str, Any]:
    principals = [{"direct_remote_ip" if rule.source == "peer" else "remote_ip":
                   {"address_prefix": rule.address, "prefix_len": rule.prefix_len}} for rule in policy.rules]
    name = "ip-allow" if policy.action == "ALLOW" else "ip-deny"
    return typed(_EXT + "rbac.v3.RBAC", rules={"action": policy.action, "policies": {
        name: {"permissions": [{"any": True}], "principals": principals}}})


def _set(value: T | None) -> T:
    """A setting the filter's ``present`` test has already found set."""
    assert value is not None
    return value


def _module_filter(name: str, order: int, present: Callable[[ModuleFilters], bool],
                   build: Callable[[ModuleFilters], dict[str, Any]]) -> None:
    """These filters depend on the Module only, the same on every listener."""
    register(HttpFilter(name, order, lambda g, _l: present(g.options.filters),
                        lambda g, _l: build(g.options.filters)))


_module_filter("envoy.filters.http.grpc_http1_bridge", 10, lambda f: f.grpc_http1_bridge,
               lambda _f: typed(_EXT + "grpc_http1_bridge.v3.Config"))
_module_filter("envoy.filters.http.grpc_web", 20, lambda f: f.grpc_web, lambda _f: typed(_EXT + "grpc_web.v3.GrpcWeb"))
_module_filter("envoy.filters.http.grpc_stats", 30, lambda f: f.grpc_stats is not None,
               lambda f: render_grpc_stats(_set(f.grpc_stats)))
_module_filter("envoy.filters.http.lua", 40, lambda f: f.lua_source is not None,
               lambda f: typed(_EXT + "lua.v3.Lua", default_source_code={"inline_string": f.lua_source}))
_module_filter("envoy.filters.http.compressor", 50, lambda f: f.gzip is not None,
               lambda f: render_gzip(_set(f.gzip)))
_module_filter("envoy.filters.http.buffer", 60, lambda f: f.buffer_max_request_bytes is not None,
               lambda f: typed(_EXT + "buffer.v3.Buffer", max_request_bytes=f.buffer_max_request_bytes))
_module_filter("envoy.filters.http.rbac", 70, lambda f: f.ip_policy is not None,
               lambda f: render_rbac(_set(f.ip_policy)))
