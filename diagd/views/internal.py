"""Internal endpoints: local clients only."""

from __future__ import annotations

from flask import Blueprint

from diagd.views.access import local_only

__all__ = ["blueprint"]

blueprint = Blueprint("internal", __name__)


@blueprint.route("/_internal/v0/ping")
@local_only
def ping() -> tuple[str, int]:
    return "ACK\n", 200
