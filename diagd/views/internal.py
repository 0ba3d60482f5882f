"""Internal endpoints, for local clients only: ping, ``/debug`` KPIs, profiling, and the log level switch.

Profiling runs inside the diagd worker that serves the request, so what it shows is the process that compiles and
serves the gateway's configuration.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from diagd.memory import mib
from diagd.profiling import MAX_PROFILE_SECONDS, cpu_profile, thread_stacks, tracemalloc_report
from diagd.views.access import local_only
from diagd.views.common import context

__all__ = ["blueprint", "debug_kpis"]

log = logging.getLogger("diagd.internal")

blueprint = Blueprint("internal", __name__)

_LEVELS = ("debug", "info", "warning", "error")
_ENVOY_LEVELS = ("trace", "debug", "info", "warning", "error", "critical", "off")


@blueprint.route("/_internal/v0/ping")
@local_only
def ping() -> tuple[str, int]:
    return "ACK\n", 200


def debug_kpis() -> dict[str, Any]:
    """Emissary's ``/debug`` shape: ``timers`` (durations, ms) and ``values`` (counts and sizes)."""
    ctx = context()
    state, index = ctx.current()
    last = state.last.phases_ms() if state.last is not None else {}
    sample = ctx.memory.latest(max_age=5.0)
    values: dict[str, Any] = {
        "pid": os.getpid(), "uptime_seconds": round(time.time() - state.started, 1),
        "config_seq": state.applied_seq, "reconfigs_kept": len(state.history),
        "errors": len(index.errors()) if index else 0, "notices": len(index.notices()) if index else 0,
        "resources": len(index.resources) if index else 0, "routes": len(index.routes) if index else 0,
        "clusters": len(index.clusters) if index else 0, "envoy_ready": ctx.envoy_ready(),
        "envoy_streams": state.ambex.get("streams", 0), "last_nack": state.ambex.get("last_nack"),
    }
    if sample is not None:
        values["memory_mib"] = {p.name: mib(p.rss) for p in sample.processes}
        values["memory_limit_mib"] = mib(sample.cgroup_limit)
    timers = {f"reconfig_{name}_ms": value for name, value in last.items() if value is not None}
    if state.last is not None:
        timers["compile_cpu_ms"] = round(state.last.compile_seconds * 1000, 2)
    return {"timers": timers, "values": values}


@blueprint.route("/debug")
@local_only
def debug() -> ResponseReturnValue:
    return jsonify(debug_kpis())


@blueprint.route("/_internal/v0/debug/stacks")
@local_only
def stacks() -> ResponseReturnValue:
    threads = thread_stacks()
    if request.args.get("format") == "text":
        text = "\n".join(f"--- {t['name']} ({t['ident']})\n" + "\n".join(t["stack"]) for t in threads)
        return Response(text + "\n", mimetype="text/plain")
    return jsonify({"pid": os.getpid(), "threads": threads})


@blueprint.route("/_internal/v0/debug/tracemalloc")
@local_only
def tracemalloc_top() -> ResponseReturnValue:
    limit = request.args.get("limit", "25")
    return jsonify(tracemalloc_report(limit=int(limit) if limit.isdigit() else 25))


@blueprint.route("/_internal/v0/debug/profile")
@local_only
def profile() -> ResponseReturnValue:
    try:
        seconds = float(request.args.get("seconds", "5"))
    except ValueError:
        return "seconds must be a number\n", 400
    if not 0 < seconds <= MAX_PROFILE_SECONDS:
        return f"seconds must be between 0 and {MAX_PROFILE_SECONDS:g}\n", 400
    result = cpu_profile(seconds)
    if request.args.get("format") == "collapsed":
        return Response(result.collapsed(), mimetype="text/plain")
    return jsonify(result.to_json())


@blueprint.route("/_internal/v0/loglevel", methods=["GET", "POST"])
@local_only
def loglevel() -> ResponseReturnValue:
    """GET shows diagd's log level. POST ``level=debug|info|warning|error`` changes diagd's, and
    ``envoy=trace|debug|info|warning|error|critical|off`` every Envoy logger's, until the process restarts."""
    root = logging.getLogger()
    out: dict[str, str] = {}
    if request.method == "POST":
        level = _param("level")
        envoy = _param("envoy")
        if not level and not envoy:
            return "give level= (diagd) and/or envoy= (Envoy)\n", 400
        if level and level not in _LEVELS:
            return f"level must be one of {', '.join(_LEVELS)}\n", 400
        if envoy and envoy not in _ENVOY_LEVELS:
            return f"envoy must be one of {', '.join(_ENVOY_LEVELS)}\n", 400
        if envoy:
            if context().admin.set_log_level(envoy) is None:
                return "Envoy's admin interface did not answer\n", 503
            log.warning("Envoy log level set to %s by a local request", envoy)
            out["envoy"] = envoy
        if level:
            root.setLevel(level.upper())
            log.warning("log level set to %s by a local request", level)
    return jsonify({"level": logging.getLevelName(root.getEffectiveLevel()).lower(), **out})


def _param(name: str) -> str:
    return (request.form.get(name) or request.args.get(name) or "").lower()
