"""Resident memory of the gateway's processes, read with psutil from supervisord's process tree."""

from __future__ import annotations

import psutil

from tests.support.gateway import Gateway

__all__ = ["control_plane_rss", "control_plane_pss", "envoy_rss", "MiB"]

MiB = 1024 * 1024


def _tree(gateway: Gateway) -> dict[str, list[psutil.Process]]:
    found: dict[str, list[psutil.Process]] = {}
    for name, proc in gateway.children().items():
        found[name] = [proc, *proc.children(recursive=True)]
    return found


def control_plane_rss(gateway: Gateway) -> dict[str, float]:
    """RSS in MiB per control-plane process (diagd counts its gunicorn master and worker), plus supervisord."""
    rss: dict[str, float] = {}
    for name, procs in _tree(gateway).items():
        if name != "envoy":
            rss[name] = sum(p.memory_info().rss for p in procs if p.is_running()) / MiB
    assert gateway.proc is not None
    rss["supervisord"] = psutil.Process(gateway.proc.pid).memory_info().rss / MiB
    return rss


def envoy_rss(gateway: Gateway) -> float:
    return sum(p.memory_info().rss for p in _tree(gateway)["envoy"]) / MiB


def control_plane_pss(gateway: Gateway) -> dict[str, float]:
    """Proportional set size in MiB: shared pages (interpreter, libraries) split between the processes sharing
    them, so the sum is the memory the control plane really uses; a sum of RSS counts them once per process."""
    pss: dict[str, float] = {}
    for name, procs in _tree(gateway).items():
        if name != "envoy":
            pss[name] = sum(p.memory_full_info().pss for p in procs if p.is_running()) / MiB
    assert gateway.proc is not None
    pss["supervisord"] = psutil.Process(gateway.proc.pid).memory_full_info().pss / MiB
    return pss
