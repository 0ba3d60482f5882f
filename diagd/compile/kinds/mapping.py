"""Mapping (SPEC §4.1): request match, rewrites, timeouts, weight and upstream, into an ``HttpMapping``.

Where each field lands: matching (prefix, prefix_regex, prefix_exact, case_sensitive, hostname/host/host_regex,
headers, regex_headers, query_parameters, regex_query_parameters, method) → ``HttpMapping`` match fields; rewrites
and timeouts → route action fields; ``service``, ``grpc``, ``tls``, ``connect_timeout_ms`` → its ``Upstream``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagd.compile.ir.cluster import Discovery, Upstream
from diagd.compile.ir.mapping import HttpMapping, RegexRewrite
from diagd.compile.ir.matches import (
    HeaderMatch, PathKind, PathMatch, QueryMatch, StringMatch, authority_for_glob,
)
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.fields import Fields, type_name
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.service import ServiceError, is_ip_literal, parse_service, qualify_host

__all__ = ["KIND", "parse", "upstream_for"]

KIND = "Mapping"

_IMPLEMENTED = frozenset({
    "prefix", "prefix_regex", "prefix_exact", "case_sensitive", "hostname", "host", "host_regex", "headers",
    "regex_headers", "query_parameters", "regex_query_parameters", "method", "rewrite", "regex_rewrite",
    "host_rewrite", "auto_host_rewrite", "timeout_ms", "idle_timeout_ms", "connect_timeout_ms", "weight", "service",
    "precedence", "grpc", "tls", "docs", "ambassador_id", "ambassadorId", "resolver",
})
_NOT_YET = frozenset({
    "add_request_headers", "add_response_headers", "remove_request_headers", "remove_response_headers", "cors",
    "allow_upgrade", "use_websocket", "load_balancer", "retry_policy", "circuit_breakers", "bypass_auth",
    "auth_context_extensions", "shadow", "host_redirect", "path_redirect", "prefix_redirect", "regex_redirect",
    "redirect_response_code", "labels", "stats_name", "cluster_tag", "add_linkerd_headers", "health_checks",
    "method_regex", "dns_type", "respect_dns_ttl", "enable_ipv4", "enable_ipv6", "keepalive",
    "cluster_idle_timeout_ms", "cluster_max_connection_lifetime_ms", "priority", "outlier_detection",
    "error_response_overrides", "bypass_error_response_overrides", "v3StatsName", "v3health_checks",
})


def _path(fields: Fields) -> PathMatch | None:
    prefix = fields.string("prefix")
    if prefix is None:
        fields.invalid("prefix", "is required")
        return None
    regex = fields.boolean("prefix_regex")
    exact = fields.boolean("prefix_exact")
    if regex and exact:
        fields.invalid("prefix_exact", "cannot be combined with prefix_regex")
        return None
    kind = PathKind.REGEX if regex else PathKind.EXACT if exact else PathKind.PREFIX
    return PathMatch(kind=kind, value=prefix, case_sensitive=fields.boolean("case_sensitive", True))


def _value_matches(fields: Fields, key: str, *, regex: bool) -> list[tuple[str, str | None, StringMatch]]:
    raw = fields.mapping(key)
    out: list[tuple[str, str | None, StringMatch]] = []
    for name, value in sorted((raw or {}).items()):
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
    from_headers = next((h for h in headers if h.name == ":authority"), None)
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


def upstream_for(fields: Fields, res: Resource, ctx: KindContext) -> Upstream | None:
    service = fields.string("service")
    if service is None:
        fields.invalid("service", "is required")
        return None
    tls_field = res.spec.get("tls")
    parsed = parse_service(service, tls=bool(tls_field))
    if isinstance(parsed, ServiceError):
        fields.ok = False
        fields.diag.error(res.ref, parsed.reason, parsed.message)
        return None
    ip = is_ip_literal(parsed.host)
    host = parsed.host if ip else qualify_host(parsed.host, namespace=res.namespace,
                                                own_namespace=ctx.settings.namespace)
    return Upstream(
        service=service, host=host, port=parsed.port,
        discovery=Discovery.STATIC if ip else Discovery.STRICT_DNS, namespace=res.namespace,
        tls_origination=parsed.tls or tls_field is True, http2=fields.boolean("grpc"),
        connect_timeout_ms=fields.integer("connect_timeout_ms", 3000, minimum=0) or 3000,
    )


def parse(res: Resource, ctx: KindContext, diag: Diagnostics) -> HttpMapping | None:
    fields = Fields(res.spec, res.ref, diag)
    path = _path(fields)
    headers = [HeaderMatch(n, v, m) for n, v, m in _value_matches(fields, "headers", regex=False)]
    headers += [HeaderMatch(n, v, m) for n, v, m in _value_matches(fields, "regex_headers", regex=True)]
    query = [QueryMatch(n, v, m) for n, v, m in _value_matches(fields, "query_parameters", regex=False)]
    query += [QueryMatch(n, v, m) for n, v, m in _value_matches(fields, "regex_query_parameters", regex=True)]
    hostname, authority = _authority(fields, headers)
    _no_control_characters(fields, ("rewrite", "host_rewrite"))
    headers = [h for h in headers if h.name != ":authority"]
    regex_rewrite = _regex_rewrite(fields)
    upstream = upstream_for(fields, res, ctx)
    timeout = fields.integer("timeout_ms", ctx.options.cluster_request_timeout_ms, minimum=0)
    weight = fields.integer("weight", minimum=0, maximum=100)
    method = fields.string("method")
    _notices(fields, res.spec)
    if not fields.ok or path is None or upstream is None:
        return None
    return HttpMapping(
        ref=res.ref, labels=res.labels, path=path, hostname=hostname, authority=authority,
        method=method.upper() if method else None, headers=tuple(headers), query=tuple(query),
        precedence=fields.integer("precedence", 0) or 0, rewrite=fields.string("rewrite", "/"),
        regex_rewrite=regex_rewrite, host_rewrite=fields.string("host_rewrite"),
        auto_host_rewrite=fields.boolean("auto_host_rewrite"),
        timeout_ms=timeout if timeout is not None else 3000,
        idle_timeout_ms=fields.integer("idle_timeout_ms", minimum=0), weight=weight, upstream=upstream,
    )


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
        if isinstance(value, str) and any(ch in value for ch in "\x00\r\n"):
            fields.invalid(key, "must not contain NUL, CR or LF characters")


def _notices(fields: Fields, spec: Mapping[str, Any]) -> None:
    fields.notice_unsupported(_NOT_YET & spec.keys(), "not implemented yet")
    fields.notice_unknown(_IMPLEMENTED | _NOT_YET)
