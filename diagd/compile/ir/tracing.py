"""Tracing (TracingService → the tracing provider of every HTTP connection manager), SPEC §4.6.

The provider is set per connection manager rather than in Envoy's bootstrap, so adding, changing or removing a
TracingService takes effect with the next configuration push, without restarting Envoy. Spans carry Envoy's
service cluster, ``<AMBASSADOR_ID>-<namespace>``, as their service name (zipkin), as Emissary's do.
"""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.ir.cluster import Upstream
from diagd.compile.model.problems import ResourceRef

__all__ = ["TracingService", "CustomTag", "Sampling", "TRACING_DRIVERS", "ZIPKIN_ENDPOINT_VERSIONS"]

TRACING_DRIVERS = ("zipkin", "opentelemetry", "datadog")
ZIPKIN_ENDPOINT_VERSIONS = ("HTTP_JSON", "HTTP_PROTO")


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomTag:
    """A span tag: a literal value, an environment variable of Envoy, or a request header (with a fallback)."""

    tag: str
    source: str  # "literal" | "environment" | "request_header"
    name: str | None = None  # the variable or header name
    value: str | None = None  # the literal value, or the fallback value


@dataclass(frozen=True, slots=True, kw_only=True)
class Sampling:
    """Percentages (0–100) of requests traced: forced by the client, chosen at random, and overall."""

    client: float | None = None
    random: float | None = None
    overall: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TracingService:
    ref: ResourceRef
    driver: str  # one of TRACING_DRIVERS
    upstream: Upstream
    cluster: str = ""
    sampling: Sampling = Sampling()
    custom_tags: tuple[CustomTag, ...] = ()
    # Driver settings (zipkin unless said otherwise).
    collector_endpoint: str = "/api/v2/spans"
    collector_endpoint_version: str = "HTTP_JSON"
    collector_hostname: str | None = None  # zipkin and datadog
    trace_id_128bit: bool = True
    shared_span_context: bool | None = None
    service_name: str | None = None  # opentelemetry and datadog
