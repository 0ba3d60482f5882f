"""RateLimitService → Envoy's ``ratelimit`` HTTP filter; Mapping labels → each route's rate-limit actions.

Each label group becomes one ``rate_limits`` entry, so one descriptor sent to the service per group, with one entry
per label specifier in order. Over the limit, Envoy answers 429 with the headers the service returned.
"""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.common import duration, typed
from diagd.compile.envoy.http_filters import HttpFilter, register
from diagd.compile.ir.gateway import Gateway
from diagd.compile.ir.listener import Listener
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.ir.policies import LabelSpecifier
from diagd.compile.ir.ratelimit import RateLimitService, label_groups_for

__all__ = ["RATELIMIT", "render_ratelimit", "route_rate_limits", "rate_limit_action"]

RATELIMIT = "envoy.filters.http.ratelimit"


def render_ratelimit(service: RateLimitService) -> dict[str, Any]:
    config: dict[str, Any] = {
        "domain": service.domain,
        "request_type": "both",
        "timeout": duration(service.timeout_ms),
        "rate_limit_service": {"transport_api_version": "V3",
                               "grpc_service": {"envoy_grpc": {"cluster_name": service.cluster}}},
    }
    if service.failure_mode_deny:
        config["failure_mode_deny"] = True
    if service.resource_exhausted:
        config["rate_limited_as_resource_exhausted"] = True
    return typed("envoy.extensions.filters.http.ratelimit.v3.RateLimit", **config)


def rate_limit_action(spec: LabelSpecifier) -> dict[str, Any]:
    """One label specifier as one Envoy rate-limit action (one descriptor entry)."""
    if spec.kind == "generic_key":
        generic: dict[str, Any] = {"descriptor_value": spec.value}
        if spec.key:
            generic["descriptor_key"] = spec.key
        return {"generic_key": generic}
    if spec.kind == "request_headers":
        headers: dict[str, Any] = {"header_name": spec.header_name, "descriptor_key": spec.key}
        if spec.omit_if_not_present:
            headers["skip_if_absent"] = True
        return {"request_headers": headers}
    return {spec.kind: {}}  # source_cluster, destination_cluster, remote_address


def route_rate_limits(mapping: HttpMapping, service: RateLimitService | None,
                      options: GatewayOptions) -> list[dict[str, Any]]:
    """The route's ``rate_limits``: its label groups for the service's domain, Module defaults prepended."""
    if service is None:
        return []
    groups = label_groups_for(mapping.rate_limit_labels, service.domain, options.labels_for(service.domain))
    return [{"actions": [rate_limit_action(s) for s in group.specifiers]} for group in groups if group.specifiers]


def _applies(gateway: Gateway, _listener: Listener) -> bool:
    return gateway.services.ratelimit is not None


def _build(gateway: Gateway, _listener: Listener) -> dict[str, Any]:
    assert gateway.services.ratelimit is not None
    return render_ratelimit(gateway.services.ratelimit)


register(HttpFilter(RATELIMIT, 300, _applies, _build))
