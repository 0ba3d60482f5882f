"""Route configurations: one per filter chain, one virtual host per Host, routes in group order."""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.common import duration, string_match
from diagd.compile.ir.gateway import FilterChain, Gateway, RouteAction, RouteVariant
from diagd.compile.ir.groups import GroupMember
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.matches import HeaderMatch, PathKind, QueryMatch, StringMatch

__all__ = ["render_route_configs", "render_route", "header_matcher"]


def header_matcher(header: HeaderMatch) -> dict[str, Any]:
    if header.match is StringMatch.PRESENT:
        return {"name": header.name, "present_match": True}
    return {"name": header.name, "string_match": string_match(header.match.value, header.value)}


def _query_matcher(query: QueryMatch) -> dict[str, Any]:
    if query.match is StringMatch.PRESENT:
        return {"name": query.name, "present_match": True}
    return {"name": query.name, "string_match": string_match(query.match.value, query.value)}


def _match(mapping: HttpMapping, member: GroupMember, xfp: str | None) -> dict[str, Any]:
    path = mapping.path
    match: dict[str, Any]
    if path.kind is PathKind.REGEX:
        match = {"safe_regex": {"regex": path.value}}
    elif path.kind is PathKind.EXACT:
        match = {"path": path.value}
    else:
        match = {"prefix": path.value}
    if not path.case_sensitive:
        match["case_sensitive"] = False
    headers = [header_matcher(h) for h in mapping.match_headers]
    if xfp is not None:
        headers.append({"name": "x-forwarded-proto", "string_match": {"exact": xfp}})
    if headers:
        match["headers"] = headers
    if mapping.query:
        match["query_parameters"] = [_query_matcher(q) for q in mapping.query]
    if member.fraction is not None:
        match["runtime_fraction"] = {
            "default_value": {"numerator": member.fraction, "denominator": "HUNDRED"},
            "runtime_key": f"routing.traffic_shift.{member.cluster}",
        }
    return match


def _route_action(mapping: HttpMapping, cluster: str) -> dict[str, Any]:
    action: dict[str, Any] = {"cluster": cluster, "timeout": duration(mapping.timeout_ms)}
    if mapping.regex_rewrite is not None:
        action["regex_rewrite"] = {"pattern": {"regex": mapping.regex_rewrite.pattern},
                                   "substitution": mapping.regex_rewrite.substitution}
    elif mapping.rewrite:
        action["prefix_rewrite"] = mapping.rewrite
    if mapping.host_rewrite:
        action["host_rewrite_literal"] = mapping.host_rewrite
    elif mapping.auto_host_rewrite:
        action["auto_host_rewrite"] = True
    if mapping.idle_timeout_ms is not None:
        action["idle_timeout"] = duration(mapping.idle_timeout_ms)
    return action


def render_route(member: GroupMember, xfp: str | None, action: RouteAction) -> dict[str, Any]:
    mapping = member.mapping
    route: dict[str, Any] = {"name": f"{mapping.ref.namespace}.{mapping.ref.name}",
                             "match": _match(mapping, member, xfp)}
    if action is RouteAction.REDIRECT_HTTPS:
        route["redirect"] = {"https_redirect": True}
    else:
        route["route"] = _route_action(mapping, member.cluster)
    return route


def _render_chain(chain: FilterChain, gateway: Gateway,
                  cache: dict[RouteVariant, dict[str, Any]]) -> dict[str, Any]:
    vhosts = []
    for vhost in chain.virtual_hosts:
        routes = []
        for variant in vhost.routes:
            key = RouteVariant(variant.group, variant.member, variant.xfp, variant.action)
            if key not in cache:
                member = gateway.groups[variant.group].members[variant.member]
                cache[key] = render_route(member, variant.xfp, variant.action)
            routes.append(cache[key])
        vhosts.append({"name": vhost.name, "domains": list(vhost.domains), "routes": routes})
    return {"name": chain.route_config, "virtual_hosts": vhosts}


def render_route_configs(gateway: Gateway) -> tuple[dict[str, Any], ...]:
    cache: dict[RouteVariant, dict[str, Any]] = {}
    configs = [_render_chain(chain, gateway, cache) for plan in gateway.listeners for chain in plan.chains]
    return tuple(sorted(configs, key=lambda c: str(c["name"])))
