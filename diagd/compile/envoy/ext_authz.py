"""AuthService → Envoy's ``ext_authz`` HTTP filter (HTTP or gRPC), and its per-route settings.

The filter clears the route cache after a check, so a header the auth service adds can change the route chosen.
Routes that must never be checked (``bypass_auth``, redirects, ACME challenges) disable it per route; a Mapping's
``auth_context_extensions`` travel to a gRPC auth service in each check. A misconfigured AuthService becomes a
small Lua filter that answers 500 with a JSON body naming it (as Emissary does), except for the probes.
"""

from __future__ import annotations

import json
from typing import Any

from diagd.compile.envoy.common import duration, typed
from diagd.compile.envoy.http_filters import HttpFilter, register
from diagd.compile.ir.auth import AuthFailure, AuthService
from diagd.compile.ir.gateway import Gateway, RouteAction
from diagd.compile.ir.listener import Listener
from diagd.compile.ir.mapping import HttpMapping

__all__ = ["EXT_AUTHZ", "AUTH_FAILURE", "authz_route_config", "render_ext_authz", "render_auth_failure"]

EXT_AUTHZ = "envoy.filters.http.ext_authz"
AUTH_FAILURE = "envoy.filters.http.lua.authservice_misconfigured"
_EXT_AUTHZ_TYPE = "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz"
_PER_ROUTE_TYPE = "envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute"
_PROBES = ("/ambassador/v0/check_alive", "/ambassador/v0/check_ready")


def _patterns(names: tuple[str, ...]) -> dict[str, Any]:
    return {"patterns": [{"exact": name, "ignore_case": True} for name in names]}


def _http_service(auth: AuthService) -> dict[str, Any]:
    scheme = "https" if auth.upstream.tls_origination else "http"
    headers_to_add = [{"key": k, "value": v} for k, v in auth.add_auth_headers]
    if auth.add_linkerd_headers:
        headers_to_add.append({"key": "l5d-dst-override", "value": auth.linkerd_host})
    service: dict[str, Any] = {
        "server_uri": {"uri": f"{scheme}://{auth.linkerd_host}", "cluster": auth.cluster,
                       "timeout": duration(auth.timeout_ms)},
        "path_prefix": auth.path_prefix,
        "authorization_response": {"allowed_upstream_headers": _patterns(auth.allowed_authorization_headers),
                                   "allowed_client_headers": _patterns(auth.allowed_authorization_headers)},
    }
    if headers_to_add:
        service["authorization_request"] = {"headers_to_add": headers_to_add}
    return service


def render_ext_authz(auth: AuthService) -> dict[str, Any]:
    config: dict[str, Any] = {"transport_api_version": "V3", "clear_route_cache": True}
    if auth.proto == "grpc":
        config["grpc_service"] = {"envoy_grpc": {"cluster_name": auth.cluster}, "timeout": duration(auth.timeout_ms)}
    else:
        config["http_service"] = _http_service(auth)
        config["allowed_headers"] = _patterns(auth.allowed_request_headers)
    if auth.body is not None:
        config["with_request_body"] = {"max_request_bytes": auth.body.max_bytes,
                                       "allow_partial_message": auth.body.allow_partial}
    if auth.failure_mode_allow:
        config["failure_mode_allow"] = True
    if auth.status_on_error is not None:
        config["status_on_error"] = {"code": auth.status_on_error}
    return typed(_EXT_AUTHZ_TYPE, **config)


def _lua_string(text: str) -> str:
    """``text`` as a Lua long-bracket string literal, which needs no escapes."""
    level = 0
    while f"]{'=' * level}" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def render_auth_failure(failure: AuthFailure) -> dict[str, Any]:
    before = '{"message": ' + json.dumps(failure.message) + ', "request_id": "'
    after = '", "status_code": 500}\n'
    code = "\n".join([
        "function envoy_on_request(handle)",
        '  local path = handle:headers():get(":path")',
        "  if " + " or ".join(f"path == {_lua_string(p)}" for p in _PROBES) + " then return end",
        '  local id = string.gsub(handle:headers():get("x-request-id") or "", "[^%w%-]", "")',
        '  handle:respond({[":status"] = "500", ["content-type"] = "application/json"},',
        f"                 {_lua_string(before)} .. id .. {_lua_string(after)})",
        "end",
        "",
    ])
    return typed("envoy.extensions.filters.http.lua.v3.Lua", default_source_code={"inline_string": code})


def authz_route_config(mapping: HttpMapping, action: RouteAction) -> dict[str, Any] | None:
    """The route's ``ext_authz`` settings: disabled where auth must not apply, else its context extensions."""
    if (mapping.bypass_auth or action is RouteAction.REDIRECT_HTTPS or mapping.redirect is not None
            or mapping.is_acme_challenge):
        return typed(_PER_ROUTE_TYPE, disabled=True)
    if mapping.auth_context_extensions:
        return typed(_PER_ROUTE_TYPE, check_settings={"context_extensions": dict(mapping.auth_context_extensions)})
    return None


def _has_auth(gateway: Gateway, _listener: Listener) -> bool:
    return gateway.services.auth is not None


def _has_failure(gateway: Gateway, _listener: Listener) -> bool:
    return gateway.services.auth is None and gateway.services.auth_failure is not None


def _build_auth(gateway: Gateway, _listener: Listener) -> dict[str, Any]:
    assert gateway.services.auth is not None
    return render_ext_authz(gateway.services.auth)


def _build_failure(gateway: Gateway, _listener: Listener) -> dict[str, Any]:
    assert gateway.services.auth_failure is not None
    return render_auth_failure(gateway.services.auth_failure)


register(HttpFilter(EXT_AUTHZ, 200, _has_auth, _build_auth))
register(HttpFilter(AUTH_FAILURE, 200, _has_failure, _build_failure))
