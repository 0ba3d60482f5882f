"""``service`` strings: ``[scheme://]host[:port]``, parsed strictly (SPEC §5.4)."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

__all__ = ["ServiceAddress", "ServiceError", "parse_service", "is_ip_literal", "qualify_host"]


@dataclass(frozen=True, slots=True)
class ServiceAddress:
    scheme: str | None
    host: str
    port: int
    explicit_port: bool

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


@dataclass(frozen=True, slots=True)
class ServiceError:
    reason: str
    message: str


_SCHEMES = ("http", "https")


def parse_service(text: str, *, tls: bool = False) -> ServiceAddress | ServiceError:
    """Parse a Mapping's ``service``; ``tls`` (a ``tls`` context on the Mapping) makes the default port 443."""
    raw = text.strip()
    if not raw:
        return ServiceError("InvalidService", "service must not be empty")
    scheme = None
    if "://" in raw:
        scheme, raw = raw.split("://", 1)
        scheme = scheme.lower()
        if scheme not in _SCHEMES:
            return ServiceError("InvalidService", f"service {text!r}: unsupported scheme {scheme!r}")
    if any(ch in raw for ch in "/?#@ "):
        return ServiceError("InvalidService", f"service {text!r} must be [scheme://]host[:port], with no path or query")
    host, port_text = _split_host_port(raw)
    if host is None:
        return ServiceError("InvalidService", f"service {text!r}: malformed IPv6 address")
    if not host:
        return ServiceError("InvalidService", f"service {text!r} has no host")
    default_port = 443 if (scheme == "https" or tls) else 80
    if port_text is None:
        return ServiceAddress(scheme, host, default_port, False)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return ServiceError("InvalidPort", f"found invalid port for service {text!r}")
    return ServiceAddress(scheme, host, int(port_text), True)


def _split_host_port(raw: str) -> tuple[str | None, str | None]:
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            return None, None
        rest = raw[end + 1:]
        return raw[1:end], (rest[1:] if rest.startswith(":") else None)
    if raw.count(":") > 1:
        return raw, None  # a bare IPv6 literal
    if ":" in raw:
        host, port = raw.rsplit(":", 1)
        return host, port
    return raw, None


@functools.lru_cache(maxsize=4096)
def is_ip_literal(host: str) -> bool:
    if not host or (":" not in host and not host[0].isdigit()):
        return False  # the common case, a DNS name, without parsing
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def qualify_host(host: str, *, namespace: str, own_namespace: str) -> str:
    """Emissary's Kubernetes-service rule: a bare name from another namespace means ``<name>.<namespace>``."""
    if namespace == own_namespace or "." in host or ":" in host or host == "localhost":
        return host
    return f"{host}.{namespace}"
