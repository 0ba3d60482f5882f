"""Probes with Emissary's answers (SPEC §1.6).

``check_alive``: the reconfiguration worker runs, and Envoy is either not started yet (no configuration published),
ready, or still within 30 s of the first configuration being published — so a first configuration Envoy cannot
use fails liveness after 30 s and the pod restarts. ``check_ready``: a configuration was applied (Envoy acknowledged
it) and Envoy's ready listener answers; 503 ``ambassador waiting for config`` before the first one.
"""

from __future__ import annotations

import time

from flask import Blueprint

from diagd.views.common import context

__all__ = ["blueprint", "ENVOY_START_GRACE"]

blueprint = Blueprint("health", __name__)

ENVOY_START_GRACE = 30.0


@blueprint.route("/ambassador/v0/check_alive")
def check_alive() -> tuple[str, int]:
    ctx = context()
    if not ctx.worker_alive():
        return "Ambassador is not alive: the reconfiguration worker stopped\n", 503
    first = ctx.holder.current.first_applied
    if first is None or time.time() - first <= ENVOY_START_GRACE or ctx.envoy_ready():
        return "Ambassador is alive and well\n", 200
    return "Ambassador is not alive: Envoy is not ready 30 s after the first configuration\n", 503


@blueprint.route("/ambassador/v0/check_ready")
def check_ready() -> tuple[str, int]:
    ctx = context()
    state = ctx.holder.current
    if state.result is None:
        return "ambassador waiting for config\n", 503
    if state.config_applied and ctx.envoy_ready():
        return "Ambassador is ready and waiting\n", 200
    return "Ambassador is not ready\n", 503
