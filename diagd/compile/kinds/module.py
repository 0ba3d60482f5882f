"""Module ``ambassador`` (SPEC §4.6): gateway-wide options under ``spec.config``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagd.compile.ir.module import GatewayOptions
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics

__all__ = ["KIND", "parse_options"]

KIND = "Module"

_IMPLEMENTED = frozenset({
    "server_name", "use_remote_address", "normalize_path", "merge_slashes", "strip_matching_host_port",
    "cluster_request_timeout_ms", "regex_max_size", "diagnostics", "liveness_probe", "readiness_probe",
})
_INERT = frozenset({"xff_num_trusted_hops", "use_proxy_proto", "x_forwarded_proto_redirect"})


def _enabled(fields: Fields, key: str) -> bool:
    raw = fields.mapping(key)
    if raw is None:
        return True
    value = raw.get("enabled", True)
    if not isinstance(value, bool):
        fields.invalid(f"{key}.enabled", "must be a boolean")
        return True
    return value


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
