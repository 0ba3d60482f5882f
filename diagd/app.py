"""The Flask app factory. The app reads only the published state; the reconfig worker lives beside it.

Every response leaves through ``_scrub``: whatever a page shows, a private key never reaches the client (the
primary redaction happens where resources enter the diagnostics index; this is the safety net).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response

from diagd.context import make_context
from diagd.envoy_admin import EnvoyAdmin
from diagd.memory import MemoryWatch
from diagd.redact import scrub_text
from diagd.settings import DiagdSettings
from diagd.state import StateHolder
from diagd.views import diag, explain, health, internal, metrics, pages, resource

__all__ = ["create_app", "STATIC_URL"]

log = logging.getLogger("diagd.app")

STATIC_URL = "/ambassador/v0/static"
_TEXT_TYPES = ("text/", "application/json")


_MARKERS = (b"PRIVATE KEY", b"PRIVATE+KEY", b"PRIVATE%20KEY", b"LS0tLS1CRUdJT")


def _scrub(response: Response) -> Response:
    if response.direct_passthrough or not (response.mimetype or "").startswith(_TEXT_TYPES):
        return response
    data = response.get_data()
    if not any(marker in data for marker in _MARKERS):
        return response
    text = data.decode("utf-8", errors="replace")
    cleaned = scrub_text(text)
    if cleaned != text:
        log.error("a response carried key material; it was removed before sending (please report this)")
        response.set_data(cleaned)
    return response


def create_app(settings: DiagdSettings, holder: StateHolder, *, envoy_ready: Callable[[], bool],
               worker_alive: Callable[[], bool], envoy_admin: EnvoyAdmin | None = None,
               memory: MemoryWatch | None = None) -> Flask:
    app = Flask(__name__, static_url_path=STATIC_URL)
    context = make_context(settings, holder, envoy_ready=envoy_ready, worker_alive=worker_alive, admin=envoy_admin,
                           memory=memory)
    app.extensions["diagd"] = context
    app.config.update(SETTINGS=settings, STATE=holder, ENVOY_READY=envoy_ready, WORKER_ALIVE=worker_alive,
                      JSON_SORT_KEYS=False)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    for blueprint in (health.blueprint, diag.blueprint, pages.blueprint, explain.blueprint, resource.blueprint,
                      internal.blueprint, metrics.blueprint):
        app.register_blueprint(blueprint)
    app.after_request(_scrub)
    return app
