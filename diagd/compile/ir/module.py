"""Gateway-wide options from the ``ambassador`` Module (defaults as Emissary's)."""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.model.problems import ResourceRef

__all__ = ["GatewayOptions"]


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
