"""The diagnostics pages: ``/ambassador/v0/diag/`` as HTML, or JSON with ``?json=true``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from diagd.diag_model import diag_document
from diagd.views.access import diag_only

__all__ = ["blueprint"]

blueprint = Blueprint("diag", __name__)


def _document() -> dict[str, Any]:
    settings = current_app.config["SETTINGS"]
    return diag_document(current_app.config["STATE"].current, envoy_ready=current_app.config["ENVOY_READY"](),
                         ambassador_id=settings.compile.ambassador_id, namespace=settings.compile.namespace)


@blueprint.route("/ambassador/v0/diag/")
@diag_only
def overview() -> ResponseReturnValue:
    doc = _document()
    if request.args.get("json", "").lower() == "true":
        wanted = request.args.get("filter")
        if wanted:
            return jsonify({wanted: doc.get(wanted)})
        return jsonify(doc)
    return render_template("overview.html", doc=doc)
