"""Where each process finds the files of the others, under the base directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["BaseLayout", "DEFAULT_BASE_DIR", "resolve_base_dir"]


@dataclass(frozen=True, slots=True)
class BaseLayout:
    """Paths under ``AMBASSADOR_CONFIG_BASE_DIR``; every process derives them the same way."""

    base: str

    @property
    def snapshots_dir(self) -> str:
        return os.path.join(self.base, "snapshots")

    @property
    def snapshot_file(self) -> str:
        """watt → diagd: the newest complete snapshot (NDJSON)."""
        return os.path.join(self.snapshots_dir, "snapshot.ndjson")

    @property
    def envoy_dir(self) -> str:
        """diagd → ambex: one JSON file per Envoy resource, named by content hash, plus the manifest."""
        return os.path.join(self.base, "envoy")

    @property
    def manifest_file(self) -> str:
        return os.path.join(self.envoy_dir, "manifest.json")

    @property
    def bootstrap_file(self) -> str:
        """diagd → Envoy: the bootstrap, read only when Envoy starts."""
        return os.path.join(self.base, "bootstrap-ads.json")

    @property
    def secrets_dir(self) -> str:
        """diagd → Envoy: PEM files that TLS contexts reference by name (mode 0600)."""
        return os.path.join(self.base, "secrets")

    @property
    def status_dir(self) -> str:
        return os.path.join(self.base, "status")

    @property
    def ambex_status_file(self) -> str:
        """ambex → diagd: what was pushed to Envoy and what Envoy acknowledged or rejected."""
        return os.path.join(self.status_dir, "ambex.json")

    @property
    def watt_status_file(self) -> str:
        """watt → diagd: watt's own state (sources, memory), for diagnostics."""
        return os.path.join(self.status_dir, "watt.json")

    @property
    def ambex_pidfile(self) -> str:
        return os.path.join(self.base, "ambex.pid")

    def ensure(self) -> None:
        """Create the directories every process writes into."""
        for path in (self.snapshots_dir, self.envoy_dir, self.status_dir):
            os.makedirs(path, exist_ok=True)
        os.makedirs(self.secrets_dir, mode=0o700, exist_ok=True)


DEFAULT_BASE_DIR = "/ambassador"


def resolve_base_dir(env: Mapping[str, str]) -> tuple[str, str | None]:
    """The base directory every process uses, and a note when the default had to be replaced.

    ``AMBASSADOR_CONFIG_BASE_DIR`` wins when set. Otherwise ``/ambassador`` is used if it exists and is writable
    (or can be created); else a per-user directory, which the caller should log.
    """
    explicit = env.get("AMBASSADOR_CONFIG_BASE_DIR")
    if explicit:
        return explicit, None
    if _writable_dir(DEFAULT_BASE_DIR):
        return DEFAULT_BASE_DIR, None
    home = env.get("HOME") or os.path.expanduser("~")
    fallback = os.path.join(home, ".local", "state", "emissary-py")
    return fallback, f"{DEFAULT_BASE_DIR} is not writable; using {fallback}"


def _writable_dir(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)
