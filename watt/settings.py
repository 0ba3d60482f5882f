"""watt's settings, read once from the environment and the command line."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from watt.formats.layout import resolve_base_dir
from watt.formats.logs import parse_level

__all__ = ["WattSettings", "parse_seconds"]


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
class WattSettings:
    base_dir: str
    base_dir_note: str | None
    config_dir: str | None
    quiet_period: float
    max_delay: float
    log_level: int
    json_logging: bool

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
        )
