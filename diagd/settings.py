"""diagd's settings, read once from the environment."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watt.formats.layout import BaseLayout, resolve_base_dir
from watt.formats.logs import parse_level

if TYPE_CHECKING:
    from diagd.compile.model.settings import CompileSettings, StatsdSettings

# ``diagd.compile`` is imported only where compiler settings are built: importing it runs the compiler package's
# ``__init__``, which loads the whole compiler (~5 MiB), and the gunicorn master reads ServeSettings alone.

__all__ = ["DiagdSettings", "ServeSettings", "env_port", "env_bool", "env_float", "resolve_host"]


def env_port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 65536 else default


def env_bool(env: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    """Emissary's "envbool": any non-empty value is true."""
    raw = env.get(name)
    return default if raw is None else bool(raw.strip())


def env_float(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    """A number within [low, high], else the default."""
    try:
        value = float(env.get(name, "").strip())
    except ValueError:
        return default
    return value if low <= value <= high else default


def _log_level(env: Mapping[str, str]) -> int:
    """``AES_LOG_LEVEL``; ``AMBASSADOR_DEBUG`` containing ``diagd`` turns on debug logging, as in Emissary."""
    if "diagd" in env.get("AMBASSADOR_DEBUG", ""):
        return logging.DEBUG
    return parse_level(env.get("AES_LOG_LEVEL"), logging.INFO)


def _truthy(env: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    raw = env.get(name)
    return default if raw is None else raw.strip().lower() in ("1", "true", "yes", "on")


def resolve_host(host: str) -> str | None:
    """``host``'s first IPv4 address (else its first IPv6 one), or None when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError):
        return None
    addresses = sorted(infos, key=lambda info: info[0] != socket.AF_INET)
    return str(addresses[0][4][0]) if addresses else None


def _statsd(env: Mapping[str, str], resolve: Callable[[str], str | None]) -> StatsdSettings | None:
    """``STATSD_ENABLED`` (envbool) turns the sink on; ``STATSD_HOST`` is resolved here, once, because Envoy's UDP
    sink takes an address and the compiler does no I/O."""
    if not env_bool(env, "STATSD_ENABLED"):
        return None
    from diagd.compile.model.settings import StatsdSettings

    host = env.get("STATSD_HOST", "").strip() or "statsd-sink"
    interval = env.get("STATSD_FLUSH_INTERVAL", "").strip()
    return StatsdSettings(
        host=host, address=resolve(host), port=env_port(env, "STATSD_PORT", 8125),
        flush_interval=int(interval) if interval.isdigit() and 1 <= int(interval) <= 300 else 1,
        dogstatsd=env.get("DOGSTATSD", "").strip().lower() == "true",
        entity_id=env.get("DD_ENTITY_ID", "").strip() or None,
    )


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """What the gunicorn master needs: where to listen, how many threads, how to log."""

    base_dir: str
    base_dir_note: str | None
    bind_address: str
    port: int
    threads: int
    log_level: int
    json_logging: bool
    writes_status: bool  # credentials to write status back to Kubernetes: the worker then needs TLS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServeSettings:
        base_dir, note = resolve_base_dir(env)
        return cls(
            base_dir=base_dir,
            base_dir_note=note,
            bind_address=env.get("AMBASSADOR_HEALTHCHECK_BIND_ADDRESS", "").strip() or "0.0.0.0",
            port=env_port(env, "AMBASSADOR_HEALTHCHECK_PORT", 8877),
            threads=2 * (os.cpu_count() or 1) + 1,
            log_level=_log_level(env),
            json_logging=_truthy(env, "AMBASSADOR_JSON_LOGGING"),
            writes_status=any(_status_credentials(env)),
        )


def _status_credentials(env: Mapping[str, str]) -> tuple[str | None, bool]:
    """What diagd writes status back to Kubernetes with: (KUBECONFIG, running in a pod with a ServiceAccount)."""
    return env.get("KUBECONFIG") or None, bool(env.get("KUBERNETES_SERVICE_HOST"))


def _compile_settings(env: Mapping[str, str], serve: ServeSettings,
                      resolve: Callable[[str], str | None]) -> CompileSettings:
    from diagd.compile.model.settings import CompileSettings

    ready = env_port(env, "AMBASSADOR_READY_PORT", 8006)
    return CompileSettings(
        ambassador_id=env.get("AMBASSADOR_ID", "").strip() or "default",
        namespace=env.get("AMBASSADOR_NAMESPACE", "").strip() or "default",
        single_namespace=env_bool(env, "AMBASSADOR_SINGLE_NAMESPACE"),
        envoy_bind_address=env.get("AMBASSADOR_ENVOY_BIND_ADDRESS", "").strip() or "0.0.0.0",
        diag_port=serve.port,
        ready_port=ready if ready <= 32766 else 8006,
        admin_port=env_port(env, "AMBASSADOR_ADMIN_PORT", 8001),
        ads_port=env_port(env, "AMBASSADOR_ADS_PORT", 8003),
        secrets_dir=BaseLayout(serve.base_dir).secrets_dir,
        strict_label_selectors=not _truthy(env, "DISABLE_STRICT_LABEL_SELECTORS"),
        update_mapping_status=_truthy(env, "AMBASSADOR_UPDATE_MAPPING_STATUS"),
        statsd=_statsd(env, resolve),
    )


@dataclass(frozen=True, slots=True)
class DiagdSettings:
    base_dir: str
    base_dir_note: str | None
    bind_address: str
    port: int
    threads: int
    compile: CompileSettings
    log_level: int
    json_logging: bool
    history: int = 50
    memory_interval: float = 30.0  # seconds between memory samples (each one is logged)
    memory_warn_percent: float = 80.0  # warn when the container uses this much of its memory limit
    kubeconfig: str | None = None  # KUBECONFIG, for writing status back
    in_cluster: bool = False  # KUBERNETES_SERVICE_HOST is set: the pod's ServiceAccount writes status

    @property
    def writes_status(self) -> bool:
        return self.kubeconfig is not None or self.in_cluster

    @property
    def layout(self) -> BaseLayout:
        return BaseLayout(self.base_dir)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *,
                 resolve: Callable[[str], str | None] = resolve_host) -> DiagdSettings:
        """``resolve`` turns ``STATSD_HOST`` into an address (only called when ``STATSD_ENABLED`` is set)."""
        serve = ServeSettings.from_env(env)
        kubeconfig, in_cluster = _status_credentials(env)
        return cls(
            base_dir=serve.base_dir,
            base_dir_note=serve.base_dir_note,
            bind_address=serve.bind_address,
            port=serve.port,
            threads=serve.threads,
            compile=_compile_settings(env, serve, resolve),
            log_level=serve.log_level,
            json_logging=serve.json_logging,
            kubeconfig=kubeconfig,
            in_cluster=in_cluster,
            memory_interval=env_float(env, "AMBASSADOR_MEMORY_LOG_INTERVAL", 30.0, low=1.0, high=86400.0),
            memory_warn_percent=env_float(env, "AMBASSADOR_MEMORY_WARN_PERCENT", 80.0, low=1.0, high=100.0),
        )
