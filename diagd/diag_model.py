"""The diagnostics document: what ``/ambassador/v0/diag/?json=true`` returns, in Emissary's shape (SPEC §6).

Emissary's keys (``system``, ``envoy_status``, ``loginfo``, ``notices``, ``errors``, ``route_info``,
``cluster_stats``, ``cluster_info``, ``ambassador_resources``, …) keep their meaning; ours are added beside them
(``problems`` with reasons and locations, ``reconfig`` with phase timings, ``resource_counts``, ``memory``). The
parts that depend only on the configuration are computed once per configuration; Envoy's health is merged in per
request.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Mapping
from typing import Any

from diagd.diag_index import DiagIndex, problem_json
from diagd.envoy_admin import ClusterHealth, health_color
from diagd.state import CompiledState

__all__ = ["diag_document", "diag_document_json", "system_block", "envoy_block", "route_info", "cluster_stats",
           "problem_json",
           "VERSION", "WEBUI_DROPPED", "human_duration"]

VERSION = "0.1.0"
# Keys ``&filter=webui`` leaves out: the bulky ones the overview page does not need.
WEBUI_DROPPED = ("ambassador_resources", "envoy_resources", "envoy_elements", "ambassador_elements")


def human_duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours or days else []
    parts += [f"{minutes}m"] if minutes or hours or days else []
    return " ".join(parts + [f"{secs}s"])


def system_block(state: CompiledState, *, ambassador_id: str, namespace: str, log_level: int) -> dict[str, Any]:
    now = time.time()
    source = dict(state.source)
    return {
        "version": VERSION, "hostname": socket.gethostname(), "ambassador_id": ambassador_id,
        "ambassador_namespace": namespace, "namespace": namespace, "boot_time": state.started,
        "started": state.started, "uptime_seconds": round(now - state.started, 1),
        "hr_uptime": human_duration(now - state.started), "source": source,
        "source_kind": "cluster" if source.get("kind") == "kubernetes" else "directory" if source.get("dir")
        else source.get("kind"),
        "config_seq": state.applied_seq, "last_error": state.last_error,
        "log_level": logging.getLevelName(log_level).lower(),
    }


def envoy_block(state: CompiledState, *, ready: bool, server_info: Mapping[str, Any] | None) -> dict[str, Any]:
    ambex = state.ambex
    acked = ambex.get("acked")
    return {
        "alive": server_info is not None, "ready": ready,
        "uptime": server_info.get("uptime_current_epoch") if server_info else None,
        "state": server_info.get("state") if server_info else None,
        "envoy_version": server_info.get("version") if server_info else None,
        "since_update": round(time.time() - float(acked), 1) if acked else None,
        "config_applied": state.config_applied, "acked_version": ambex.get("acked_version"),
        "acked_seq": ambex.get("acked_seq"), "last_nack": ambex.get("last_nack"),
        "load_error": ambex.get("load_error"), "streams": ambex.get("streams", 0),
    }


def cluster_stats(index: DiagIndex, health: Mapping[str, ClusterHealth] | None) -> dict[str, dict[str, Any]]:
    """Per cluster: Envoy's view of its endpoints (Emissary's ``health``/``hmetric``/``hcolor``)."""
    out = {}
    for name in index.clusters:
        live = health.get(name) if health is not None else None
        percent = live.healthy_percent if live is not None else None
        out[name] = {
            "valid": live is not None, "reason": None if live is not None else "Envoy did not report this cluster",
            "health": f"{percent}% healthy" if percent is not None else "unknown", "hmetric": percent,
            "hcolor": health_color(percent), "endpoints": live.to_json()["endpoints"] if live is not None else [],
        }
    return out


def route_info(index: DiagIndex, stats: Mapping[str, Mapping[str, Any]], request_host: str = "*",
               scheme: str = "http") -> list[dict[str, Any]]:
    """One entry per route group, most specific first, in Emissary's ``route_info`` shape."""
    hosts_of: dict[str, set[str]] = {}
    for row in index.routes:
        hosts_of.setdefault(row["group_id"], set()).add(row["host"])
    rows = []
    for group in index.groups.values():
        authority = next((h["value"] for h in group["headers"] if h["name"] == ":authority"), None)
        headers = [h for h in group["headers"] if h["name"] not in (":authority", ":method")]
        prefix = group["prefix"]
        shares = [m["share"] if m["share"] is not None else 100 for m in group["members"]]
        clusters = []
        for i, m in enumerate(group["members"]):
            health = stats.get(m["cluster"], {})
            clusters.append({"name": m["cluster"], "service": m["service"], "weight": m["weight"] or 100,
                             "percent": shares[i] - (shares[i - 1] if i else 0), "type_label": None,
                             "_source": m["source"], "_health": health.get("health", "unknown"),
                             "_hmetric": health.get("hmetric"), "_hcolor": health.get("hcolor", "orange")})
        sep = "" if prefix.startswith("/") else "/"
        entry = {
            "_route": group, "_source": group["members"][0]["source"], "_group_id": group["group_id"],
            "source": group["members"][0]["source"], "source_name": group["members"][0]["name"],
            "key": f"{scheme}://{group['hostname'] or authority or request_host}{sep}{prefix}",
            "prefix": prefix, "rewrite": group["members"][0]["rewrite"], "method": group["method"] or "*",
            "headers": headers, "clusters": clusters, "host": group["hostname"] or authority or "*",
            "virtual_hosts": sorted(hosts_of.get(group["group_id"], ())),
            "internal": all(m["internal"] for m in group["members"]),
        }
        if group["precedence"]:
            entry["precedence"] = group["precedence"]
        rows.append(entry)
    return rows


