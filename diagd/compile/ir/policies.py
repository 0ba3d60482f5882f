"""Per-route and per-cluster policies a Mapping (or the Module's defaults) can carry.

Each is a small frozen value: equal policies compare equal, so a cluster is shared exactly when its settings are.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "HeaderToAdd", "CorsPolicy", "RetryPolicy", "CircuitBreaker", "HashOn", "LoadBalancer", "Redirect",
    "LabelSpecifier", "LabelGroup", "Keepalive", "REDIRECT_CODES", "RETRY_ON",
]

REDIRECT_CODES = {301: "MOVED_PERMANENTLY", 302: "FOUND", 303: "SEE_OTHER", 307: "TEMPORARY_REDIRECT",
                  308: "PERMANENT_REDIRECT"}
RETRY_ON = ("5xx", "gateway-error", "connect-failure", "retriable-4xx", "refused-stream", "retriable-status-codes",
            "reset", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure")


@dataclass(frozen=True, slots=True)
class HeaderToAdd:
    """A header added to a request or response; ``append`` False replaces an existing value."""

    name: str
    value: str
    append: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CorsPolicy:
    origins: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    exposed_headers: tuple[str, ...] = ()
    credentials: bool | None = None
    max_age: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    retry_on: str | None = None
    num_retries: int | None = None
    per_try_timeout_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuitBreaker:
    priority: str = "DEFAULT"
    max_connections: int | None = None
    max_pending_requests: int | None = None
    max_requests: int | None = None
    max_retries: int | None = None

    def name_part(self) -> str:
        """Emissary's cluster-name fragment: ``cb`` + priority letter + c/p/r/t counts."""
        letter = "h" if self.priority == "HIGH" else "d"
        counts = "".join(f"{k}{v}" for k, v in (("c", self.max_connections), ("p", self.max_pending_requests),
                                                 ("r", self.max_requests), ("t", self.max_retries)) if v is not None)
        return f"cb{letter}{counts}"


class HashOn(str, Enum):
    HEADER = "header"
    COOKIE = "cookie"
    SOURCE_IP = "source_ip"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadBalancer:
    """``round_robin``/``least_request`` alone, or ``ring_hash``/``maglev`` hashing on one request property."""

    policy: str = "round_robin"
    hash_on: HashOn | None = None
    header: str | None = None
    cookie_name: str | None = None
    cookie_path: str | None = None
    cookie_ttl_ms: int | None = None

    @property
    def envoy_policy(self) -> str:
        return self.policy.upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirect:
    """``host_redirect``: answer with a redirect to the Mapping's service instead of proxying."""

    host: str
    path: str | None = None
    prefix: str | None = None
    regex: tuple[str, str] | None = None  # (pattern, substitution)
    response_code: int = 301


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelSpecifier:
    """One rate-limit descriptor entry: ``source_cluster``, ``generic_key``, ``request_headers``, ..."""

    kind: str
    key: str | None = None
    value: str | None = None
    header_name: str | None = None
    omit_if_not_present: bool | None = None


@dataclass(frozen=True, slots=True)
class LabelGroup:
    domain: str
    name: str
    specifiers: tuple[LabelSpecifier, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Keepalive:
    time: int | None = None
    interval: int | None = None
    probes: int | None = None
