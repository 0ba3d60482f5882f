"""``/metrics``: Prometheus text, ours then Envoy's. Open to every client, as in Emissary."""

from __future__ import annotations

from flask import Blueprint, Response

from diagd.metrics import CONTENT_TYPE, render_metrics
from diagd.views.common import context

__all__ = ["blueprint"]

blueprint = Blueprint("metrics", __name__)


@blueprint.route("/metrics")
def metrics() -> Response:
    ctx = context()
    return Response(render_metrics(ctx.registry, ctx.admin.prometheus_stats), mimetype=None,
                    content_type=CONTENT_TYPE)
