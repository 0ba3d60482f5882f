"""HTTP filters the ``ambassador`` Module adds to every connection manager: gzip, buffer, Lua, gRPC-Web, the gRPC
HTTP/1.1 bridge, gRPC statistics, and IP allow/deny lists."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Gzip", "GrpcStats", "IpRule", "IpPolicy", "ModuleFilters"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Gzip:
    """Response compression; None fields keep Envoy's defaults."""

    memory_level: int | None = None
    min_content_length: int | None = None
    compression_level: str | None = None  # Envoy's enum name: BEST_COMPRESSION, BEST_SPEED, DEFAULT_COMPRESSION, …
    compression_strategy: str | None = None  # DEFAULT_STRATEGY, FILTERED, HUFFMAN_ONLY, RLE, FIXED
    window_bits: int | None = None
    content_types: tuple[str, ...] = ()
    disable_on_etag_header: bool = False
    remove_accept_encoding_header: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class GrpcStats:
    upstream_stats: bool = False
    all_methods: bool = False
    services: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (service, method names) counted individually


@dataclass(frozen=True, slots=True)
class IpRule:
    """One address range: ``peer`` is the TCP peer, ``remote`` the client address after XFF / PROXY processing."""

    source: str  # "peer" | "remote"
    address: str
    prefix_len: int


@dataclass(frozen=True, slots=True)
class IpPolicy:
    """``ip_allow``: only these ranges are served; ``ip_deny``: these ranges get 403."""

    action: str  # "ALLOW" | "DENY"
    rules: tuple[IpRule, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleFilters:
    gzip: Gzip | None = None
    buffer_max_request_bytes: int | None = None
    lua_source: str | None = None
    grpc_web: bool = False
    grpc_http1_bridge: bool = False
    grpc_stats: GrpcStats | None = None
    ip_policy: IpPolicy | None = None
