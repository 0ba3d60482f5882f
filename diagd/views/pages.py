"""The route table (filterable by host, path and resource), clusters with Envoy's view of their endpoints, and
listeners and hosts with their TLS settings."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from diagd.compile.ir.matches import glob_matches
from diagd.diag_index import DiagIndex
from diagd.diag_model import cluster_stats
from diagd.state import CompiledState
from diagd.views.access import diag_only
from diagd.views.common import context, needs_config, respond

__all__ = ["blueprint", "filter_routes", "PAGE_SIZE"]

blueprint = Blueprint("pages", __name__)

_PREFIX = "/ambassador/v0/diag"
PAGE_SIZE = 2000


def _path_accepts(row: dict[str, Any], path: str) -> bool:
    """Would this route's path matcher take ``path`` (or does its pattern contain the text typed)?"""
    pattern = row["prefix"]
    if path in pattern:
        return True
    probe, want = (path, pattern) if row["case_sensitive"] else (path.lower(), pattern.lower())
    if row["match"] == "prefix":
        return probe.startswith(want)
    if row["match"] == "exact":
        return bool(probe.split("?", 1)[0] == want)
    try:
        return re.fullmatch(pattern, path.split("?", 1)[0]) is not None
    except re.error:
        return False


def _host_accepts(row: dict[str, Any], host: str) -> bool:
    host = host.lower()
    if host in row["host"].lower():
        return True
    return glob_matches(row["host"], host) and glob_matches(row["hostname"] or "*", host)


def _resource_matches(row: dict[str, Any], text: str) -> bool:
    text = text.lower()
    return any(text in str(row[k]).lower() for k in ("source", "source_name", "source_kind", "cluster", "service"))


def filter_routes(rows: list[dict[str, Any]], *, host: str = "", path: str = "", resource: str = "",
                  internal: bool = True) -> list[dict[str, Any]]:
    return [r for r in rows
            if (internal or not r["internal"]) and (not host or _host_accepts(r, host))
            and (not path or _path_accepts(r, path)) and (not resource or _resource_matches(r, resource))]


@blueprint.route(f"{_PREFIX}/routes")
@diag_only
@needs_config
def routes(state: CompiledState, index: DiagIndex) -> ResponseReturnValue:
    args = {k: (request.args.get(k) or "").strip() for k in ("host", "path", "resource")}
    internal = request.args.get("internal", "1") != "0"
    rows = filter_routes(index.routes, internal=internal, **args)
    page = max(1, int(request.args.get("page", "1")) if request.args.get("page", "1").isdigit() else 1)
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    data = {"filter": {**args, "internal": internal}, "total": len(index.routes), "matching": len(rows),
            "page": page, "pages": max(1, -(-len(rows) // PAGE_SIZE)), "routes": shown}
    return respond("routes.html", data)


@blueprint.route(f"{_PREFIX}/clusters")
@diag_only
@needs_config
def clusters(state: CompiledState, index: DiagIndex) -> ResponseReturnValue:
    health = context().admin.clusters()
    stats = cluster_stats(index, health)
    rows = [{**row, "health": stats[name]} for name, row in index.clusters.items()]
    return respond("clusters.html", {"envoy_answered": health is not None, "clusters": rows})


@blueprint.route(f"{_PREFIX}/listeners")
@diag_only
@needs_config
def listeners(state: CompiledState, index: DiagIndex) -> ResponseReturnValue:
    return respond("listeners.html", {"listeners": index.listeners, "hosts": index.hosts,
                                      "tcp_mappings": index.tcp_mappings, "tls_contexts": index.tls_contexts})
