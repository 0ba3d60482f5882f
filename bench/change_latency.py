"""Change → live: one Mapping file written, then polled through Envoy until the new route answers; with the
phase breakdown from diagd's reconfig records (diag JSON).

Two kinds of change: a tenant's Mapping (``hostname: tenant-0.example.com``, polled over HTTPS with that SNI) — the
usual edit, which touches one Host's routes — and a ``hostname: "*"`` Mapping, which every Host takes, so every
virtual host changes (the worst case).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import ssl
from collections.abc import Callable

from tests.builders import mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.tls import https_request

__all__ = ["measure", "summarise", "PHASES", "percentile"]

PHASES = ("snapshot", "compile", "write", "push", "ack", "total")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _record_after(gw: Gateway, started: float) -> dict[str, Any] | None:
    for _ in range(200):
        history = request(gw.ports.diag, "/ambassador/v0/diag/history?json=true", timeout=30).json()["reconfigs"]
        done = [r for r in history if r["change_seen"] >= started - 0.001 and r["acked"]]
        if done:
            return dict(done[-1])
        time.sleep(0.02)
    return None


def _probe(gw: Gateway, hostname: str, context: ssl.SSLContext | None) -> Callable[[str], int]:
    if context is None:
        return lambda path: request(gw.ports.http, path, timeout=5).status
    return lambda path: https_request(gw.ports.https, path, sni=hostname, context=context, timeout=5)[0]


def _one_change(gw: Gateway, index: int, upstream: str, hostname: str, probe: Callable[[str], int]) -> dict[str, Any]:
    path = f"/bench-change-{index}/"
    started = time.time()
    gw.write("bench-change.yaml", to_yaml(mapping("bench-change", path, upstream, hostname=hostname)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if probe(path) == 200:
            break
        time.sleep(0.002)
    else:
        raise RuntimeError(f"{path} did not answer within 60 s")
    live_ms = (time.time() - started) * 1000
    record = _record_after(gw, started)
    return {"live_ms": live_ms, "phases_ms": record["phases_ms"] if record else {}}


def measure(gw: Gateway, upstream: str, *, changes: int = 30, hostname: str = "*",
            context: ssl.SSLContext | None = None) -> list[dict[str, Any]]:
    """``gw`` serves ``hostname``: over HTTPS on ``gw.ports.https`` when ``context`` is given, else plain HTTP on
    ``gw.ports.http``."""
    probe = _probe(gw, hostname, context)
    _one_change(gw, -1, upstream, hostname, probe)  # warm-up, not counted
    return [_one_change(gw, i, upstream, hostname, probe) for i in range(changes)]


def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    live = [s["live_ms"] for s in samples]
    phases = {p: statistics.median([s["phases_ms"][p] for s in samples if s["phases_ms"].get(p) is not None] or
                                   [float("nan")]) for p in PHASES}
    return {"p50_ms": percentile(live, 0.5), "p90_ms": percentile(live, 0.9), "p99_ms": percentile(live, 0.99),
            "phase_medians_ms": phases, "changes": len(samples)}
