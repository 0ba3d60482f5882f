"""Module ``ambassador`` (SPEC §4.6): gateway-wide options under ``spec.config``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagd.compile.ir.module import GatewayOptions, MappingDefaults, ProbeOverride
from diagd.compile.kinds import logservice, module_filters, policies, ratelimitservice
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics

__all__ = ["KIND", "parse_options"]

KIND = "Module"

_IMPLEMENTED = frozenset({
    "server_name", "use_remote_address", "normalize_path", "merge_slashes", "strip_matching_host_port",
    "cluster_request_timeout_ms", "regex_max_size", "diagnostics", "liveness_probe", "readiness_probe", "cors",
    "retry_policy", "circuit_breakers", "load_balancer", "defaults", "add_linkerd_headers",
    "cluster_idle_timeout_ms", "cluster_max_connection_lifetime_ms", "keepalive",
    "reject_requests_with_escaped_slashes", "max_request_headers_kb", "headers_with_underscores_action",
    "suppress_envoy_headers", "preserve_external_request_id", "listener_idle_timeout_ms", "enable_http10",
    "proper_case", "allow_chunked_length", "buffer_limit_bytes", "enable_ipv4", "enable_ipv6",
    "use_ambassador_namespace_for_service_resolution", "envoy_log_type", "envoy_log_format", "envoy_log_path",
    "default_label_domain", "default_labels",
}) | module_filters.KEYS
_INERT = frozenset({"xff_num_trusted_hops", "use_proxy_proto", "x_forwarded_proto_redirect"})
_HTTPMAPPING_DEFAULTS = frozenset({"add_request_headers", "add_response_headers", "remove_request_headers",
                                   "remove_response_headers"})
_UNDERSCORES = ("ALLOW", "REJECT_REQUEST", "DROP_HEADER")


def _enabled(fields: Fields, key: str) -> bool:
    raw = fields.mapping(key)
    if raw is None:
        return True
    value = raw.get("enabled", True)
    if not isinstance(value, bool):
        fields.invalid(f"{key}.enabled", "must be a boolean")
        return True
    return value


def _probe(fields: Fields, key: str) -> ProbeOverride:
    raw = fields.mapping(key) or {}
    values = {k: raw.get(k) for k in ("prefix", "rewrite", "service")}
    bad = [k for k, v in values.items() if v is not None and not isinstance(v, str)]
    for k in bad:
        fields.invalid(f"{key}.{k}", "must be a string")
    return ProbeOverride(**{k: v for k, v in values.items() if isinstance(v, str)})


def _defaults(fields: Fields, diag: Diagnostics) -> MappingDefaults:
    raw = fields.mapping("defaults") or {}
    httpmapping = raw.get("httpmapping") or {}
    if not isinstance(httpmapping, Mapping):
        fields.invalid("defaults.httpmapping", "must be an object")
        httpmapping = {}
    sub = Fields(httpmapping, fields.ref, diag)
    for key in sorted(str(k) for k in httpmapping.keys() - _HTTPMAPPING_DEFAULTS):
        diag.notice(fields.ref, "UnsupportedField", f"config.defaults.httpmapping.{key} has no default here; "
                    "it is ignored")
    defaults = MappingDefaults(
        cors=policies.cors_policy(fields), retry_policy=policies.retry_policy(fields),
        circuit_breakers=policies.circuit_breakers(fields) or (), load_balancer=policies.load_balancer(fields),
        add_request_headers=policies.headers_to_add(sub, "add_request_headers"),
        add_response_headers=policies.headers_to_add(sub, "add_response_headers"),
        remove_request_headers=policies.header_names(sub, "remove_request_headers"),
        remove_response_headers=policies.header_names(sub, "remove_response_headers"),
        add_linkerd_headers=fields.boolean("add_linkerd_headers"),
        cluster_idle_timeout_ms=fields.integer("cluster_idle_timeout_ms", minimum=0),
        cluster_max_connection_lifetime_ms=fields.integer("cluster_max_connection_lifetime_ms", minimum=0),
        keepalive=policies.keepalive(fields),
    )
    fields.ok = fields.ok and sub.ok
    return defaults


def _ip_family(fields: Fields) -> str:
    v4, v6 = fields.boolean("enable_ipv4", True), fields.boolean("enable_ipv6", False)
    return "AUTO" if v4 and v6 else "V6_ONLY" if v6 else "V4_ONLY"


def _underscores(fields: Fields) -> str | None:
    raw = fields.string("headers_with_underscores_action")
    if raw is not None and raw not in _UNDERSCORES:
        fields.invalid("headers_with_underscores_action", f"must be one of {', '.join(_UNDERSCORES)}")
        return None
    return raw


def _options(res: Resource, config: Mapping[str, Any], diag: Diagnostics) -> GatewayOptions | None:
    fields = Fields(config, res.ref, diag)
    diagnostics = fields.mapping("diagnostics") or {}
    allow_non_local = diagnostics.get("allow_non_local", False)
    options = GatewayOptions(
        ref=res.ref,
        server_name=fields.string("server_name", "envoy") or "envoy",
        use_remote_address=fields.boolean("use_remote_address", True),
        normalize_path=fields.boolean("normalize_path", True),
        merge_slashes=fields.boolean("merge_slashes", False),
        strip_matching_host_port=fields.boolean("strip_matching_host_port", False),
        cluster_request_timeout_ms=fields.integer("cluster_request_timeout_ms", 3000, minimum=0) or 3000,
        regex_max_size=fields.integer("regex_max_size", 200, minimum=1) or 200,
        diagnostics_enabled=_enabled(fields, "diagnostics"),
        diagnostics_allow_non_local=allow_non_local is True,
        liveness_probe=_enabled(fields, "liveness_probe"),
        readiness_probe=_enabled(fields, "readiness_probe"),
        defaults=_defaults(fields, diag),
        probes=tuple((which, _probe(fields, f"{which}_probe" if which != "diagnostics" else which))
                     for which in ("liveness", "readiness", "diagnostics")),
        reject_requests_with_escaped_slashes=fields.boolean("reject_requests_with_escaped_slashes"),
        max_request_headers_kb=fields.integer("max_request_headers_kb", minimum=1, maximum=8192),
        headers_with_underscores_action=_underscores(fields),
        suppress_envoy_headers=fields.boolean("suppress_envoy_headers"),
        preserve_external_request_id=fields.boolean("preserve_external_request_id"),
        listener_idle_timeout_ms=fields.integer("listener_idle_timeout_ms", minimum=0),
        enable_http10=fields.boolean("enable_http10"), proper_case=fields.boolean("proper_case"),
        allow_chunked_length=fields.boolean("allow_chunked_length"),
        buffer_limit_bytes=fields.integer("buffer_limit_bytes", minimum=1), ip_family=_ip_family(fields),
        own_namespace_services=fields.boolean("use_ambassador_namespace_for_service_resolution"),
        access_log=logservice.access_log(fields), default_label_domain=ratelimitservice.label_domain(fields),
        default_labels=ratelimitservice.label_defaults(fields), filters=module_filters.parse(fields),
    )
    for key in sorted(_INERT & config.keys()):
        diag.notice(res.ref, "InertField", f"config.{key} has no effect: Listener fields replace it")
    for key in sorted(str(k) for k in config.keys() - _IMPLEMENTED - _INERT):
        diag.notice(res.ref, "UnsupportedField", f"config.{key} is not implemented yet; it is ignored")
    return options if fields.ok else None


def parse_options(modules: list[Resource], diag: Diagnostics) -> GatewayOptions:
    """The ``ambassador`` Module's options (defaults when there is none, or when it is invalid)."""
    chosen = GatewayOptions()
    for res in modules:
        if res.name != "ambassador":
            diag.notice(res.ref, "UnknownModule", f"Module {res.name} is not used (only 'ambassador' is)")
            continue
        config = res.spec.get("config", {})
        if not isinstance(config, Mapping):
            diag.error(res.ref, "InvalidSpec", 'spec.config in body must be of type object: "null"'
                       if config is None else "spec.config must be an object")
            continue
        options = _options(res, config, diag)
        if options is not None:
            chosen = options
    return chosen
