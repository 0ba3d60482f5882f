"""What the compiler needs to know about its environment, passed in explicitly (never read from os.environ)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CompileSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileSettings:
    ambassador_id: str = "default"
    namespace: str = "default"
    single_namespace: bool = False
    envoy_bind_address: str = "0.0.0.0"
    diag_port: int = 8877
    ready_port: int = 8006
    admin_port: int = 8001
    ads_port: int = 8003
    secrets_dir: str = "/ambassador/secrets"
    strict_label_selectors: bool = True
    envoy_log_path: str = "/dev/fd/1"
    update_mapping_status: bool = False  # AMBASSADOR_UPDATE_MAPPING_STATUS: Mappings get Running/Inactive status

    @property
    def node_cluster(self) -> str:
        """Envoy's service cluster: ``<AMBASSADOR_ID>-<namespace>`` as Emissary names it."""
        return f"{self.ambassador_id}-{self.namespace}"
