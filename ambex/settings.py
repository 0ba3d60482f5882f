"""ambex's settings, read once from the environment."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from watt.formats.layout import BaseLayout, resolve_base_dir
from watt.formats.logs import parse_level

__all__ = ["AmbexSettings"]


@dataclass(frozen=True, slots=True)
class AmbexSettings:
    base_dir: str
    base_dir_note: str | None
    ads_address: str
    ads_port: int
    poll_interval: float
    log_level: int
    json_logging: bool

    @property
    def layout(self) -> BaseLayout:
        return BaseLayout(self.base_dir)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AmbexSettings:
        base_dir, note = resolve_base_dir(env)
        raw_port = env.get("AMBASSADOR_ADS_PORT", "").strip()
        port = int(raw_port) if raw_port.isdigit() and 0 < int(raw_port) < 65536 else 8003
        return cls(
            base_dir=base_dir, base_dir_note=note, ads_address="127.0.0.1", ads_port=port, poll_interval=1.0,
            log_level=parse_level(env.get("AES_LOG_LEVEL"), logging.INFO),
            json_logging=env.get("AMBASSADOR_JSON_LOGGING", "").strip().lower() in ("1", "true", "yes"),
        )
