"""Explain a request: which route Envoy picks for it and why, which routes it passes over and why, and what goes
upstream. Pure: computed from the compiled Envoy configuration (listeners, route configurations, clusters), so it
answers for exactly what Envoy was given, whatever compiler feature produced it.

The walk is Envoy's: listener → filter chain (TLS by SNI, or cleartext) → HTTP connection manager (path
normalisation, X-Forwarded-Proto) → virtual host by domain → routes in order, where the first match wins. A route
with a ``runtime_fraction`` takes only its share of the requests and lets the rest fall through, so a canary group
explains as a split. The action is then applied: cluster (or weighted clusters), path and host rewrites, headers
added and removed, timeout; or a redirect, or a direct response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diagd.envoy_match import Check, match_header, match_path, match_query, pick_domain, runtime_share
from diagd.explain_action import Outcome, apply_route, no_route
from diagd.explain_request import ExplainRequest, RequestView, chain_for, hcm_of, pick_listener, request_view

__all__ = ["explain", "Explanation", "RouteCheck", "ExplainRequest", "Outcome", "EnvoyView", "Sources"]

READY_LISTENER_PREFIX = "ambassador-listener-ready-"


@dataclass(frozen=True, slots=True)
class EnvoyView:
    """The compiled Envoy configuration the explanation is computed from."""

    listeners: Sequence[Mapping[str, Any]]
    route_configs: Sequence[Mapping[str, Any]]
    clusters: Sequence[Mapping[str, Any]]

    def user_listeners(self) -> list[Mapping[str, Any]]:
        return [lst for lst in self.listeners if not str(lst.get("name", "")).startswith(READY_LISTENER_PREFIX)]

    def route_config(self, name: str) -> Mapping[str, Any] | None:
        return next((rc for rc in self.route_configs if rc.get("name") == name), None)

    def cluster(self, name: str) -> Mapping[str, Any] | None:
        return next((c for c in self.clusters if c.get("name") == name), None)


@dataclass(frozen=True, slots=True)
class Sources:
    """Which resource produced what: Envoy route name → Mapping key, virtual host name → Host key."""

    routes: Mapping[str, str] = field(default_factory=dict)
    vhosts: Mapping[str, str] = field(default_factory=dict)
    health: Mapping[str, Any] = field(default_factory=dict)  # cluster name → ClusterHealth, when Envoy answered


@dataclass(slots=True)
class RouteCheck:
    index: int
    name: str
    source: str | None
    matched: bool
    checks: list[Check]
    fraction: int | None
    takes: int = 0
    reached: bool = True

    @property
    def why_not(self) -> str:
        failed = [c.why for c in self.checks if not c.ok]
        return failed[0] if failed else ""

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "source": self.source, "matched": self.matched,
                "fraction": self.fraction, "takes": self.takes, "reached": self.reached, "why_not": self.why_not,
                "checks": [{"ok": c.ok, "why": c.why} for c in self.checks]}


@dataclass(slots=True)
class Explanation:
    request: RequestView
    steps: list[Check] = field(default_factory=list)
    listener: str | None = None
    chain: str | None = None
    route_config: str | None = None
    virtual_host: str | None = None
    virtual_host_source: str | None = None
    routes: list[RouteCheck] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return any(o.kind != "no_route" for o in self.outcomes)

    @property
    def verdict(self) -> str:
        if not self.outcomes:
            return "Envoy cannot take this request: " + (self.steps[-1].why if self.steps else "no listener")
        return "; ".join(o.summary for o in self.outcomes)

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.request.to_json(), "matched": self.matched, "verdict": self.verdict,
            "steps": [{"ok": s.ok, "why": s.why} for s in self.steps], "listener": self.listener,
            "chain": self.chain, "route_config": self.route_config, "virtual_host": self.virtual_host,
            "virtual_host_source": self.virtual_host_source, "routes": [r.to_json() for r in self.routes],
            "outcomes": [o.to_json() for o in self.outcomes],
        }


def _check_route(index: int, route: Mapping[str, Any], view: RequestView, sources: Sources) -> RouteCheck:
    match = route.get("match", {})
    checks = [match_path(match, view.path)]
    checks += [match_header(h, view.headers) for h in match.get("headers", ())]
    checks += [match_query(q, view.query) for q in match.get("query_parameters", ())]
    name = str(route.get("name", f"#{index}"))
    return RouteCheck(index=index, name=name, source=sources.routes.get(name), matched=all(c.ok for c in checks),
                      checks=checks, fraction=runtime_share(match))


def _walk_routes(explanation: Explanation, routes: Sequence[Mapping[str, Any]], config: Mapping[str, Any],
                 vhost: Mapping[str, Any], envoy: EnvoyView, sources: Sources) -> None:
    """First match wins; a route with a runtime fraction takes the draws below its share that are still free."""
    taken = 0
    view = explanation.request
    for index, route in enumerate(routes):
        check = _check_route(index, route, view, sources)
        if taken >= 100:
            check.reached = False
        elif check.matched:
            share = check.fraction if check.fraction is not None else 100
            check.takes = max(0, share - taken)
            if check.takes:
                explanation.outcomes.append(apply_route(route, check.takes, view, config=config, vhost=vhost,
                                                        envoy=envoy, sources=sources, source=check.source))
            taken = max(taken, share)
        explanation.routes.append(check)
    if taken < 100:
        explanation.outcomes.append(no_route(100 - taken, bool(routes)))


def _route_config_of(explanation: Explanation, chain: Mapping[str, Any], envoy: EnvoyView) -> Mapping[str, Any] | None:
    hcm = hcm_of(chain)
    if hcm is None:
        explanation.steps.append(Check(False, "this filter chain has no HTTP connection manager"))
        return None
    if "route_config" in hcm:
        return hcm["route_config"]  # type: ignore[no-any-return]
    name = str(hcm.get("rds", {}).get("route_config_name", ""))
    config = envoy.route_config(name)
    if config is None:
        explanation.steps.append(Check(False, f"route configuration {name!r} is missing from the compiled config"))
    return config


def explain(request: ExplainRequest, envoy: EnvoyView, sources: Sources | None = None) -> Explanation:
    sources = sources or Sources()
    listener, why = pick_listener(request, envoy.user_listeners())
    explanation = Explanation(request=request_view(request, None, None), steps=[why])
    if listener is None:
        return explanation
    explanation.listener = str(listener.get("name"))
    chain, why = chain_for(listener, request)
    explanation.steps.append(why)
    if chain is None:
        return explanation
    explanation.chain = str(chain.get("name", ""))
    config = _route_config_of(explanation, chain, envoy)
    if config is None:
        return explanation
    explanation.route_config = str(config.get("name", ""))
    view = request_view(request, listener, hcm_of(chain))
    explanation.request = view
    explanation.steps.extend(view.notes)
    vhosts = list(config.get("virtual_hosts", ()))
    index, _domain, picked = pick_domain(vhosts, view.host_for_domains)
    explanation.steps.append(Check(index is not None, picked))
    if index is None:
        explanation.outcomes.append(no_route(100, False, no_vhost=True))
        return explanation
    vhost = vhosts[index]
    explanation.virtual_host = str(vhost.get("name", ""))
    explanation.virtual_host_source = sources.vhosts.get(explanation.virtual_host)
    _walk_routes(explanation, list(vhost.get("routes", ())), config, vhost, envoy, sources)
    return explanation
