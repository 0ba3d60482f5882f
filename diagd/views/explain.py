"""``/ambassador/v0/diag/explain``: enter a request, see which route takes it and why, and what goes upstream.

The form submits with GET, so an explanation is a link that can be shared. The answer is computed from the
configuration diagd compiled (see ``diagd.explain``); when Envoy rejected that configuration the page says so,
because Envoy then still runs the previous one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from diagd.diag_index import DiagIndex
from diagd.redact import scrub_text
from diagd.state import CompiledState
from diagd.views.access import diag_only
from diagd.views.common import context, needs_config, respond

__all__ = ["blueprint"]

blueprint = Blueprint("explain", __name__)

# ``diagd.explain`` (~0.6 MiB) is imported on the first explanation asked for, not when the worker starts.


def _listener_choices(index: DiagIndex) -> list[dict[str, Any]]:
    return [{"name": lst["name"], "port": lst["port"], "protocol": lst["protocol"]} for lst in index.listeners]


def _rejected(state: CompiledState) -> bool:
    nack = state.ambex.get("last_nack")
    return isinstance(nack, dict) and nack.get("snapshot_seq") == state.applied_seq


@blueprint.route("/ambassador/v0/diag/explain")
@diag_only
@needs_config
def explain_page(state: CompiledState, index: DiagIndex) -> ResponseReturnValue:
    asked = "path" in request.args or "host" in request.args
    form = {k: scrub_text(request.args.get(k, "")) for k in ("method", "host", "path", "headers", "scheme", "listener")}
    data: dict[str, Any] = {"form": form, "listeners": _listener_choices(index), "asked": asked,
                            "config_seq": state.applied_seq, "rejected_by_envoy": _rejected(state)}
    if asked:
        data["explanation"] = _explanation(form, index)
    return respond("explain.html", data)


def _explanation(form: dict[str, str], index: DiagIndex) -> dict[str, Any]:
    from diagd.explain import EnvoyView, ExplainRequest, Sources, explain

    envoy = index.result.envoy
    view = EnvoyView(listeners=envoy.listeners, route_configs=envoy.route_configs, clusters=envoy.clusters)
    health = context().admin.clusters()
    sources = Sources(routes=index.route_sources, vhosts=index.vhost_sources, health=health or {})
    return explain(ExplainRequest.from_args(form), view, sources).to_json()
