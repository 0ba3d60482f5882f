"""TCPMapping (SPEC §4.6): a port (and optionally an SNI host) forwarded to a TCP upstream.

With ``host``, the TLS context comes from a Host with that hostname or a TLSContext listing it; the gateway then
terminates TLS. Without a context it routes the still-encrypted connection by SNI (TLS passthrough), where Emissary
would refuse the TCPMapping.
"""

from __future__ import annotations

from collections.abc import Iterable

from diagd.compile.ir.host import Host
from diagd.compile.ir.matches import glob_matches
from diagd.compile.ir.tcp import TcpMapping
from diagd.compile.ir.tls import TLSContext
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.kinds.upstream import upstream_for
from diagd.compile.model.problems import Diagnostics

__all__ = ["KIND", "parse", "termination_context"]

KIND = "TCPMapping"

_KNOWN = frozenset({"port", "service", "host", "address", "weight", "idle_timeout_ms", "tls", "cluster_tag",
                    "stats_name", "circuit_breakers", "connect_timeout_ms", "ambassador_id", "ambassadorId",
                    "enable_ipv4", "enable_ipv6", "resolver", "docs"})


def termination_context(host: str, hosts: Iterable[Host], contexts: Iterable[TLSContext]) -> TLSContext | None:
    """The TLS context that serves ``host``: a TLS Host whose hostname matches it, else a TLSContext listing it."""
    for candidate in sorted(hosts, key=lambda h: (h.hostname == "*", h.hostname)):
        if candidate.tls is not None and glob_matches(candidate.hostname.split(":")[0], host):
            return candidate.tls
    return next((c for c in contexts if host in c.hosts and c.certificate is not None), None)


def parse(res: Resource, ctx: KindContext, diag: Diagnostics, hosts: Iterable[Host]) -> TcpMapping | None:
    fields = Fields(res.spec, res.ref, diag)
    port = fields.integer("port", minimum=1, maximum=65535)
    if "port" not in res.spec:
        fields.invalid("port", "is required")
    host = fields.string("host")
    upstream = upstream_for(fields, res, ctx)
    weight = fields.integer("weight", minimum=0, maximum=100)
    idle = fields.integer("idle_timeout_ms", minimum=0)
    address = fields.string("address", ctx.settings.envoy_bind_address) or ctx.settings.envoy_bind_address
    fields.notice_unknown(_KNOWN)
    if not fields.ok or port is None or upstream is None:
        return None
    tls = termination_context(host, hosts, ctx.tls_contexts.values()) if host else None
    if host and tls is None:
        diag.notice(res.ref, "TLSPassthrough", f"no Host or TLSContext has a certificate for {host}: TLS "
                    "connections for it are routed by SNI and passed through to the upstream unterminated")
    return TcpMapping(ref=res.ref, port=port, address=address, upstream=upstream, host=host, tls=tls, weight=weight,
                      idle_timeout_ms=idle)
