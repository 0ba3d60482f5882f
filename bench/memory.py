"""Memory: RSS of each control-plane process and of Envoy at a size, and growth over many reconfigurations."""

from __future__ import annotations

import gc
import time
from typing import Any

from bench.processes import control_plane_pss, control_plane_rss, envoy_rss
from tests.builders import mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.processes import wait_until

__all__ = ["snapshot", "growth"]


def snapshot(gw: Gateway) -> dict[str, Any]:
    per_process, pss = control_plane_rss(gw), control_plane_pss(gw)
    return {"control_plane_mib": per_process, "control_plane_total_mib": sum(per_process.values()),
            "control_plane_pss_mib": pss, "control_plane_pss_total_mib": sum(pss.values()), "envoy_mib": envoy_rss(gw)}


def _applied_seq(gw: Gateway) -> int:
    records = request(gw.ports.diag, "/ambassador/v0/diag/history?json=true", timeout=30).json()["reconfigs"]
    return int(records[-1]["seq"]) if records else 0


def growth(gw: Gateway, upstream: str, *, reconfigs: int = 1000) -> dict[str, Any]:
    """Apply ``reconfigs`` one-Mapping changes back to back (each waited for), then compare RSS."""
    gc.collect()
    before = snapshot(gw)
    started = time.monotonic()
    for step in range(reconfigs):
        seq = _applied_seq(gw)
        gw.write("growth.yaml", to_yaml(mapping("growth", f"/growth/{step % 50}/", upstream)))
        wait_until(lambda s=seq: _applied_seq(gw) > s, timeout=30, interval=0.005, what=f"reconfig {step}")
    time.sleep(2)
    after = snapshot(gw)
    grow = (after["control_plane_total_mib"] - before["control_plane_total_mib"]) / before["control_plane_total_mib"]
    return {"reconfigs": reconfigs, "seconds": round(time.monotonic() - started, 1), "before": before,
            "after": after, "control_plane_growth": grow}
