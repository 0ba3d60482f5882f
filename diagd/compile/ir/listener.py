"""Listener: a port Envoy listens on, with its protocol stack and which Hosts it takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from diagd.compile.model.problems import ResourceRef

__all__ = ["Protocol", "SecurityModel", "HostBinding", "Listener"]


class Protocol(str, Enum):
    HTTP = "HTTP"
    HTTPS = "HTTPS"
    HTTPPROXY = "HTTPPROXY"
    HTTPSPROXY = "HTTPSPROXY"
    TCP = "TCP"
    TLS = "TLS"

    @property
    def has_tls(self) -> bool:
        return self in (Protocol.HTTPS, Protocol.HTTPSPROXY, Protocol.TLS)

    @property
    def has_http(self) -> bool:
        return self in (Protocol.HTTP, Protocol.HTTPS, Protocol.HTTPPROXY, Protocol.HTTPSPROXY)

    @property
    def has_proxy(self) -> bool:
        return self in (Protocol.HTTPPROXY, Protocol.HTTPSPROXY)


class SecurityModel(str, Enum):
    XFP = "XFP"
    SECURE = "SECURE"
    INSECURE = "INSECURE"


@dataclass(frozen=True, slots=True)
class HostBinding:
    """Which Hosts a Listener takes: from its own namespace or all, and optionally by labels."""

    from_all: bool
    namespace: str
    match_labels: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Listener:
    ref: ResourceRef
    name: str
    port: int
    bind_address: str
    protocol: Protocol
    security_model: SecurityModel
    host_binding: HostBinding
    l7_depth: int = 0
    stats_prefix: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    synthesized: bool = False  # made for a TCPMapping port that no Listener resource has
