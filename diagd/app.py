"""The Flask app factory. The app reads only the published state; the reconfig worker lives beside it."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from diagd.settings import DiagdSettings
from diagd.state import StateHolder
from diagd.views import diag, health, internal

__all__ = ["create_app"]


def create_app(settings: DiagdSettings, holder: StateHolder, *, envoy_ready: Callable[[], bool],
               worker_alive: Callable[[], bool]) -> Flask:
    app = Flask(__name__)
    app.config.update(SETTINGS=settings, STATE=holder, ENVOY_READY=envoy_ready, WORKER_ALIVE=worker_alive,
                      JSON_SORT_KEYS=False)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    for blueprint in (health.blueprint, diag.blueprint, internal.blueprint):
        app.register_blueprint(blueprint)
    return app
