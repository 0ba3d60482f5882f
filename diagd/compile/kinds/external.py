"""What the AuthService, RateLimitService, TracingService and LogService kinds share: the service they name
(parsed like a Mapping's, SPEC §5.4), the rule that gRPC services speak protocol v3, and "exactly one of a kind".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from diagd.compile.ir.cluster import Upstream
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.kinds.upstream import upstream_for
from diagd.compile.model.problems import Diagnostics

__all__ = ["service_upstream", "require_v3", "only_one", "COMMON_FIELDS"]

# Fields every external-service kind accepts besides its own: resource selection and cluster settings.
COMMON_FIELDS = frozenset({
    "ambassador_id", "ambassadorId", "tls", "stats_name", "v3StatsName", "circuit_breakers", "connect_timeout_ms",
    "cluster_idle_timeout_ms", "cluster_max_connection_lifetime_ms",
})


def service_upstream(fields: Fields, res: Resource, ctx: KindContext, *, key: str = "service", marker: str = "",
                     http2: bool) -> Upstream | None:
    """The service's upstream; ``http2`` for gRPC services, which need HTTP/2 whatever ``grpc`` says."""
    if res.spec.get(key) is None:
        fields.ok = False
        fields.diag.error(res.ref, "NoSuchService", f"{res.kind} names no service: {key} is required")
        return None
    upstream = upstream_for(fields, res, ctx, marker=marker, service_key=key)
    if upstream is None:
        return None
    return dataclasses.replace(upstream, http2=http2) if upstream.http2 != http2 else upstream


def require_v3(fields: Fields, res: Resource) -> bool:
    """gRPC services must speak Envoy's v3 API: an absent (meaning v2) or other protocol_version is an error."""
    version = res.spec.get("protocol_version", "v2")
    if version == "v3":
        return True
    fields.ok = False
    fields.diag.error(res.ref, "UnsupportedProtocolVersion",
                      f'{res.kind}: protocol_version {version} is unsupported, protocol_version must be "v3"')
    return False


def only_one(resources: Sequence[Resource], diag: Diagnostics) -> Resource | None:
    """The single resource of a kind that allows one; with several, each gets an error and none is used."""
    if len(resources) == 1:
        return resources[0]
    for res in resources:
        others = ", ".join(r.ref.describe() for r in resources if r is not res)
        diag.error(res.ref, "MultipleServices", f"only one {res.kind} is supported, got {len(resources)} "
                   f"(also {others}); none of them is used")
    return None
