"""What Envoy itself reports, read from its admin interface on 127.0.0.1 with short timeouts.

The diagnostics pages show Envoy's view (cluster membership and health, its own statistics) next to ours. Envoy may
be starting, restarting or wedged, so every read has a short timeout, failures become ``None`` rather than errors,
and answers are cached for a moment so a page with many clusters costs one admin request.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["EnvoyAdmin", "EndpointHealth", "ClusterHealth", "parse_clusters", "health_color"]


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    address: str
    healthy: bool
    flags: tuple[str, ...]
    weight: int
    rq_total: int
    rq_error: int
    rq_success: int
    cx_active: int


@dataclass(frozen=True, slots=True)
class ClusterHealth:
    name: str
    endpoints: tuple[EndpointHealth, ...]
    added_via_api: bool

    @property
    def healthy_percent(self) -> int | None:
        if not self.endpoints:
            return None
        return round(100 * sum(1 for e in self.endpoints if e.healthy) / len(self.endpoints))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "healthy_percent": self.healthy_percent, "color": health_color(self.healthy_percent),
                "added_via_api": self.added_via_api,
                "endpoints": [{"address": e.address, "healthy": e.healthy, "flags": list(e.flags), "weight": e.weight,
                               "rq_total": e.rq_total, "rq_error": e.rq_error, "rq_success": e.rq_success,
                               "cx_active": e.cx_active} for e in self.endpoints]}


def health_color(percent: int | None) -> str:
    """Emissary's colours: green at 90 % or more, yellow at 70 % or more, red below, orange when unknown."""
    if percent is None:
        return "orange"
    return "green" if percent >= 90 else "yellow" if percent >= 70 else "red"


def _address(raw: dict[str, Any]) -> str:
    sock = raw.get("socket_address", {})
    if sock:
        return f"{sock.get('address', '?')}:{sock.get('port_value', '?')}"
    pipe = raw.get("pipe", {})
    return str(pipe.get("path", "?"))


def _endpoint(raw: dict[str, Any]) -> EndpointHealth:
    stats = {s.get("name"): int(s.get("value", 0)) for s in raw.get("stats", ())}
    status = raw.get("health_status", {})
    flags = tuple(sorted(k for k, v in status.items() if v is True))
    eds = status.get("eds_health_status", "HEALTHY")
    return EndpointHealth(
        address=_address(raw.get("address", {})), healthy=not flags and eds in ("HEALTHY", "UNKNOWN"),
        flags=flags + ((eds,) if eds not in ("HEALTHY", "UNKNOWN") else ()), weight=int(raw.get("weight", 1)),
        rq_total=stats.get("rq_total", 0), rq_error=stats.get("rq_error", 0), rq_success=stats.get("rq_success", 0),
        cx_active=stats.get("cx_active", 0),
    )


def parse_clusters(text: str) -> dict[str, ClusterHealth]:
    """Envoy's ``/clusters?format=json`` → cluster name → health of each endpoint."""
    data = json.loads(text)
    out = {}
    for raw in data.get("cluster_statuses", ()):
        name = str(raw.get("name"))
        out[name] = ClusterHealth(name=name, endpoints=tuple(_endpoint(h) for h in raw.get("host_statuses", ())),
                                  added_via_api=bool(raw.get("added_via_api", False)))
    return out


class EnvoyAdmin:
    """GETs from Envoy's admin port on 127.0.0.1. ``None`` means Envoy did not answer in time."""

    def __init__(self, port: int, *, timeout: float = 1.0, ttl: float = 2.0) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self._timeout = timeout
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Any]] = {}

    def _get(self, path: str, timeout: float | None = None, *, method: str = "GET") -> str | None:
        post = b"" if method == "POST" else None
        try:
            call = urllib.request.Request(self.base + path, data=post, method=method)
            with urllib.request.urlopen(call, timeout=timeout or self._timeout) as response:  # noqa: S310
                return str(response.read().decode("utf-8", errors="replace"))
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def _cached(self, key: str, fetch: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        value = fetch()
        with self._lock:
            self._cache[key] = (time.monotonic(), value)
        return value

    def clusters(self) -> dict[str, ClusterHealth] | None:
        def fetch() -> dict[str, ClusterHealth] | None:
            text = self._get("/clusters?format=json")
            try:
                return parse_clusters(text) if text is not None else None
            except (ValueError, TypeError, AttributeError):
                return None
        result: dict[str, ClusterHealth] | None = self._cached("clusters", fetch)
        return result

    def server_info(self) -> dict[str, Any] | None:
        def fetch() -> dict[str, Any] | None:
            text = self._get("/server_info")
            try:
                return json.loads(text) if text is not None else None
            except ValueError:
                return None
        result: dict[str, Any] | None = self._cached("server_info", fetch)
        return result

    def set_log_level(self, level: str) -> str | None:
        """POST ``/logging?level=`` (every Envoy logger); the listing Envoy answers with, or None on failure."""
        return self._get(f"/logging?level={level}", method="POST")

    def prometheus_stats(self) -> str | None:
        """Envoy's own statistics in Prometheus text format (not cached: a scrape wants them fresh)."""
        return self._get("/stats/prometheus", timeout=max(self._timeout, 2.0))
