"""What the compiler needs to know about its environment, passed in explicitly (never read from os.environ)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CompileSettings", "StatsdSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StatsdSettings:
    """Envoy's statsd (or DogStatsD) sink, from ``STATSD_*``. ``address`` is ``host`` resolved to an IP before
    compiling (UDP sinks take an address, not a name); None when it did not resolve, and then there is no sink."""

    host: str = "statsd-sink"
    address: str | None = None
    port: int = 8125
    flush_interval: int = 1  # seconds between flushes to the sink
    dogstatsd: bool = False
    entity_id: str | None = None  # DD_ENTITY_ID: a fixed ``dd.internal.entity_id`` tag (DogStatsD only)


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
    statsd: StatsdSettings | None = None  # STATSD_ENABLED: a stats sink in the bootstrap

    @property
    def node_cluster(self) -> str:
        """Envoy's service cluster: ``<AMBASSADOR_ID>-<namespace>`` as Emissary names it."""
        return f"{self.ambassador_id}-{self.namespace}"
