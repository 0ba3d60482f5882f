"""Is Envoy ready? GET its ready listener (``127.0.0.1:<ready port>/ready``), cached for a second."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

__all__ = ["EnvoyReadyProbe"]


class EnvoyReadyProbe:
    def __init__(self, port: int, *, ttl: float = 1.0, timeout: float = 1.0) -> None:
        self.url = f"http://127.0.0.1:{port}/ready"
        self._ttl = ttl
        self._timeout = timeout
        self._lock = threading.Lock()
        self._checked = 0.0
        self._ready = False

    def __call__(self) -> bool:
        with self._lock:
            if time.monotonic() - self._checked < self._ttl:
                return self._ready
            self._ready = self._probe()
            self._checked = time.monotonic()
            return self._ready

    def _probe(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=self._timeout) as response:  # noqa: S310 - loopback only
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False
