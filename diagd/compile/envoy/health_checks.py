"""Cluster ``health_checks``: Envoy's ``config.core.v3.HealthCheck``, one per IR check.

Emissary's expected statuses are inclusive ``{min, max}``; Envoy's ``Int64Range`` excludes its ``end``, so the
range is sent as ``[min, max + 1)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from diagd.compile.envoy.common import duration, headers_to_add
from diagd.compile.ir.health import GrpcHealthCheck, HealthCheck, HttpHealthCheck

__all__ = ["render_health_checks"]


def render_health_checks(checks: Iterable[HealthCheck]) -> list[dict[str, Any]]:
    return [_health_check(check) for check in checks]


def _health_check(check: HealthCheck) -> dict[str, Any]:
    out: dict[str, Any] = {
        "timeout": duration(check.timeout_ms), "interval": duration(check.interval_ms),
        "healthy_threshold": check.healthy_threshold, "unhealthy_threshold": check.unhealthy_threshold,
    }
    if check.http is not None:
        out["http_health_check"] = _http(check.http)
    if check.grpc is not None:
        out["grpc_health_check"] = _grpc(check.grpc)
    return out


def _http(check: HttpHealthCheck) -> dict[str, Any]:
    out: dict[str, Any] = {"path": check.path}
    if check.host is not None:
        out["host"] = check.host
    if check.add_request_headers:
        out["request_headers_to_add"] = headers_to_add(check.add_request_headers)
    if check.remove_request_headers:
        out["request_headers_to_remove"] = list(check.remove_request_headers)
    if check.expected_statuses:
        out["expected_statuses"] = [{"start": r.minimum, "end": r.maximum + 1} for r in check.expected_statuses]
    return out


def _grpc(check: GrpcHealthCheck) -> dict[str, Any]:
    out: dict[str, Any] = {"service_name": check.service_name}
    if check.authority is not None:
        out["authority"] = check.authority
    return out
