"""Mapping (SPEC §4.1): request match, rewrites, timeouts, weight and upstream, into an ``HttpMapping``.

Where each field lands: matching (prefix, prefix_regex, prefix_exact, case_sensitive, hostname/host/host_regex,
headers, regex_headers, query_parameters, regex_query_parameters, method) → ``HttpMapping`` match fields; rewrites
and timeouts → route action fields; ``service``, ``grpc``, ``tls``, ``connect_timeout_ms``, ``health_checks`` → its
``Upstream``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from diagd.compile.ir.mapping import HttpMapping, RegexRewrite
from diagd.compile.ir.policies import LabelGroup
from diagd.compile.ir.matches import (
    HeaderMatch, PathKind, PathMatch, QueryMatch, StringMatch, authority_for_glob,
)
from diagd.compile.kinds import policies
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.fields import Fields, type_name
from diagd.compile.kinds.health_checks import health_checks
from diagd.compile.kinds.resources import Resource
from diagd.compile.kinds.route_options import redirect_for, route_options
from diagd.compile.kinds.upstream import upstream_for
from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.regex import header_name_problem, re2_problem

__all__ = ["KIND", "parse"]

KIND = "Mapping"

_IMPLEMENTED = frozenset({
    "prefix", "prefix_regex", "prefix_exact", "case_sensitive", "hostname", "host", "host_regex", "headers",
    "regex_headers", "query_parameters", "regex_query_parameters", "method", "method_regex", "rewrite",
    "regex_rewrite", "host_rewrite", "auto_host_rewrite", "timeout_ms", "idle_timeout_ms", "connect_timeout_ms",
    "weight", "service", "precedence", "grpc", "tls", "docs", "ambassador_id", "ambassadorId",
    "add_request_headers", "add_response_headers", "remove_request_headers", "remove_response_headers", "cors",
    "allow_upgrade", "use_websocket", "load_balancer", "retry_policy", "circuit_breakers", "bypass_auth",
    "auth_context_extensions", "shadow", "host_redirect", "path_redirect", "prefix_redirect", "regex_redirect",
    "redirect_response_code", "labels", "stats_name", "cluster_tag", "add_linkerd_headers", "dns_type",
    "respect_dns_ttl", "enable_ipv4", "enable_ipv6", "keepalive", "cluster_idle_timeout_ms",
    "cluster_max_connection_lifetime_ms", "resolver",  # resolver: kinds/resolvers.py, a later step
    "health_checks", "v3health_checks",  # kept on the upstream; resolvers.py drops them from non-EDS clusters
})
# Accepted but without effect here, each with the reason users see.
_UNSUPPORTED = {
    "priority": "routing priorities are not implemented",
    "bypass_error_response_overrides": "error_response_overrides are not supported",
    "v3StatsName": "it is an internal field of Emissary's CRD conversion",
}
_REJECTED = {
    "outlier_detection": "outlier_detection is not supported (Emissary rejects it too)",
    "error_response_overrides": "error_response_overrides is not supported on Mappings; the Mapping is routed "
                                "without it",
}
_KNOWN = _IMPLEMENTED | _UNSUPPORTED.keys() | _REJECTED.keys()
_CONTROL = re.compile("[\x00\r\n]")
_PATH_OPTIONS = frozenset({"prefix_regex", "prefix_exact", "case_sensitive"})
_MATCH_KEYS = frozenset({"headers", "regex_headers", "query_parameters", "regex_query_parameters"})
_SELDOM_KEYS = frozenset({"method", "method_regex", "precedence", "auto_host_rewrite", "idle_timeout_ms",
                          "bypass_auth", "auth_context_extensions", "labels", "docs"})  # see _Seldom


def _path(fields: Fields) -> PathMatch | None:
    prefix = fields.string("prefix")
    if prefix is None:
        if "prefix" not in fields.spec:
            fields.invalid("prefix", "is required")
        return None
    if fields.spec.keys().isdisjoint(_PATH_OPTIONS):  # the usual case: a case-sensitive prefix
        return PathMatch(kind=PathKind.PREFIX, value=prefix)
    regex = fields.boolean("prefix_regex")
    exact = fields.boolean("prefix_exact")
    if regex and exact:
        fields.invalid("prefix_exact", "cannot be combined with prefix_regex")
        return None
    kind = PathKind.REGEX if regex else PathKind.EXACT if exact else PathKind.PREFIX
    return PathMatch(kind=kind, value=prefix, case_sensitive=fields.boolean("case_sensitive", True))


def _value_matches(fields: Fields, key: str, *, regex: bool) -> list[tuple[str, str | None, StringMatch]]:
    raw = fields.mapping(key) if key in fields.spec else None
    out: list[tuple[str, str | None, StringMatch]] = []
    if not raw:
        return out
    for name, value in sorted(raw.items()):
        if value is True and not regex:
            out.append((str(name), None, StringMatch.PRESENT))
        elif isinstance(value, str):
            out.append((str(name), value, StringMatch.REGEX if regex else StringMatch.EXACT))
        else:
            expected = "a regex string" if regex else "a string or true"
            fields.invalid(f"{key}.{name}", f"must be {expected}, not {type_name(value)}")
    return out


def _authority(fields: Fields, headers: list[HeaderMatch]) -> tuple[str | None, HeaderMatch | None]:
    """hostname beats host beats an ``:authority`` header; returns (hostname glob, :authority constraint)."""
    hostname = fields.string("hostname")
    host = fields.string("host")
    from_headers = next((h for h in headers if h.name == ":authority"), None) if headers else None
    if hostname is not None:
        return hostname, authority_for_glob(hostname)
    if host is not None:
        if fields.boolean("host_regex"):
            return "*", HeaderMatch(":authority", host, StringMatch.REGEX)
        if "*" in host:
            fields.invalid("host", f"{host!r} contains '*'; use hostname for globs or host_regex for regexes")
            return None, None
        return host, HeaderMatch(":authority", host)
    if from_headers is not None and from_headers.value is not None:
        return (from_headers.value if not from_headers.regex else "*"), from_headers
    return None, None


def _method(fields: Fields) -> str | None:
    method = fields.string("method")
    if method is None:
        return None
    return method if fields.boolean("method_regex") else method.upper()


def _rewrite(fields: Fields) -> tuple[str | None, RegexRewrite | None]:
    regex_rewrite = _regex_rewrite(fields)
    rewrite = fields.string("rewrite", "/")
    if regex_rewrite is not None:
        if rewrite not in ("/", "", None):
            fields.diag.notice(fields.ref, "ConflictingRewrite", "Cannot specify both rewrite and regex_rewrite: "
                               "using regex_rewrite and ignoring rewrite")
        return None, regex_rewrite
    return rewrite, None


def _docs(fields: Fields) -> dict[str, str]:
    raw = (fields.mapping("docs") if "docs" in fields.spec else None) or {}
    return {str(k): str(v) for k, v in raw.items() if isinstance(v, (str, int, float, bool))}


def _request_matches(fields: Fields) -> tuple[list[HeaderMatch], list[QueryMatch]]:
    if fields.spec.keys().isdisjoint(_MATCH_KEYS):  # the usual case: path and host only
        return [], []
    headers = [_header_match(n, v, m) for n, v, m in _value_matches(fields, "headers", regex=False)]
    headers += [_header_match(n, v, m) for n, v, m in _value_matches(fields, "regex_headers", regex=True)]
    query = [QueryMatch(n, v, m) for n, v, m in _value_matches(fields, "query_parameters", regex=False)]
    query += [QueryMatch(n, v, m) for n, v, m in _value_matches(fields, "regex_query_parameters", regex=True)]
    return headers, query


# Equal header constraints are one object, made once: many Mappings share a few (immutable) constraints.
_header_match = functools.lru_cache(maxsize=4096)(HeaderMatch)


class _Seldom(NamedTuple):
    """Fields most Mappings leave out."""

    method: str | None
    method_regex: bool
    precedence: int
    auto_host_rewrite: bool
    idle_timeout_ms: int | None
    bypass_auth: bool
    auth_context_extensions: Mapping[str, str]
    rate_limit_labels: tuple[LabelGroup, ...]
    docs: Mapping[str, str]


def _seldom(fields: Fields) -> _Seldom:
    if fields.spec.keys().isdisjoint(_SELDOM_KEYS):  # the usual case: every one of them at its default
        return _Seldom(None, False, 0, False, None, False, {}, (), {})
    return _Seldom(
        method=_method(fields), method_regex=fields.boolean("method_regex"),
        precedence=fields.integer("precedence", 0) or 0, auto_host_rewrite=fields.boolean("auto_host_rewrite"),
        idle_timeout_ms=fields.integer("idle_timeout_ms", minimum=0), bypass_auth=fields.boolean("bypass_auth"),
        auth_context_extensions=fields.string_map("auth_context_extensions") or {},
        rate_limit_labels=policies.rate_limit_labels(fields), docs=_docs(fields))


def parse(res: Resource, ctx: KindContext, diag: Diagnostics) -> HttpMapping | None:
    fields = Fields(res.spec, res.ref, diag)
    path = _path(fields)
    headers, query = _request_matches(fields)
    hostname, authority = _authority(fields, headers)
    _no_control_characters(fields, ("rewrite", "host_rewrite"))
    if headers:
        headers = [h for h in headers if h.name != ":authority"]
    rewrite, regex_rewrite = _rewrite(fields)
    host_rewrite = fields.string("host_rewrite")
    shadow = fields.boolean("shadow")
    upstream = upstream_for(fields, res, ctx, marker="shadow" if shadow else "", host_rewrite=host_rewrite)
    checks = health_checks(fields, http2=upstream.http2) if upstream is not None else ()
    if upstream is not None and checks:
        upstream = dataclasses.replace(upstream, health_checks=checks)
    redirect = redirect_for(fields, upstream.service if upstream is not None else None)
    options = route_options(fields, ctx.options.defaults, usual=ctx.route_defaults,
                            linkerd_host=f"{upstream.host}:{upstream.port}" if upstream is not None else None)
    timeout = fields.integer("timeout_ms", ctx.options.cluster_request_timeout_ms, minimum=0)
    weight = fields.integer("weight", minimum=0, maximum=100)
    _notices(fields, res.spec)
    if not fields.ok or path is None or upstream is None:
        return None
    seldom = _seldom(fields)  # read after the check: a bad one of these is reported, and the Mapping still routes
    mapping = HttpMapping(
        ref=res.ref, labels=res.labels, path=path, hostname=hostname, authority=authority, method=seldom.method,
        method_regex=seldom.method_regex, headers=tuple(headers), query=tuple(query),
        precedence=seldom.precedence, rewrite=rewrite, regex_rewrite=regex_rewrite,
        host_rewrite=host_rewrite, auto_host_rewrite=seldom.auto_host_rewrite,
        timeout_ms=timeout if timeout is not None else 3000,
        idle_timeout_ms=seldom.idle_timeout_ms, weight=weight, upstream=upstream,
        add_request_headers=options.add_request_headers, add_response_headers=options.add_response_headers,
        remove_request_headers=options.remove_request_headers,
        remove_response_headers=options.remove_response_headers, cors=options.cors,
        retry_policy=options.retry_policy, upgrades=options.upgrades, redirect=redirect, shadow=shadow,
        bypass_auth=seldom.bypass_auth, auth_context_extensions=seldom.auth_context_extensions,
        rate_limit_labels=seldom.rate_limit_labels, docs=seldom.docs,
    )
    return mapping if _envoy_safe(fields, mapping) else None


def _envoy_safe(fields: Fields, mapping: HttpMapping) -> bool:
    """Regexes RE2 accepts and header names HTTP allows: otherwise Envoy would reject the whole configuration."""
    patterns = [("prefix", mapping.path.value)] if mapping.path.kind is PathKind.REGEX else []
    patterns += [(f"match on {h.name}", h.value) for h in mapping.match_headers
                 if h.match is StringMatch.REGEX and h.value is not None]
    patterns += [(f"query {q.name}", q.value) for q in mapping.query if q.match is StringMatch.REGEX and q.value]
    if mapping.regex_rewrite is not None:
        patterns.append(("regex_rewrite.pattern", mapping.regex_rewrite.pattern))
    if mapping.redirect is not None and mapping.redirect.regex is not None:
        patterns.append(("regex_redirect.pattern", mapping.redirect.regex[0]))
    safe = True
    for where, pattern in patterns:
        problem = re2_problem(pattern)
        if problem:
            safe = False
            fields.diag.error(fields.ref, "InvalidRegex", f"{where}: {pattern!r} {problem}")
    # (:authority and :method, the other match headers, are always valid.)
    names = [h.name for h in mapping.headers]
    names += [h.name for h in (*mapping.add_request_headers, *mapping.add_response_headers)]
    for name in (*names, *mapping.remove_request_headers, *mapping.remove_response_headers):
        problem = header_name_problem(name)
        if problem:
            safe = False
            fields.diag.error(fields.ref, "InvalidHeaderName", f"{name!r} {problem}")
    return safe


def _regex_rewrite(fields: Fields) -> RegexRewrite | None:
    raw: Mapping[str, Any] | None = fields.mapping("regex_rewrite")
    if raw is None:
        return None
    pattern, substitution = raw.get("pattern"), raw.get("substitution")
    if not isinstance(pattern, str) or not isinstance(substitution, str):
        fields.invalid("regex_rewrite", "needs a string pattern and a string substitution")
        return None
    return RegexRewrite(pattern, substitution)


def _no_control_characters(fields: Fields, keys: tuple[str, ...]) -> None:
    """Envoy rejects NUL, CR and LF in rewrites (and the whole route table with them): refuse them here."""
    for key in keys:
        value = fields.spec.get(key)
        if isinstance(value, str) and _CONTROL.search(value):
            fields.invalid(key, "must not contain NUL, CR or LF characters")


def _notices(fields: Fields, spec: Mapping[str, Any]) -> None:
    if spec.keys() <= _IMPLEMENTED:  # the usual case: nothing to say
        return
    for key in sorted(_UNSUPPORTED.keys() & spec.keys()):
        fields.diag.notice(fields.ref, "UnsupportedField", f"{key} is not supported ({_UNSUPPORTED[key]}); "
                           "it is ignored")
    for key in sorted(_REJECTED.keys() & spec.keys()):
        fields.diag.error(fields.ref, "UnsupportedField", _REJECTED[key])
    fields.notice_unknown(_KNOWN)
