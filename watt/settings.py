"""watt's settings, read once from the environment and the command line."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from watt.formats.layout import resolve_base_dir
from watt.formats.logs import parse_level

__all__ = ["WattSettings", "KubeSettings", "parse_seconds"]


def parse_seconds(value: str | None, default: float) -> float:
    """Accept ``1``, ``0.25``, ``250ms`` or ``2s``; fall back to ``default`` on anything else."""
    if value is None or not value.strip():
        return default
    text = value.strip().lower()
    scale = 1.0
    if text.endswith("ms"):
        text, scale = text[:-2], 0.001
    elif text.endswith("s"):
        text = text[:-1]
    try:
        seconds = float(text) * scale
    except ValueError:
        return default
    return seconds if seconds >= 0 else default


@dataclass(frozen=True, slots=True)
class KubeSettings:
    """The Kubernetes source: where the API server is and what to watch there."""

    kubeconfig: str | None  # KUBECONFIG; None means the in-cluster ServiceAccount
    in_cluster: bool  # KUBERNETES_SERVICE_HOST is set (a pod)
    namespace: str  # AMBASSADOR_NAMESPACE
    single_namespace: bool  # AMBASSADOR_SINGLE_NAMESPACE (Emissary's envbool: any non-empty value)
    ambassador_id: str
    label_selector: str
    field_selector: str
    watch_timeout: int  # the server ends each watch after this long; the next one resumes without a list
    retry: float  # how often a kind whose CRD is absent (or that is forbidden) is tried again

    @property
    def enabled(self) -> bool:
        return self.kubeconfig is not None or self.in_cluster

    @property
    def watch_namespace(self) -> str | None:
        return self.namespace if self.single_namespace else None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KubeSettings:
        timeout = env.get("AMBASSADOR_WATCH_TIMEOUT", "").strip()
        return cls(
            kubeconfig=env.get("KUBECONFIG") or None,
            in_cluster=bool(env.get("KUBERNETES_SERVICE_HOST")),
            namespace=env.get("AMBASSADOR_NAMESPACE", "").strip() or "default",
            single_namespace=bool(env.get("AMBASSADOR_SINGLE_NAMESPACE", "").strip()),
            ambassador_id=env.get("AMBASSADOR_ID", "").strip() or "default",
            label_selector=env.get("AMBASSADOR_LABEL_SELECTOR", "").strip(),
            field_selector=env.get("AMBASSADOR_FIELD_SELECTOR", "").strip(),
            watch_timeout=int(timeout) if timeout.isdigit() and int(timeout) > 0 else 300,
            retry=parse_seconds(env.get("AMBASSADOR_KUBE_RETRY"), 5.0) or 5.0,
        )


@dataclass(frozen=True, slots=True)
class WattSettings:
    base_dir: str
    base_dir_note: str | None
    config_dir: str | None
    quiet_period: float
    max_delay: float
    log_level: int
    json_logging: bool
    kube: KubeSettings | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, config_dir: str | None = None) -> WattSettings:
        base_dir, note = resolve_base_dir(env)
        return cls(
            base_dir=base_dir,
            base_dir_note=note,
            config_dir=config_dir or env.get("AMBASSADOR_CONFIG_DIR") or None,
            quiet_period=parse_seconds(env.get("AMBASSADOR_RECONFIG_QUIET_PERIOD"), 0.02),
            max_delay=parse_seconds(env.get("AMBASSADOR_RECONFIG_MAX_DELAY"), 1.0),
            log_level=parse_level(env.get("AES_LOG_LEVEL"), logging.INFO),
            json_logging=bool(env.get("AMBASSADOR_JSON_LOGGING", "").strip().lower() in ("1", "true", "yes")),
            kube=KubeSettings.from_env(env),
        )
