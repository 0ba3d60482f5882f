"""TCPMapping: forward a port's TCP connections (optionally one TLS SNI name of it) to an upstream."""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.tls import TLSContext
from diagd.compile.model.problems import ResourceRef

__all__ = ["TcpMapping"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TcpMapping:
    """``host`` routes by SNI; with a ``tls`` context the gateway terminates TLS, without one it passes TLS through."""

    ref: ResourceRef
    port: int
    address: str
    upstream: Upstream
    host: str | None = None
    tls: TLSContext | None = None
    weight: int | None = None
    idle_timeout_ms: int | None = None
