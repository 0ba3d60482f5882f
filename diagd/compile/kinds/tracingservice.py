"""TracingService (SPEC §4.6) → ``TracingService`` IR: which tracer, where its collector is, what is sampled and
tagged. Exactly one may exist. Drivers: zipkin (spans as JSON v2 over HTTP), opentelemetry (OTLP over gRPC) and
datadog; lightstep is gone from Envoy and is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diagd.compile.ir.tracing import TRACING_DRIVERS, ZIPKIN_ENDPOINT_VERSIONS, CustomTag, Sampling, TracingService
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.external import COMMON_FIELDS, only_one, service_upstream
from diagd.compile.kinds.fields import Fields, type_name
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.regex import header_name_problem

__all__ = ["KIND", "parse", "tracing_service"]

KIND = "TracingService"

_KNOWN = COMMON_FIELDS | {"service", "driver", "config", "sampling", "custom_tags", "tag_headers"}
_CONFIG = frozenset({"collector_endpoint", "collector_endpoint_version", "collector_hostname", "trace_id_128bit",
                     "shared_span_context", "service_name"})
_TAG_SOURCES = ("literal", "environment", "request_header")


def _driver(fields: Fields, res: Resource) -> str | None:
    driver = fields.string("driver")
    if driver is None:
        if "driver" not in res.spec:
            fields.invalid("driver", f"is required: one of {', '.join(TRACING_DRIVERS)}")
        return None
    if driver not in TRACING_DRIVERS:
        fields.ok = False
        why = "Envoy no longer supports it" if driver == "lightstep" else f"use one of {', '.join(TRACING_DRIVERS)}"
        fields.diag.error(res.ref, "UnsupportedDriver", f"TracingService driver {driver!r} is not supported: {why}")
        return None
    return driver


def _sampling(fields: Fields) -> Sampling:
    raw: Mapping[str, Any] | None = fields.mapping("sampling")
    values: dict[str, float | None] = {}
    for key in ("client", "random", "overall"):
        value = (raw or {}).get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 <= value <= 100):
            fields.invalid(f"sampling.{key}", f"must be a percentage between 0 and 100, not {value!r}")
            value = None
        values[key] = float(value) if value is not None else None
    return Sampling(client=values["client"], random=values["random"], overall=values["overall"])


def _custom_tag(fields: Fields, index: int, raw: Any) -> CustomTag | None:
    where = f"custom_tags[{index}]"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("tag"), str) or not raw["tag"]:
        fields.invalid(where, "must be {tag, literal|environment|request_header}")
        return None
    sources = [s for s in _TAG_SOURCES if s in raw]
    body = raw.get(sources[0]) if len(sources) == 1 else None
    if not isinstance(body, Mapping):
        fields.invalid(where, f"needs exactly one of {', '.join(_TAG_SOURCES)}, each an object")
        return None
    key = "value" if sources[0] == "literal" else "name"
    if not isinstance(body.get(key), str) or not body[key]:
        fields.invalid(f"{where}.{sources[0]}.{key}", "is required")
        return None
    fallback = body.get("default_value")
    if sources[0] == "request_header" and header_name_problem(body[key]):
        fields.invalid(f"{where}.request_header.name", f"{body[key]!r} is not a valid HTTP header name")
        return None
    if sources[0] == "literal":
        return CustomTag(tag=raw["tag"], source="literal", value=body[key])
    return CustomTag(tag=raw["tag"], source=sources[0], name=body[key],
                     value=fallback if isinstance(fallback, str) else None)


def _custom_tags(fields: Fields) -> tuple[CustomTag, ...]:
    raw = fields.spec.get("custom_tags") or []
    if not isinstance(raw, list):
        fields.invalid("custom_tags", f"must be a list, not {type_name(raw)}")
        return ()
    tags = [_custom_tag(fields, i, item) for i, item in enumerate(raw)]
    for name in fields.string_list("tag_headers"):  # the older form: tag each request header under its own name
        if header_name_problem(name):
            fields.invalid("tag_headers", f"{name!r} is not a valid HTTP header name")
            continue
        tags.append(CustomTag(tag=name, source="request_header", name=name))
    return tuple(t for t in tags if t is not None)


@dataclass(frozen=True, slots=True)
class _DriverConfig:
    collector_endpoint: str
    collector_endpoint_version: str
    collector_hostname: str | None
    trace_id_128bit: bool
    shared_span_context: bool | None
    service_name: str | None


def _config(fields: Fields, driver: str | None) -> _DriverConfig:
    raw: Mapping[str, Any] | None = fields.mapping("config")
    config = Fields(raw or {}, fields.ref, fields.diag)
    for key in sorted(str(k) for k in (raw or {}).keys() - _CONFIG):
        fields.diag.notice(fields.ref, "UnknownField", f"config.{key} is not a TracingService setting; it is ignored")
    version = config.string("collector_endpoint_version", "HTTP_JSON") or "HTTP_JSON"
    if version not in ZIPKIN_ENDPOINT_VERSIONS:
        config.invalid("config.collector_endpoint_version",
                       f"{version!r} is not supported by Envoy's v3 API: use {' or '.join(ZIPKIN_ENDPOINT_VERSIONS)}")
    endpoint = config.string("collector_endpoint", "/api/v2/spans") or "/api/v2/spans"
    if not endpoint.startswith("/"):
        config.invalid("config.collector_endpoint", f"must be a path starting with '/', not {endpoint!r}")
    values = _DriverConfig(
        collector_endpoint=endpoint, collector_endpoint_version=version,
        collector_hostname=config.string("collector_hostname"),
        trace_id_128bit=config.boolean("trace_id_128bit", True),
        shared_span_context=config.boolean("shared_span_context") if "shared_span_context" in config.spec else None,
        service_name=config.string("service_name", "ambassador" if driver in ("opentelemetry", "datadog") else None),
    )
    fields.ok = fields.ok and config.ok
    return values


def parse(res: Resource, ctx: KindContext, diag: Diagnostics) -> TracingService | None:
    fields = Fields(res.spec, res.ref, diag)
    driver = _driver(fields, res)
    upstream = service_upstream(fields, res, ctx, marker="tracing", http2=driver == "opentelemetry")
    sampling, tags, config = _sampling(fields), _custom_tags(fields), _config(fields, driver)
    fields.notice_unknown(_KNOWN)
    if not fields.ok or driver is None or upstream is None:
        return None
    return TracingService(
        ref=res.ref, driver=driver, upstream=upstream, sampling=sampling, custom_tags=tags,
        collector_endpoint=config.collector_endpoint, collector_endpoint_version=config.collector_endpoint_version,
        collector_hostname=config.collector_hostname, trace_id_128bit=config.trace_id_128bit,
        shared_span_context=config.shared_span_context, service_name=config.service_name,
    )


def tracing_service(resources: Sequence[Resource], ctx: KindContext, diag: Diagnostics) -> TracingService | None:
    chosen = only_one(resources, diag)
    return parse(chosen, ctx, diag) if chosen is not None else None
