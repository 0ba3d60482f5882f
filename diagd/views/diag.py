"""The overview (``/ambassador/v0/diag/``, SPEC §6), errors and notices, reconfiguration history, resources, and
the redacted snapshot. Each page is HTML, or JSON with ``?json=true``."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, send_from_directory
from flask.typing import ResponseReturnValue

from diagd.charts import lines, stacked_bars
from diagd.diag_index import DiagIndex
from diagd.diag_model import WEBUI_DROPPED, diag_document, diag_document_json, envoy_block, system_block
from diagd.memory import mib
from diagd.redact import redact_body
from diagd.state import PHASES, CompiledState
from diagd.views.access import diag_only
from diagd.views.common import context, needs_config, register_template_globals, respond, wants_json

__all__ = ["blueprint", "overview_document"]

blueprint = Blueprint("diag", __name__)
register_template_globals(blueprint)

_PREFIX = "/ambassador/v0/diag"


def _document_inputs(state: CompiledState) -> dict[str, Any]:
    ctx = context()
    settings = ctx.settings
    latest = ctx.memory.latest()
    return {
        "system": system_block(state, ambassador_id=settings.compile.ambassador_id,
                               namespace=settings.compile.namespace,
                               log_level=logging.getLogger().getEffectiveLevel()),
        "envoy": envoy_block(state, ready=ctx.envoy_ready(), server_info=ctx.admin.server_info()),
        "health": ctx.admin.clusters(), "memory": latest.to_json() if latest is not None else None,
    }


def overview_document(state: CompiledState, index: DiagIndex | None) -> dict[str, Any]:
    return diag_document(state, index, **_document_inputs(state))


@blueprint.route(f"{_PREFIX}/")
@diag_only
def overview() -> ResponseReturnValue:
    state, index = context().current()
    status = 200 if index is not None else 503
    wanted = request.args.get("filter")
    if wants_json() and not wanted:
        body = diag_document_json(state, index, **_document_inputs(state))
        return Response(body, status=status, mimetype="application/json")
    doc = overview_document(state, index)
    if wants_json() and wanted:
        if wanted == "webui":
            return jsonify({k: v for k, v in doc.items() if k not in WEBUI_DROPPED}), status
        return jsonify({wanted: doc.get(wanted)}), status
    return render_template("overview.html", doc=doc, waiting=index is None), status


def _problem_groups(index: DiagIndex, severity: str | None) -> list[dict[str, Any]]:
    """Problems grouped by resource, global ones first, each group with where the resource came from."""
    groups = []
    for rkey, problems in sorted(index.problems_by_key.items(), key=lambda kv: (kv[0] != "-global-", kv[0])):
        shown = [p for p in problems if severity in (None, p["severity"])]
        if not shown:
            continue
        resource = index.resources.get(rkey, {})
        first = shown[0]
        groups.append({"rkey": rkey, "kind": resource.get("kind") or first["kind"],
                       "name": resource.get("name") or first["name"],
                       "namespace": resource.get("namespace") or first["namespace"],
                       "location": resource.get("location") or first["location"],
                       "linked": rkey != "-global-", "problems": shown})
    return groups


@blueprint.route(f"{_PREFIX}/errors")
@diag_only
@needs_config
def errors(state: CompiledState, index: DiagIndex) -> ResponseReturnValue:
    severity = request.args.get("severity") or None
    severity = severity if severity in ("error", "notice") else None
    data = {"severity": severity, "errors": len(index.errors()), "notices": len(index.notices()),
            "resources": _problem_groups(index, severity)}
    return respond("errors.html", data)


def _history_charts(records: list[dict[str, Any]], samples: list[dict[str, Any]]) -> dict[str, Any]:
    phases = [name for name, _a, _b in PHASES]
    bars = stacked_bars([f"#{r['seq']}" for r in records],
                        {p: [r["phases_ms"].get(p) for r in records] for p in phases}, unit="ms",
                        label="time spent in each phase of recent reconfigurations")
    names = sorted({n for s in samples for n in s["processes"]})
    series = {n: [mib(s["processes"].get(n, {}).get("rss")) for s in samples] for n in names}
    series["total"] = [mib(s["total_rss"]) for s in samples]
    limit = next((s["cgroup_limit"] for s in reversed(samples) if s["cgroup_limit"]), None)
    stamps = [time.strftime("%H:%M:%S", time.localtime(s["at"])) for s in samples]
    memory = lines([s["at"] for s in samples], series, unit="MiB", label="resident memory per process",
                   limit=mib(limit), time_labels=stamps)
    return {"phases": bars, "memory": memory}


@blueprint.route(f"{_PREFIX}/history")
@diag_only
def history() -> ResponseReturnValue:
    ctx = context()
    state = ctx.holder.current  # the history needs no diag index (which costs seconds to build at 10,000 Mappings)
    records = [r.to_json() for r in state.history]
    samples = [s.to_json() for s in ctx.memory.samples()]
    data = {"reconfigs": records, "memory": samples, "memory_warn_percent": ctx.memory.warn_percent,
            "memory_interval": ctx.memory.interval}
    if wants_json():
        return jsonify(data)
    return render_template("history.html", data=data, charts=_history_charts(records[-60:], samples))


@blueprint.route(f"{_PREFIX}/resources")
@diag_only
@needs_config
def resources(state: CompiledState, index: DiagIndex) -> ResponseReturnValue:
    kind = request.args.get("kind") or None
    rows = [dict(r, problems=len(index.problems_by_key.get(r["rkey"], ()))) for r in index.resources.values()
            if kind in (None, r["kind"])]
    return respond("resources.html", {"kind": kind, "counts": index.counts, "resources": rows})


@blueprint.route(f"{_PREFIX}/snapshot")
@diag_only
@needs_config
def snapshot(state: CompiledState, index: DiagIndex) -> ResponseReturnValue:
    """The snapshot this configuration was compiled from, every object redacted: safe to attach to a bug report."""
    objects = []
    for obj in state.snapshot.objects if state.snapshot is not None else ():
        kind = obj.body.get("kind", "") if isinstance(obj.body, dict) else ""
        objects.append({"location": obj.location.describe(), "body": redact_body(str(kind), obj.body)})
    body = json.dumps({"seq": state.applied_seq, "source": dict(state.source), "objects": objects}, indent=1)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=snapshot-{state.applied_seq}.json"})


@blueprint.route("/ambassador/v0/favicon.ico")
def favicon() -> ResponseReturnValue:
    return send_from_directory(os.path.join(os.path.dirname(os.path.dirname(__file__)), "static"), "favicon.svg",
                               mimetype="image/svg+xml", max_age=86400)
