"""Detail pages, ``/ambassador/v0/diag/<key>`` (SPEC §6): a resource by its key, a route group (``grp-<id>``) or a
cluster by name — what it is, where it came from, what went wrong, and what it produced in Envoy."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from diagd.diag_index import DiagIndex
from diagd.diag_model import cluster_stats
from diagd.state import CompiledState
from diagd.views.access import diag_only
from diagd.views.common import context, needs_config, respond

__all__ = ["blueprint", "ROUTES_SHOWN"]

blueprint = Blueprint("resource", __name__)

ROUTES_SHOWN = 200


def _routes(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(rows), "rows": rows[:ROUTES_SHOWN]}


def _resource(index: DiagIndex, rkey: str) -> dict[str, Any]:
    resource = index.resources.get(rkey)
    problems = index.problems_by_key.get(rkey, [])
    first = problems[0] if problems else {}
    clusters = index.clusters_of(rkey)
    return {
        "page": "resource", "rkey": rkey,
        "resource": resource or {"rkey": rkey, "kind": first.get("kind") or "", "name": first.get("name") or rkey,
                                 "namespace": first.get("namespace") or "", "location": first.get("location")},
        "dropped": resource is None,
        "problems": problems,
        "yaml": index.serialization(rkey),
        "routes": _routes(index.routes_of(rkey)),
        "groups": index.groups_of(rkey),
        "clusters": clusters,
        "host": next((h for h in index.hosts if h["source"] == rkey), None),
        "listener": next((lst for lst in index.listeners if lst["source"] == rkey), None),
        "envoy_routes": index.envoy_routes.get(rkey, []),
        "envoy_clusters": [index.envoy_clusters[c["name"]] for c in clusters if c["name"] in index.envoy_clusters],
    }


def _group(index: DiagIndex, group_id: str) -> dict[str, Any]:
    group = index.groups[group_id]
    sources = {m["source"] for m in group["members"]}
    return {"page": "group", "rkey": f"grp-{group_id}", "group": group,
            "routes": _routes([r for r in index.routes if r["group_id"] == group_id]),
            "envoy_routes": [route for s in sorted(sources) for route in index.envoy_routes.get(s, [])]}


def _cluster(index: DiagIndex, name: str) -> dict[str, Any]:
    health = context().admin.clusters()
    return {"page": "cluster", "rkey": name, "cluster": index.clusters[name],
            "health": cluster_stats(index, health)[name], "envoy_answered": health is not None,
            "routes": _routes([r for r in index.routes if r["cluster"] == name]),
            "envoy_cluster": index.envoy_clusters.get(name)}


@blueprint.route("/ambassador/v0/diag/<path:key>")
@diag_only
@needs_config
def detail(state: CompiledState, index: DiagIndex, key: str) -> ResponseReturnValue:
    if key.startswith("grp-") and key[4:] in index.groups:
        return respond("group.html", _group(index, key[4:]))
    if key in index.clusters:
        return respond("cluster.html", _cluster(index, key))
    if key in index.resources or key in index.problems_by_key:
        return respond("resource.html", _resource(index, key))
    return respond("notfound.html", {"error": f"nothing is known by the key {key!r}", "key": key}, status=404)
