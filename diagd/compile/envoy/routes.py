"""Route configurations: one per filter chain, one virtual host per Host, routes in group order.

A route is rendered once per (group member, x-forwarded-proto condition, action) and shared by every virtual host
that has it.
"""

from __future__ import annotations

import functools
from typing import Any

from diagd.compile.envoy.common import duration, headers_to_add, string_match, typed
from diagd.compile.envoy.http_filters import CORS
from diagd.compile.envoy.route_services import decorate_route
from diagd.compile.ir.gateway import Gateway, RouteAction, RouteVariant, VirtualHost
from diagd.compile.ir.groups import GroupMember, RouteGroup
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.matches import HeaderMatch, PathKind, QueryMatch, StringMatch
from diagd.compile.memo import CompileMemo, RenderedGroups
from diagd.compile.ir.policies import REDIRECT_CODES, CorsPolicy, HashOn, LoadBalancer, Redirect

__all__ = ["render_route_configs", "render_route", "header_matcher"]


@functools.lru_cache(maxsize=4096)
def header_matcher(header: HeaderMatch) -> dict[str, Any]:
    """(One dict per distinct constraint, shared by the routes that have it: rendered output is never changed.)"""
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
            "runtime_key": f"routing.traffic_shift.{member.cluster or mapping.ref.name}",
        }
    return match


def _hash_policy(lb: LoadBalancer) -> list[dict[str, Any]]:
    if lb.hash_on is HashOn.HEADER:
        return [{"header": {"header_name": lb.header}}]
    if lb.hash_on is HashOn.SOURCE_IP:
        return [{"connection_properties": {"source_ip": True}}]
    cookie: dict[str, Any] = {"name": lb.cookie_name}
    if lb.cookie_path:
        cookie["path"] = lb.cookie_path
    if lb.cookie_ttl_ms is not None:
        cookie["ttl"] = duration(lb.cookie_ttl_ms)
    return [{"cookie": cookie}]


def _route_action(mapping: HttpMapping, cluster: str, group: RouteGroup) -> dict[str, Any]:
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
    retry = mapping.retry_policy
    if retry is not None:
        action["retry_policy"] = {k: v for k, v in (
            ("retry_on", retry.retry_on), ("num_retries", retry.num_retries),
            ("per_try_timeout", duration(retry.per_try_timeout_ms) if retry.per_try_timeout_ms is not None else None),
        ) if v is not None}
    if mapping.upgrades:
        action["upgrade_configs"] = [{"upgrade_type": u} for u in mapping.upgrades]
    lb = mapping.upstream.load_balancer
    if lb is not None and lb.hash_on is not None:
        action["hash_policy"] = _hash_policy(lb)
    if group.shadows:
        action["request_mirror_policies"] = [
            {"cluster": s.cluster, "runtime_fraction": {"default_value": {"numerator": s.percent,
                                                                          "denominator": "HUNDRED"}}}
            for s in group.shadows]
    return action


def _redirect(redirect: Redirect) -> dict[str, Any]:
    host = redirect.host
    out: dict[str, Any] = {}
    if "://" in host:
        scheme, host = host.split("://", 1)
        if scheme.lower() == "https":
            out["https_redirect"] = True
    out["host_redirect"] = host
    if redirect.path is not None:
        out["path_redirect"] = redirect.path
    elif redirect.prefix is not None:
        out["prefix_rewrite"] = redirect.prefix
    elif redirect.regex is not None:
        out["regex_rewrite"] = {"pattern": {"regex": redirect.regex[0]}, "substitution": redirect.regex[1]}
    if redirect.response_code != 301:
        out["response_code"] = REDIRECT_CODES[redirect.response_code]
    return out


@functools.lru_cache(maxsize=1024)
def _cors(policy: CorsPolicy) -> dict[str, Any]:
    """(One dict per distinct policy, shared by the routes that have it: rendered output is never changed.)"""
    config: dict[str, Any] = {}
    if policy.origins:
        config["allow_origin_string_match"] = [{"safe_regex": {"regex": ".*"}} if o == "*" else {"exact": o}
                                               for o in policy.origins]
    for key, values in (("allow_methods", policy.methods), ("allow_headers", policy.headers),
                        ("expose_headers", policy.exposed_headers)):
        if values:
            config[key] = ", ".join(values)
    if policy.max_age is not None:
        config["max_age"] = policy.max_age
    if policy.credentials is not None:
        config["allow_credentials"] = policy.credentials
    return typed("envoy.extensions.filters.http.cors.v3.CorsPolicy", **config)


