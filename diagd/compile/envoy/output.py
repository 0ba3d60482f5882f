"""The compiler's Envoy output: a bootstrap plus the ADS resources, each collection sorted by name."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagd.compile.envoy.bootstrap import render_bootstrap
from diagd.compile.envoy.clusters import render_cluster
from diagd.compile.envoy.endpoints import inline_endpoints
from diagd.compile.envoy.listeners import HCM_TYPE, render_listener, render_ready_listener
from diagd.compile.envoy.routes import render_route_configs
from diagd.compile.ir.cluster import Cluster
from diagd.compile.ir.gateway import Gateway
from diagd.compile.memo import CompileMemo
from diagd.compile.model.settings import CompileSettings

__all__ = ["EnvoyConfig", "render_envoy", "static_bootstrap"]


@dataclass(frozen=True, slots=True)
class EnvoyConfig:
    bootstrap: Mapping[str, Any]
    listeners: tuple[Mapping[str, Any], ...]
    route_configs: tuple[Mapping[str, Any], ...]
    clusters: tuple[Mapping[str, Any], ...]
    endpoints: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "bootstrap": self.bootstrap,
            "listeners": list(self.listeners),
            "route_configs": list(self.route_configs),
            "clusters": list(self.clusters),
            "endpoints": list(self.endpoints),
        }

    def counts(self) -> dict[str, int]:
        return {
            "listeners": len(self.listeners),
            "route_configs": len(self.route_configs),
            "virtual_hosts": sum(len(rc.get("virtual_hosts", ())) for rc in self.route_configs),
            "routes": sum(len(vh.get("routes", ())) for rc in self.route_configs for vh in rc.get("virtual_hosts", ())),
            "clusters": len(self.clusters),
            "endpoints": len(self.endpoints),
        }


def render_envoy(gateway: Gateway, settings: CompileSettings, memo: CompileMemo | None = None) -> EnvoyConfig:
    """The Envoy resources for ``gateway``. With a memo, routes, virtual hosts and clusters rendered for unchanged IR
    objects in the previous compile are reused (rendering depends only on those objects, the options, the settings
    and the external services, which add per-route auth and rate-limit settings)."""
    if memo is not None:
        context = (gateway.options, settings, gateway.services)
        for cache in (memo.routes, memo.vhost_dicts, memo.cluster_dicts):
            cache.begin(context)
    listeners = [render_listener(plan, gateway, settings) for plan in gateway.listeners]
    listeners.append(render_ready_listener(settings))
    config = EnvoyConfig(
        bootstrap=render_bootstrap(settings, gateway.options),
        listeners=tuple(sorted(listeners, key=lambda lst: str(lst["name"]))),
        route_configs=render_route_configs(gateway, memo),
        clusters=tuple(_cluster(c, memo) for c in gateway.clusters),
    )
    if memo is not None:
        memo.routes.end(lambda: {id(group) for group in gateway.groups})
        memo.vhost_dicts.end()
        memo.cluster_dicts.end(lambda: {id(cluster) for cluster in gateway.clusters})
    return config


def _cluster(cluster: Cluster, memo: CompileMemo | None) -> dict[str, Any]:
    if memo is None:
        return render_cluster(cluster)
    return memo.cluster_dicts.get(id(cluster), cluster, lambda: render_cluster(cluster))


def static_bootstrap(config: EnvoyConfig) -> dict[str, Any]:
    """The same configuration as one static bootstrap (routes inlined), for ``envoy --mode validate``."""
    routes = {str(rc["name"]): rc for rc in config.route_configs}
    listeners = []
    for listener in config.listeners:
        copied = copy.deepcopy(dict(listener))
        for chain in copied.get("filter_chains", ()):
            for flt in chain.get("filters", ()):
                typed_config = flt.get("typed_config", {})
                if typed_config.get("@type", "").endswith(HCM_TYPE) and "rds" in typed_config:
                    name = typed_config.pop("rds")["route_config_name"]
                    typed_config["route_config"] = copy.deepcopy(dict(routes.get(name, {"name": name})))
        listeners.append(copied)
    bootstrap = copy.deepcopy(dict(config.bootstrap))
    bootstrap.pop("dynamic_resources", None)
    static = bootstrap.setdefault("static_resources", {})
    static["listeners"] = listeners
    static["clusters"] = list(static.get("clusters", [])) + [
        copy.deepcopy(inline_endpoints(c, config.endpoints)) for c in config.clusters]
    return bootstrap
