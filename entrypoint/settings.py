"""The entrypoint's settings, read once from the environment. Children read their own from the same env."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from watt.formats.layout import BaseLayout, resolve_base_dir
from watt.formats.logs import parse_level

__all__ = ["EntrypointSettings"]


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    return int(raw) if raw.isdigit() else default


def _base_id(env: Mapping[str, str]) -> int:
    """``AMBASSADOR_ENVOY_BASE_ID``: Envoy's ``--base-id``, a uint32 (0, Envoy's own default, otherwise)."""
    value = _int(env, "AMBASSADOR_ENVOY_BASE_ID", 0) or 0
    return value if value <= 0xFFFFFFFF else 0


@dataclass(frozen=True, slots=True)
class EntrypointSettings:
    base_dir: str
    base_dir_note: str | None
    config_dir: str | None
    drain_time: int
    envoy_concurrency: int | None
    envoy_base_id: int
    envoy_log_level: str
    log_level: int
    kubernetes: bool = False  # KUBECONFIG or a pod's ServiceAccount: watt watches Kubernetes when no config dir

    @property
    def layout(self) -> BaseLayout:
        return BaseLayout(self.base_dir)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, config_dir: str | None = None) -> EntrypointSettings:
        base_dir, note = resolve_base_dir(env)
        debug = env.get("AMBASSADOR_DEBUG", "")
        return cls(
            base_dir=base_dir,
            base_dir_note=note,
            config_dir=config_dir or env.get("AMBASSADOR_CONFIG_DIR") or None,
            drain_time=_int(env, "AMBASSADOR_DRAIN_TIME", 600) or 600,
            envoy_concurrency=_int(env, "ENVOY_CONCURRENCY", None),
            envoy_base_id=_base_id(env),
            envoy_log_level="trace" if "envoy" in debug else "error",
            log_level=parse_level(env.get("AES_LOG_LEVEL"), logging.INFO),
            kubernetes=bool(env.get("KUBECONFIG") or env.get("KUBERNETES_SERVICE_HOST")),
        )
