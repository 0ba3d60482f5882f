"""AuthService (SPEC §4.6) → ``AuthService`` IR: who authorizes requests, over which protocol, seeing what.

Several AuthServices are one auth service load-balanced over their addresses, so all settings but the address must
agree: one that disagrees with the first is rejected. When AuthServices exist but none is usable, the gateway
answers 500 (``AuthFailure``) rather than letting requests through unchecked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from diagd.compile.ir.auth import (
    ALWAYS_ALLOWED_AUTHORIZATION_HEADERS, ALWAYS_ALLOWED_REQUEST_HEADERS, AUTH_PROTOCOLS, AuthFailure, AuthService,
    RequestBody,
)
from diagd.compile.ir.cluster import Discovery
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.external import COMMON_FIELDS, require_v3, service_upstream
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.regex import header_name_problem
from diagd.compile.model.service import is_ip_literal

__all__ = ["KIND", "parse", "combine", "auth_services"]

KIND = "AuthService"

_KNOWN = COMMON_FIELDS | {
    "auth_service", "proto", "protocol_version", "path_prefix", "timeout_ms", "allowed_request_headers",
    "allowed_authorization_headers", "include_body", "allow_request_body", "status_on_error", "failure_mode_allow",
    "add_auth_headers", "add_linkerd_headers",
}
# The HTTP status codes Envoy can answer with (envoy.type.v3.StatusCode).
ENVOY_STATUS_CODES = frozenset({
    100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402,
    403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 426, 428, 429,
    431, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
})


def _headers(fields: Fields, key: str, always: tuple[str, ...]) -> tuple[str, ...]:
    names = [n.lower() for n in fields.string_list(key)]
    for name in names:
        problem = header_name_problem(name)
        if problem:
            fields.invalid(key, f"{name!r} {problem}")
    return tuple(sorted(set(names) | set(always)))


def _added_headers(fields: Fields) -> tuple[tuple[str, str], ...]:
    added = fields.string_map("add_auth_headers") or {}
    for name in sorted(added):
        problem = header_name_problem(name)
        if problem:
            fields.invalid("add_auth_headers", f"{name!r} {problem}")
    return tuple(sorted(added.items()))


def _body(fields: Fields) -> RequestBody | None:
    raw: Mapping[str, Any] | None = fields.mapping("include_body")
    allow_request_body = fields.boolean("allow_request_body")
    if raw is None:
        return RequestBody(4096, True) if allow_request_body else None
    if allow_request_body:
        fields.diag.notice(fields.ref, "InertField", "allow_request_body is ignored since include_body is present")
    sub = Fields(raw, fields.ref, fields.diag)
    max_bytes = sub.integer("max_bytes", minimum=1)
    if max_bytes is None:
        fields.invalid("include_body.max_bytes", "is required: a number of bytes of at least 1")
    fields.ok = fields.ok and sub.ok
    return RequestBody(max_bytes or 1, sub.boolean("allow_partial"))


def _status_on_error(fields: Fields) -> int | None:
    raw: Mapping[str, Any] | None = fields.mapping("status_on_error")
    if raw is None:
        return None
    code = raw.get("code")
    if isinstance(code, bool) or not isinstance(code, int) or code not in ENVOY_STATUS_CODES:
        fields.invalid("status_on_error.code", f"must be an HTTP status code Envoy knows, not {code!r}")
        return None
    return code


def _path_prefix(fields: Fields) -> str:
    prefix = fields.string("path_prefix", "") or ""
    if prefix and (not prefix.startswith("/") or any(ch in prefix for ch in "?# \r\n\x00")):
        fields.invalid("path_prefix", f"must be a path starting with '/', not {prefix!r}")
    return prefix


def _proto(fields: Fields, res: Resource) -> str | None:
    proto = fields.string("proto", "http") or "http"
    if proto not in AUTH_PROTOCOLS:
        fields.ok = False
        fields.diag.error(res.ref, "UnsupportedProtocol", f"AuthService proto {proto!r} is not supported: use "
                          "http or grpc")
        return None
    if proto == "grpc" and not require_v3(fields, res):
        return None
    return proto


def parse(res: Resource, ctx: KindContext, diag: Diagnostics) -> AuthService | None:
    fields = Fields(res.spec, res.ref, diag)
    proto = _proto(fields, res)
    upstream = service_upstream(fields, res, ctx, key="auth_service", marker="extauth", http2=proto == "grpc")
    request_headers = _headers(fields, "allowed_request_headers", ALWAYS_ALLOWED_REQUEST_HEADERS)
    authorization_headers = _headers(fields, "allowed_authorization_headers", ALWAYS_ALLOWED_AUTHORIZATION_HEADERS)
    path_prefix, body, status = _path_prefix(fields), _body(fields), _status_on_error(fields)
    timeout = fields.integer("timeout_ms", 5000, minimum=1) or 5000
    add_headers = _added_headers(fields)
    allow, linkerd = fields.boolean("failure_mode_allow"), fields.boolean("add_linkerd_headers",
                                                                          ctx.options.defaults.add_linkerd_headers)
    fields.notice_unknown(_KNOWN)
    if not fields.ok or proto is None or upstream is None:
        return None
    return AuthService(
        sources=(res.ref,), proto=proto, upstream=upstream, path_prefix=path_prefix, timeout_ms=timeout,
        allowed_request_headers=request_headers, allowed_authorization_headers=authorization_headers,
        add_auth_headers=add_headers, body=body, failure_mode_allow=allow, status_on_error=status,
        add_linkerd_headers=linkerd,
    )


def _shared(service: AuthService) -> AuthService:
    """The settings several AuthServices must agree on: everything but where the service is."""
    upstream = dataclasses.replace(service.upstream, service="", host="", port=0, discovery=Discovery.STATIC,
                                   sni=None)
    return dataclasses.replace(service, sources=(), upstream=upstream)


def _differences(first: AuthService, other: AuthService) -> list[str]:
    a, b = _shared(first), _shared(other)
    return [f.name if f.name != "upstream" else "tls and cluster settings" for f in dataclasses.fields(a)
            if getattr(a, f.name) != getattr(b, f.name)]


def combine(services: Sequence[AuthService], diag: Diagnostics) -> AuthService | None:
    """One load-balanced AuthService from compatible ones; the first one's settings win."""
    if not services:
        return None
    first, kept = services[0], [services[0]]
    for other in services[1:]:
        differences = _differences(first, other)
        if differences:
            diag.error(other.sources[0], "ConflictingAuthService",
                       f"AuthServices are load-balanced as one, but this one's {', '.join(differences)} differ "
                       f"from {first.sources[0].describe()}; it is not used")
            continue
        kept.append(other)
    addresses = list(dict.fromkeys((s.upstream.host, s.upstream.port) for s in kept))
    discovery = first.upstream.discovery
    if discovery is Discovery.STATIC and not all(is_ip_literal(host) for host, _ in addresses):
        discovery = Discovery.STRICT_DNS
    upstream = dataclasses.replace(first.upstream, more_endpoints=tuple(addresses[1:]), discovery=discovery)
    return dataclasses.replace(first, sources=tuple(s.sources[0] for s in kept), upstream=upstream)


def auth_services(resources: Sequence[Resource], ctx: KindContext,
                  diag: Diagnostics) -> tuple[AuthService | None, AuthFailure | None]:
    """The gateway's auth service, or, when AuthServices exist but none is usable, the failure that stands in."""
    parsed = [parse(res, ctx, diag) for res in resources]
    usable = [s for s in parsed if s is not None]
    if usable:
        return combine(usable, diag), None
    if not resources:
        return None, None
    for res in resources:
        diag.notice(res.ref, "AuthServiceUnusable", "no AuthService is usable, so every request is answered 500 "
                    "until this one is fixed")
    return None, AuthFailure(tuple(res.ref for res in resources))
