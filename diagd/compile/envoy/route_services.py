"""What the external services add to each route: ``ext_authz`` per-route settings and rate-limit actions.

Only routes of a gateway that has the service get them, so configurations without these services are unchanged.
"""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.ext_authz import EXT_AUTHZ, authz_route_config
from diagd.compile.envoy.ratelimit import route_rate_limits
from diagd.compile.ir.gateway import Gateway, RouteAction
from diagd.compile.ir.mapping import HttpMapping

__all__ = ["decorate_route"]


def decorate_route(route: dict[str, Any], mapping: HttpMapping, action: RouteAction, gateway: Gateway) -> None:
    services = gateway.services
    if services.auth is not None:
        authz = authz_route_config(mapping, action)
        if authz is not None:
            route.setdefault("typed_per_filter_config", {})[EXT_AUTHZ] = authz
    if services.ratelimit is not None and "route" in route:
        limits = route_rate_limits(mapping, services.ratelimit, gateway.options)
        if limits:
            route["route"]["rate_limits"] = limits
