"""LogService (SPEC §4.6) → ``LogService`` IR (Envoy's gRPC access log service), and the Module's file access log
options (``envoy_log_type`` text/json/typed_json, ``envoy_log_format``, ``envoy_log_path``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diagd.compile.ir.logservice import LOG_DRIVERS, LOG_TYPES, AccessLog, LogService
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.external import COMMON_FIELDS, require_v3, service_upstream
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.regex import header_name_problem

__all__ = ["KIND", "parse", "log_services", "access_log"]

KIND = "LogService"

_KNOWN = COMMON_FIELDS | {"service", "driver", "protocol_version", "flush_interval_time", "flush_interval_byte_size",
                          "driver_config", "grpc"}


def _driver(fields: Fields, res: Resource) -> str | None:
    driver = fields.string("driver")
    if driver not in LOG_DRIVERS:
        if "driver" in res.spec and driver is not None:
            fields.ok = False
            fields.diag.error(res.ref, "UnsupportedDriver", f"LogService driver {driver!r} is not supported: use "
                              "http or tcp")
        elif driver is None and "driver" not in res.spec:
            fields.invalid("driver", "is required: http or tcp")
        return None
    return driver


def _additional_headers(fields: Fields, driver: str | None) -> tuple[tuple[str, ...], ...]:
    """``driver_config.additional_log_headers`` → (request, response, trailer) header names."""
    config: Mapping[str, Any] = fields.mapping("driver_config") or {}
    entries = config.get("additional_log_headers") or []
    lists: tuple[list[str], list[str], list[str]] = ([], [], [])
    if not isinstance(entries, list):
        fields.invalid("driver_config.additional_log_headers", "must be a list of {header_name, during_*}")
        return (), (), ()
    if entries and driver == "tcp":
        fields.invalid("driver_config.additional_log_headers", "is not supported with the tcp driver")
        return (), (), ()
    for index, entry in enumerate(entries):
        name = entry.get("header_name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or header_name_problem(name):
            fields.invalid(f"driver_config.additional_log_headers[{index}].header_name",
                           "is required: an HTTP header name")
            continue
        for target, key in zip(lists, ("during_request", "during_response", "during_trailer"), strict=True):
            if entry.get(key, True) is True:
                target.append(name)
    return tuple(lists[0]), tuple(lists[1]), tuple(lists[2])


def parse(res: Resource, ctx: KindContext, diag: Diagnostics) -> LogService | None:
    fields = Fields(res.spec, res.ref, diag)
    v3 = require_v3(fields, res)
    driver = _driver(fields, res)
    upstream = service_upstream(fields, res, ctx, marker="logging", http2=True)
    flush_s = fields.integer("flush_interval_time", 1, minimum=1) or 1
    flush_bytes = fields.integer("flush_interval_byte_size", 16384, minimum=1) or 16384
    request, response, trailers = _additional_headers(fields, driver)
    fields.notice_unknown(_KNOWN)
    if not fields.ok or not v3 or driver is None or upstream is None:
        return None
    return LogService(ref=res.ref, driver=driver, upstream=upstream, flush_interval_s=flush_s,
                      flush_bytes=flush_bytes, request_headers=request, response_headers=response,
                      response_trailers=trailers)


def log_services(resources: Sequence[Resource], ctx: KindContext, diag: Diagnostics) -> tuple[LogService, ...]:
    parsed = (parse(res, ctx, diag) for res in resources)
    return tuple(sorted((s for s in parsed if s is not None), key=lambda s: (s.ref.namespace, s.ref.name)))


def _json_format(fields: Fields) -> tuple[tuple[str, str], ...] | None:
    raw = fields.spec.get("envoy_log_format")
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        fields.invalid("envoy_log_format", "must be an object of field name → format string with a json log type")
        return None
    return tuple(sorted(raw.items()))


def access_log(fields: Fields) -> AccessLog:
    """The Module's file access log: text (the default format, or ``envoy_log_format``) or JSON."""
    log_type = fields.string("envoy_log_type", "text") or "text"
    path = fields.string("envoy_log_path")
    if log_type not in LOG_TYPES:
        fields.invalid("envoy_log_type", f"must be one of {', '.join(LOG_TYPES)}, not {log_type!r}")
        return AccessLog(path=path)
    if log_type == "text":
        return AccessLog(log_type=log_type, text_format=fields.string("envoy_log_format") or None, path=path)
    return AccessLog(log_type=log_type, json_format=_json_format(fields), path=path)
