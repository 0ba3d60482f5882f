"""What Envoy does with a request once a route matched: the upstream request it sends, or its own answer.

For a ``route`` action: the cluster (or weighted clusters) and their endpoints, the path after ``prefix_rewrite`` /
``regex_rewrite``, the Host header after ``host_rewrite_literal`` / ``auto_host_rewrite``, headers added and removed
(route, then virtual host, then route configuration, as Envoy applies them by default), the headers Envoy adds on
its own, and the timeout. For ``redirect`` and ``direct_response``: the status and where it points.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from diagd.envoy_match import split_path

if TYPE_CHECKING:
    from diagd.explain import EnvoyView, Sources
    from diagd.explain_request import RequestView

__all__ = ["Outcome", "apply_route", "no_route", "duration_ms"]

_REDIRECT_CODES = {"MOVED_PERMANENTLY": 301, "FOUND": 302, "SEE_OTHER": 303, "TEMPORARY_REDIRECT": 307,
                   "PERMANENT_REDIRECT": 308}
_DNS_TYPES = ("STRICT_DNS", "LOGICAL_DNS")


@dataclass(slots=True)
class Outcome:
    share: int
    kind: str  # "route", "redirect", "direct_response", "no_route"
    status: int | None = None
    source: str | None = None
    route_name: str | None = None
    clusters: list[dict[str, Any]] = field(default_factory=list)
    method: str = ""
    path: str = ""
    host_header: str = ""
    headers: list[dict[str, str]] = field(default_factory=list)  # the upstream request's headers, in order
    changes: list[dict[str, str]] = field(default_factory=list)  # what was added, set or removed, and by whom
    timeout: str | None = None
    location: str | None = None
    body: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.kind == "route":
            names = ", ".join(c["name"] for c in self.clusters) or "no cluster"
            return f"{self.share}% → {names}: {self.method} {self.host_header}{self.path}"
        if self.kind == "redirect":
            return f"{self.share}% → {self.status} redirect to {self.location}"
        if self.kind == "direct_response":
            return f"{self.share}% → {self.status} answered by Envoy itself"
        return f"{self.share}% → 404 Not Found: {self.notes[0] if self.notes else 'no route matches'}"

    def to_json(self) -> dict[str, Any]:
        return {"share": self.share, "kind": self.kind, "status": self.status, "source": self.source,
                "route_name": self.route_name, "clusters": self.clusters, "method": self.method, "path": self.path,
                "host_header": self.host_header, "headers": self.headers, "changes": self.changes,
                "timeout": self.timeout, "location": self.location, "body": self.body, "notes": self.notes,
                "summary": self.summary}


def duration_ms(value: Any) -> int | None:
    """Envoy JSON duration (``"3s"``, ``"1.500s"``) → milliseconds."""
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        return round(float(value[:-1]) * 1000)
    except ValueError:
        return None


def no_route(share: int, had_routes: bool, *, no_vhost: bool = False) -> Outcome:
    if no_vhost:
        why = "no virtual host takes this Host"
    elif had_routes:
        why = "no route matches" if share == 100 else "the routes that match take only part of the traffic"
    else:
        why = "the virtual host has no routes"
    return Outcome(share=share, kind="no_route", status=404, notes=[why])


def _rewrite(match: Mapping[str, Any], rules: Mapping[str, Any], path: str) -> str:
    """Apply ``regex_rewrite`` or ``prefix_rewrite`` to a path (query string kept)."""
    base, query = split_path(path)
    suffix = f"?{query}" if query else ""
    regex = rules.get("regex_rewrite")
    if regex:
        try:
            return re.sub(str(regex["pattern"]["regex"]), str(regex["substitution"]), base) + suffix
        except (re.error, KeyError, TypeError):
            return path
    rewrite = rules.get("prefix_rewrite")
    if rewrite is None:
        return path
    if "prefix" in match:
        return str(rewrite) + path[len(str(match["prefix"])):]
    if "path_separated_prefix" in match:
        return str(rewrite) + path[len(str(match["path_separated_prefix"])):]
    return str(rewrite) + suffix  # exact and regex matches rewrite the whole path


def _endpoints(cluster: Mapping[str, Any]) -> list[str]:
    out = []
    for locality in cluster.get("load_assignment", {}).get("endpoints", ()):
        for lb in locality.get("lb_endpoints", ()):
            sock = lb.get("endpoint", {}).get("address", {}).get("socket_address", {})
            out.append(f"{sock.get('address', '?')}:{sock.get('port_value', '?')}")
    return out


def _cluster_info(name: str, weight: int, envoy: EnvoyView, sources: Sources) -> dict[str, Any]:
    cluster = envoy.cluster(name)
    info: dict[str, Any] = {"name": name, "weight": weight, "endpoints": [], "type": None, "notes": []}
    if cluster is None:
        info["notes"].append("this cluster is not in the compiled configuration: Envoy answers 503")
        return info
    info.update(type=cluster.get("type"), endpoints=_endpoints(cluster))
    if sources.health:
        live = sources.health.get(name)
        if live is None:
            info["notes"].append("Envoy does not have this cluster (yet): it answers 503 until it does")
        else:
            info["healthy"] = [e.address for e in live.endpoints if e.healthy]
            if not info["healthy"]:
                info["notes"].append("no healthy endpoint: Envoy answers 503 (no healthy upstream)")
    return info


def _clusters(action: Mapping[str, Any], envoy: EnvoyView, sources: Sources) -> list[dict[str, Any]]:
    if "cluster" in action:
        return [_cluster_info(str(action["cluster"]), 100, envoy, sources)]
    weighted = action.get("weighted_clusters", {}).get("clusters", ())
    total = sum(int(c.get("weight", 0)) for c in weighted) or 1
    return [_cluster_info(str(c["name"]), round(100 * int(c.get("weight", 0)) / total), envoy, sources)
            for c in weighted]


def _host_header(action: Mapping[str, Any], host: str, clusters: list[dict[str, Any]], envoy: EnvoyView) -> tuple[
        str, str | None]:
    if action.get("host_rewrite_literal"):
        return str(action["host_rewrite_literal"]), "host_rewrite"
    if action.get("auto_host_rewrite"):
        cluster = envoy.cluster(clusters[0]["name"]) if clusters else None
        if cluster is not None and cluster.get("type") in _DNS_TYPES and clusters[0]["endpoints"]:
            return clusters[0]["endpoints"][0].rsplit(":", 1)[0], "auto_host_rewrite"
        return host, None
    return host, None


def _append_mode(entry: Mapping[str, Any]) -> str:
    if "append_action" in entry:
        return str(entry["append_action"])
    return "APPEND_IF_EXISTS_OR_ADD" if entry.get("append", True) is not False else "OVERWRITE_IF_EXISTS_OR_ADD"


def _mutate(headers: dict[str, str], changes: list[dict[str, str]], level: Mapping[str, Any], by: str) -> None:
    for name in level.get("request_headers_to_remove", ()):
        if headers.pop(str(name).lower(), None) is not None:
            changes.append({"name": str(name).lower(), "action": "removed", "value": "", "by": by})
    for entry in level.get("request_headers_to_add", ()):
        name = str(entry.get("header", {}).get("key", "")).lower()
        value = str(entry.get("header", {}).get("value", ""))
        mode = _append_mode(entry)
        present = name in headers
        if mode == "ADD_IF_ABSENT" and present or mode == "OVERWRITE_IF_EXISTS" and not present:
            continue
        headers[name] = f"{headers[name]},{value}" if present and mode == "APPEND_IF_EXISTS_OR_ADD" else value
        changes.append({"name": name, "action": "appended" if present and mode.startswith("APPEND") else "set",
                        "value": value, "by": by})


def _envoy_headers(out: Outcome, view: RequestView, timeout: int | None, rewritten: bool) -> dict[str, str]:
    headers = {k: v for k, v in view.headers.items() if not k.startswith(":")}
    added = {"x-forwarded-proto": headers["x-forwarded-proto"]}
    if "x-request-id" not in headers:
        added["x-request-id"] = "<a new UUID>"
    if not view.suppress_envoy_headers:
        if timeout:
            added["x-envoy-expected-rq-timeout-ms"] = str(timeout)
        if rewritten:
            added["x-envoy-original-path"] = view.path
    headers.update(added)
    out.changes.extend({"name": k, "action": "set", "value": v, "by": "Envoy"} for k, v in added.items())
    return headers


def _route_action(out: Outcome, route: Mapping[str, Any], view: RequestView, config: Mapping[str, Any],
                  vhost: Mapping[str, Any], envoy: EnvoyView, sources: Sources) -> None:
    action = route.get("route", {})
    out.clusters = _clusters(action, envoy, sources)
    out.path = _rewrite(route.get("match", {}), action, view.path)
    out.host_header, host_note = _host_header(action, view.host, out.clusters, envoy)
    timeout = duration_ms(action.get("timeout", "15s"))
    out.timeout = f"{timeout} ms" if timeout else "none (disabled)"
    headers = _envoy_headers(out, view, timeout, out.path != view.path)
    if host_note:
        out.changes.append({"name": "host", "action": "set", "value": out.host_header, "by": host_note})
    for level, by in ((route, "route"), (vhost, "virtual host"), (config, "route configuration")):
        _mutate(headers, out.changes, level, by)
    out.headers = [{"name": "host", "value": out.host_header}] + [{"name": k, "value": v} for k, v in headers.items()]
    out.notes.extend(n for c in out.clusters for n in c["notes"])
    out.status = 503 if out.notes else None


def _redirect(out: Outcome, route: Mapping[str, Any], view: RequestView) -> None:
    rules = route.get("redirect", {})
    scheme = "https" if rules.get("https_redirect") else str(rules.get("scheme_redirect") or view.scheme)
    host = str(rules.get("host_redirect") or view.host)
    if rules.get("port_redirect"):
        host = f"{host.rsplit(':', 1)[0]}:{rules['port_redirect']}"
    query = split_path(view.path)[1]
    if rules.get("path_redirect"):
        target = str(rules["path_redirect"])
        path = target if "?" in target else target + (f"?{query}" if query else "")
    else:
        path = _rewrite(route.get("match", {}), rules, view.path)
    if rules.get("strip_query"):
        path = split_path(path)[0]
    out.status = _REDIRECT_CODES.get(str(rules.get("response_code", "MOVED_PERMANENTLY")), 301)
    out.location = f"{scheme}://{host}{path}"


def apply_route(route: Mapping[str, Any], share: int, view: RequestView, *, config: Mapping[str, Any],
                vhost: Mapping[str, Any], envoy: EnvoyView, sources: Sources, source: str | None) -> Outcome:
    out = Outcome(share=share, kind="route", source=source, route_name=str(route.get("name", "")),
                  method=view.method)
    if "redirect" in route:
        out.kind = "redirect"
        _redirect(out, route, view)
    elif "direct_response" in route:
        out.kind = "direct_response"
        out.status = int(route["direct_response"].get("status", 200))
        out.body = str(route["direct_response"].get("body", {}).get("inline_string", ""))
    else:
        _route_action(out, route, view, config, vhost, envoy, sources)
    return out
