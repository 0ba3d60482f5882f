"""The internal Mappings that expose diagd's probes and diag UI through Envoy on every Host (SPEC §2)."""

from __future__ import annotations

from diagd.compile.ir.cluster import Discovery, Upstream
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.matches import PathKind, PathMatch
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.model.problems import ResourceRef
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


def probe_mappings(options: GatewayOptions, settings: CompileSettings) -> tuple[HttpMapping, ...]:
    service = f"127.0.0.1:{settings.diag_port}"
    upstream = Upstream(service=service, host="127.0.0.1", port=settings.diag_port, discovery=Discovery.STATIC,
                        namespace=settings.namespace)
    mappings = []
    for which, prefix in _PROBES:
        if not _enabled(which, options):
            continue
        name = f"internal_{which}_probe_mapping"
        ref = ResourceRef(kind="InternalMapping", name=name, namespace=settings.namespace,
                          rkey=f"InternalMapping-{name}", location=Location(kind="InternalMapping", name=name))
        mappings.append(HttpMapping(ref=ref, path=PathMatch(PathKind.PREFIX, prefix), hostname="*", rewrite=prefix,
                                    timeout_ms=10000, upstream=upstream, internal=True))
    return tuple(mappings)
