"""Active health checks of an EDS cluster (a Mapping's ``health_checks``): Envoy probes every endpoint and stops
sending traffic to the ones that fail.

A check is part of its ``Upstream``, so Mappings with different checks never share a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.ir.policies import HeaderToAdd

__all__ = ["StatusRange", "HttpHealthCheck", "GrpcHealthCheck", "HealthCheck"]


@dataclass(frozen=True, slots=True)
class StatusRange:
    """HTTP statuses ``minimum``..``maximum``, both inclusive, that count as healthy."""

    minimum: int
    maximum: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpHealthCheck:
    path: str
    host: str | None = None
    add_request_headers: tuple[HeaderToAdd, ...] = ()
    remove_request_headers: tuple[str, ...] = ()
    expected_statuses: tuple[StatusRange, ...] = ()  # empty: 200 only (Envoy's default)


@dataclass(frozen=True, slots=True, kw_only=True)
class GrpcHealthCheck:
    """The gRPC health-checking protocol (``grpc.health.v1.Health/Check``) for ``service_name``."""

    service_name: str
    authority: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthCheck:
    """One check; exactly one of ``http`` and ``grpc`` is set."""

    timeout_ms: int = 3000
    interval_ms: int = 5000
    healthy_threshold: int = 1
    unhealthy_threshold: int = 2
    http: HttpHealthCheck | None = None
    grpc: GrpcHealthCheck | None = None
