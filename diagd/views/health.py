"""Probes with Emissary's answers: ``check_alive`` (diagd works) and ``check_ready`` (config applied, Envoy ready)."""

from __future__ import annotations

from flask import Blueprint, current_app

__all__ = ["blueprint"]

blueprint = Blueprint("health", __name__)


@blueprint.route("/ambassador/v0/check_alive")
def check_alive() -> tuple[str, int]:
    if current_app.config["WORKER_ALIVE"]():
        return "Ambassador is alive and well\n", 200
    return "Ambassador is not alive: the reconfiguration worker stopped\n", 503


@blueprint.route("/ambassador/v0/check_ready")
def check_ready() -> tuple[str, int]:
    state = current_app.config["STATE"].current
    if state.result is None:
        return "ambassador waiting for config\n", 503
    if state.config_applied and current_app.config["ENVOY_READY"]():
        return "Ambassador is ready and waiting\n", 200
    return "Ambassador is not ready\n", 503