def _decorate(route: dict[str, Any], mapping: HttpMapping) -> None:
    """Header edits and per-route filter settings, which apply whether the route proxies or redirects."""
    if mapping.add_request_headers:
        route["request_headers_to_add"] = headers_to_add(mapping.add_request_headers)
    if mapping.add_response_headers:
        route["response_headers_to_add"] = headers_to_add(mapping.add_response_headers)
    if mapping.remove_request_headers:
        route["request_headers_to_remove"] = list(mapping.remove_request_headers)
    if mapping.remove_response_headers:
        route["response_headers_to_remove"] = list(mapping.remove_response_headers)
    if mapping.cors is not None:
        route["typed_per_filter_config"] = {CORS: _cors(mapping.cors)}


def render_route(member: GroupMember, xfp: str | None, action: RouteAction,
                 group: RouteGroup | None = None, match: dict[str, Any] | None = None) -> dict[str, Any]:
    """``match``: the route's match when already rendered (a member's variants with the same condition share it)."""
    mapping = member.mapping
    route: dict[str, Any] = {"name": f"{mapping.ref.namespace}.{mapping.ref.name}",
                             "match": match if match is not None else _match(mapping, member, xfp)}
    if action is RouteAction.REDIRECT_HTTPS:
        route["redirect"] = {"https_redirect": True}
        return route
    if mapping.redirect is not None:
        route["redirect"] = _redirect(mapping.redirect)
    else:
        route["route"] = _route_action(mapping, member.cluster, group or RouteGroup("", (member,)))
    _decorate(route, mapping)
    return route


def _route(gateway: Gateway, variant: RouteVariant, memo: CompileMemo,
           matches: dict[tuple[int, int, str | None], dict[str, Any]]) -> dict[str, Any]:
    group = gateway.group_index[variant.group]
    key = (id(group), variant.member, variant.xfp, variant.action)
    route = memo.routes.find(key, group)
    if route is not None:
        return route
    member = group.members[variant.member]
    match_key = key[:3]  # a redirect and a route of one member, on two chains, match alike
    match = matches.get(match_key)
    if match is None:
        match = matches[match_key] = _match(member.mapping, member, variant.xfp)
    route = render_route(member, variant.xfp, variant.action, group, match)
    decorate_route(route, member.mapping, variant.action, gateway)
    return memo.routes.put(key, group, route)


def _virtual_host(gateway: Gateway, config: str, vhost: VirtualHost, groups: RenderedGroups,
                  memo: CompileMemo, matches: dict[tuple[int, int, str | None], dict[str, Any]]) -> dict[str, Any]:
    head = {"name": vhost.name, "domains": list(vhost.domains)}
    return memo.vhost_dicts.get((config, vhost.name), vhost.routes, vhost.group_ids, groups, head,
                                lambda i: _route(gateway, vhost.routes[i], memo, matches))


def render_route_configs(gateway: Gateway, memo: CompileMemo | None = None) -> tuple[dict[str, Any], ...]:
    """One route configuration per HTTP filter chain. A route is rendered once per (group, member, condition,
    action) and shared by every virtual host that has it; with a memo, unchanged virtual hosts and routes from the
    previous compile are reused as they are."""
    own = memo if memo is not None else CompileMemo()
    changes = own.group_changes
    groups = RenderedGroups(gateway.groups, gateway.group_index,
                            changes if changes is not None and changes.after is gateway.groups else None)
    configs: dict[str, dict[str, Any]] = {}
    matches: dict[tuple[int, int, str | None], dict[str, Any]] = {}  # rendered matches, by (group, member, xfp)
    for plan in gateway.listeners:
        for chain in plan.chains:
            if chain.tcp is None and chain.route_config not in configs:  # chains may share one (see plan)
                configs[chain.route_config] = {"name": chain.route_config, "virtual_hosts": [
                    _virtual_host(gateway, chain.route_config, vh, groups, own, matches) for vh in chain.virtual_hosts]}
    return tuple(configs[name] for name in sorted(configs))
