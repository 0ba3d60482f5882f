"""Gateway-wide options from the ``ambassador`` Module (defaults as Emissary's)."""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.ir.logservice import AccessLog
from diagd.compile.ir.module_filters import ModuleFilters
from diagd.compile.ir.policies import (
    CircuitBreaker, CorsPolicy, HeaderToAdd, Keepalive, LabelSpecifier, LoadBalancer, RetryPolicy,
)
from diagd.compile.model.problems import ResourceRef

__all__ = ["GatewayOptions", "MappingDefaults", "ProbeOverride"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MappingDefaults:
    """What a Mapping gets when it leaves a field out (Module ``cors``, ``retry_policy``, ... and
    ``defaults.httpmapping``). None means "no default"; a Mapping's explicit ``{}``/``[]`` still disables one."""

    cors: CorsPolicy | None = None
    retry_policy: RetryPolicy | None = None
    circuit_breakers: tuple[CircuitBreaker, ...] = ()
    load_balancer: LoadBalancer | None = None
    add_request_headers: tuple[HeaderToAdd, ...] | None = None
    add_response_headers: tuple[HeaderToAdd, ...] | None = None
    remove_request_headers: tuple[str, ...] | None = None
    remove_response_headers: tuple[str, ...] | None = None
    add_linkerd_headers: bool = False
    cluster_idle_timeout_ms: int | None = None
    cluster_max_connection_lifetime_ms: int | None = None
    keepalive: Keepalive | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeOverride:
    """A probe Mapping's prefix, rewrite and service, when the Module changes them."""

    prefix: str | None = None
    rewrite: str | None = None
    service: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayOptions:
    ref: ResourceRef | None = None
    server_name: str = "envoy"
    use_remote_address: bool = True
    normalize_path: bool = True
    merge_slashes: bool = False
    strip_matching_host_port: bool = False
    cluster_request_timeout_ms: int = 3000
    regex_max_size: int = 200
    diagnostics_enabled: bool = True
    diagnostics_allow_non_local: bool = False
    liveness_probe: bool = True
    readiness_probe: bool = True
    defaults: MappingDefaults = MappingDefaults()
    probes: tuple[tuple[str, ProbeOverride], ...] = ()  # ("liveness" | "readiness" | "diagnostics", override)
    reject_requests_with_escaped_slashes: bool = False
    max_request_headers_kb: int | None = None
    headers_with_underscores_action: str | None = None
    suppress_envoy_headers: bool = False
    preserve_external_request_id: bool = False
    listener_idle_timeout_ms: int | None = None
    enable_http10: bool = False
    proper_case: bool = False
    allow_chunked_length: bool = False
    buffer_limit_bytes: int | None = None
    ip_family: str = "V4_ONLY"
    own_namespace_services: bool = False  # use_ambassador_namespace_for_service_resolution
    access_log: AccessLog = AccessLog()  # envoy_log_type, envoy_log_format, envoy_log_path
    default_label_domain: str = "ambassador"
    default_labels: tuple[tuple[str, tuple[LabelSpecifier, ...]], ...] = ()  # (domain, specifiers prepended)
    filters: ModuleFilters = ModuleFilters()  # gzip, buffer, lua_scripts, gRPC filters, ip_allow / ip_deny

    def labels_for(self, domain: str) -> tuple[LabelSpecifier, ...]:
        return next((specs for d, specs in self.default_labels if d == domain), ())

    def probe(self, which: str) -> ProbeOverride:
        return next((o for w, o in self.probes if w == which), ProbeOverride())
