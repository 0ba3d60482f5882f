"""The internal Mappings that expose diagd's probes and diag UI through Envoy on every Host (SPEC §2).

The Module may switch each off (``liveness_probe: {enabled: false}``, ``diagnostics: {enabled: false}``) or change
its ``prefix``, ``rewrite`` and ``service``.
"""

from __future__ import annotations

from diagd.compile.ir.cluster import Discovery, Upstream
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.matches import PathKind, PathMatch
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.model.problems import Diagnostics, ResourceRef
from diagd.compile.model.service import ServiceError, is_ip_literal, parse_service
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Location

__all__ = ["probe_mappings"]

_PROBES = (
    ("liveness", "/ambassador/v0/check_alive"),
    ("readiness", "/ambassador/v0/check_ready"),
    ("diagnostics", "/ambassador/v0/"),
)


def _enabled(which: str, options: GatewayOptions) -> bool:
    return {"liveness": options.liveness_probe, "readiness": options.readiness_probe,
            "diagnostics": options.diagnostics_enabled}[which]


def _upstream(service: str, settings: CompileSettings) -> Upstream | ServiceError:
    parsed = parse_service(service)
    if isinstance(parsed, ServiceError):
        return parsed
    return Upstream(service=service, host=parsed.host, port=parsed.port, namespace=settings.namespace,
                    discovery=Discovery.STATIC if is_ip_literal(parsed.host) else Discovery.STRICT_DNS,
                    tls_origination=parsed.tls)


def probe_mappings(options: GatewayOptions, settings: CompileSettings,
                   diag: Diagnostics | None = None) -> tuple[HttpMapping, ...]:
    mappings = []
    for which, default_prefix in _PROBES:
        if not _enabled(which, options):
            continue
        override = options.probe(which)
        service = override.service or f"127.0.0.1:{settings.diag_port}"
        upstream = _upstream(service, settings)
        if isinstance(upstream, ServiceError):
            if diag is not None:
                diag.error(options.ref, upstream.reason, f"{which} probe: {upstream.message}")
            continue
        prefix = override.prefix or default_prefix
        name = f"internal_{which}_probe_mapping"
        ref = ResourceRef(kind="InternalMapping", name=name, namespace=settings.namespace,
                          rkey=f"InternalMapping-{name}", location=Location(kind="InternalMapping", name=name))
        mappings.append(HttpMapping(ref=ref, path=PathMatch(PathKind.PREFIX, prefix), hostname="*",
                                    rewrite=override.rewrite if override.rewrite is not None else prefix,
                                    timeout_ms=10000, upstream=upstream, internal=True))
    return tuple(mappings)