def _source_map(index: DiagIndex) -> dict[str, dict[str, bool]]:
    """Unqualified key (``file.yaml``, ``name.namespace``) → the fully qualified keys it holds."""
    out: dict[str, dict[str, bool]] = {}
    for rkey in index.resources:
        base, _, number = rkey.rpartition(".")
        out.setdefault(base if number.isdigit() else rkey, {})[rkey] = True
    return out


def _static_parts(index: DiagIndex) -> dict[str, Any]:
    """What depends on the configuration alone (computed once per configuration, then shared)."""
    cached = index.memo.get("doc")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    elements = {}
    for rkey, res in index.resources.items():
        elements[rkey] = {**res, "errors": index.problems_by_key.get(rkey, [])}
    envoy = {rkey: {"routes": routes} for rkey, routes in index.envoy_routes.items()}
    for name, cluster in index.envoy_clusters.items():
        for source in index.clusters.get(name, {}).get("sources", ()):
            envoy.setdefault(source, {}).setdefault("clusters", []).append(cluster)
    parts = {
        "errors": [[p["rkey"], p["message"]] for p in index.errors()],
        "notices": [[p["rkey"], p["message"]] for p in index.notices()],
        "problems": index.problems,
        "active_elements": sorted(set(index.envoy_routes) | {s for c in index.clusters.values() for s in c["sources"]}),
        # JSON text (which is also YAML) rather than block YAML: ten times cheaper at 10,000 resources.
        "ambassador_resources": {rkey: json.dumps(body) for rkey, body in index.bodies.items()},
        "ambassador_elements": elements,
        "envoy_resources": envoy,
        "envoy_elements": envoy,
        "source_map": _source_map(index),
        "groups": index.groups,
        "tlscontexts": index.tls_contexts,
        "tcp_mappings": index.tcp_mappings,
        "listeners": index.listeners,
        "hosts": index.hosts,
        "resource_counts": index.counts,
        "envoy_counts": index.result.envoy.counts(),
    }
    index.memo["doc"] = parts
    return parts


def _empty_parts() -> dict[str, Any]:
    return {"errors": [], "notices": [], "problems": [], "active_elements": [], "ambassador_resources": {},
            "ambassador_elements": {}, "envoy_resources": {}, "envoy_elements": {}, "source_map": {}, "groups": {},
            "tlscontexts": [], "tcp_mappings": [], "listeners": [], "hosts": [], "resource_counts": {}, "envoy_counts": {},
            "route_info": [], "cluster_stats": {}, "cluster_info": {}}


def _dynamic_parts(state: CompiledState, index: DiagIndex | None, *, system: dict[str, Any],
                   envoy: dict[str, Any], health: Mapping[str, ClusterHealth] | None,
                   memory: dict[str, Any] | None, with_route_info: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "system": system, "envoy_status": envoy, "loginfo": {"all": system["log_level"]}, "banner_content": None,
        "ambassador_services": [], "ambassador_resolvers": [],
        "reconfig": {"last": state.last.to_json() if state.last else None,
                     "history": [r.to_json() for r in state.history]},
        "memory": memory,
    }
    if index is None:
        return doc
    stats = cluster_stats(index, health)
    doc["cluster_stats"] = stats
    doc["cluster_info"] = {name: {**row, "_health": stats[name]["health"], "_hcolor": stats[name]["hcolor"]}
                           for name, row in index.clusters.items()}
    if with_route_info:
        doc["route_info"] = route_info(index, stats)
    return doc


def diag_document(state: CompiledState, index: DiagIndex | None, *, system: dict[str, Any],
                  envoy: dict[str, Any], health: Mapping[str, ClusterHealth] | None,
                  memory: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole document as one dict (the HTML overview and ``&filter=`` use this)."""
    doc = _dynamic_parts(state, index, system=system, envoy=envoy, health=health, memory=memory)
    return {**doc, **(_static_parts(index) if index is not None else _empty_parts())}


def diag_document_json(state: CompiledState, index: DiagIndex | None, *, system: dict[str, Any],
                       envoy: dict[str, Any], health: Mapping[str, ClusterHealth] | None,
                       memory: dict[str, Any] | None = None) -> bytes:
    """The same document encoded as JSON. The configuration's parts are encoded once per configuration and
    spliced in, so polling the diag JSON of a 10,000-Mapping gateway costs little after the first answer."""
    parts = _dynamic_parts(state, index, system=system, envoy=envoy, health=health, memory=memory,
                           with_route_info=False)
    if index is None:
        return json.dumps({**parts, **_empty_parts()}).encode("utf-8")
    static = index.memo.get("doc_json") or json.dumps(_static_parts(index))
    index.memo["doc_json"] = static
    # route_info changes only with cluster health: encode it again only when that changed.
    health_key = json.dumps(parts["cluster_stats"], sort_keys=True)
    cached = index.memo.get("route_info_json")
    if cached is None or cached[0] != health_key:
        cached = (health_key, json.dumps(route_info(index, parts["cluster_stats"])))
        index.memo["route_info_json"] = cached
    dynamic = json.dumps(parts)
    return f'{dynamic[:-1]}, "route_info": {cached[1]}, {static[1:]}'.encode("utf-8")
