"""The HTTP filters of every HTTP connection manager, from one registry.

A filter registers once with its place in the chain (``order``), when it applies (``applies(gateway, listener)``)
and how it is built (``build(gateway, listener)`` → its ``typed_config``). Later kinds (AuthService →
``ext_authz``, RateLimitService → ``ratelimit``, Module gzip/lua/…) add entries here instead of editing the HCM.
Order bands follow Emissary: Module-derived filters < 100, ``cors`` 100, ``ext_authz`` 200, ``ratelimit`` 300,
``router`` always last.

A filter that only acts on routes that configure it (``cors``) is installed with ``disabled: true``: Envoy then
creates it only for requests whose route carries a ``typed_per_filter_config`` for it. Every other request does not
pay for it (about 3 µs of proxy CPU each for ``cors``), and the listener stays the same whether or not any route
uses it: adding the first CORS Mapping is a route change, not a listener change that would drain connections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from diagd.compile.envoy.common import typed
from diagd.compile.ir.gateway import Gateway
from diagd.compile.ir.listener import Listener

__all__ = ["HttpFilter", "register", "http_filters", "CORS", "ROUTER", "registered"]

CORS = "envoy.filters.http.cors"
ROUTER = "envoy.filters.http.router"


@dataclass(frozen=True, slots=True)
class HttpFilter:
    name: str
    order: int
    applies: Callable[[Gateway, Listener], bool]
    build: Callable[[Gateway, Listener], dict[str, Any]]
    per_route_only: bool = False


_REGISTRY: dict[str, HttpFilter] = {}


def register(entry: HttpFilter) -> HttpFilter:
    """Add (or replace, by name) a filter in the registry."""
    _REGISTRY[entry.name] = entry
    return entry


def registered() -> tuple[HttpFilter, ...]:
    return tuple(sorted(_REGISTRY.values(), key=lambda f: (f.order, f.name)))


def http_filters(gateway: Gateway, listener: Listener) -> list[dict[str, Any]]:
    """The HCM's ``http_filters``: every applicable registered filter in order, each with a ``typed_config``."""
    return [_entry(f, gateway, listener) for f in registered() if f.applies(gateway, listener)]


def _entry(entry: HttpFilter, gateway: Gateway, listener: Listener) -> dict[str, Any]:
    out: dict[str, Any] = {"name": entry.name, "typed_config": entry.build(gateway, listener)}
    if entry.per_route_only:
        out["disabled"] = True
    return out


def _always(_gateway: Gateway, _listener: Listener) -> bool:
    return True


def _router(gateway: Gateway, _listener: Listener) -> dict[str, Any]:
    fields = {"suppress_envoy_headers": True} if gateway.options.suppress_envoy_headers else {}
    return typed("envoy.extensions.filters.http.router.v3.Router", **fields)


register(HttpFilter(CORS, 100, _always, lambda _g, _l: typed("envoy.extensions.filters.http.cors.v3.Cors"),
                    per_route_only=True))
register(HttpFilter(ROUTER, 1_000_000, _always, _router))
