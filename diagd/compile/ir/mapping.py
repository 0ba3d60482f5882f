"""HttpMapping: one Mapping resource, validated and typed; the unit that route groups are made of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.matches import HeaderMatch, PathKind, PathMatch, QueryMatch, StringMatch
from diagd.compile.ir.policies import CorsPolicy, HeaderToAdd, LabelGroup, Redirect, RetryPolicy
from diagd.compile.model.problems import ResourceRef

__all__ = ["RegexRewrite", "HttpMapping", "ACME_CHALLENGE_PREFIX"]

ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/"


@dataclass(frozen=True, slots=True)
class RegexRewrite:
    pattern: str
    substitution: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpMapping:
    ref: ResourceRef
    labels: Mapping[str, str] = field(default_factory=dict)
    path: PathMatch
    hostname: str | None = None
    authority: HeaderMatch | None = None
    method: str | None = None
    method_regex: bool = False
    headers: tuple[HeaderMatch, ...] = ()
    query: tuple[QueryMatch, ...] = ()
    precedence: int = 0
    rewrite: str | None = "/"
    regex_rewrite: RegexRewrite | None = None
    host_rewrite: str | None = None
    auto_host_rewrite: bool = False
    timeout_ms: int = 3000
    idle_timeout_ms: int | None = None
    weight: int | None = None
    upstream: Upstream
    internal: bool = False
    add_request_headers: tuple[HeaderToAdd, ...] = ()
    add_response_headers: tuple[HeaderToAdd, ...] = ()
    remove_request_headers: tuple[str, ...] = ()
    remove_response_headers: tuple[str, ...] = ()
    cors: CorsPolicy | None = None
    retry_policy: RetryPolicy | None = None
    upgrades: tuple[str, ...] = ()  # allow_upgrade / use_websocket
    redirect: Redirect | None = None  # host_redirect: no upstream cluster is used
    shadow: bool = False
    bypass_auth: bool = False
    auth_context_extensions: Mapping[str, str] = field(default_factory=dict)
    rate_limit_labels: tuple[LabelGroup, ...] = ()
    docs: Mapping[str, str] = field(default_factory=dict)

    @property
    def match_headers(self) -> tuple[HeaderMatch, ...]:
        """Every header constraint, the Host-derived ``:authority`` and an explicit ``:method`` included."""
        extra = [self.authority] if self.authority is not None else []
        if self.method is not None:
            extra.append(HeaderMatch(":method", self.method, StringMatch.REGEX if self.method_regex
                                     else StringMatch.EXACT))
        return (*extra, *self.headers)

    def route_weight(self) -> tuple[int, int, int, int, str, str, tuple[str, ...], tuple[str, ...]]:
        """Emissary's ordering key: precedence, prefix length, header and query weight, then tie-breakers."""
        headers = self.match_headers
        return (
            self.precedence,
            len(self.path.value),
            sum(h.weight() for h in headers),
            sum(q.weight() for q in self.query),
            self.path.value,
            self.method or "GET",
            tuple(sorted(h.key() for h in headers)),
            tuple(sorted(q.key() for q in self.query)),
        )

    def group_identity(self) -> tuple[object, ...]:
        """What makes Mappings one canary group: the same request match, exactly."""
        return (
            self.path.kind.value, self.path.value, self.method,
            tuple(sorted((h.name, h.value or "", h.match.value) for h in self.match_headers)),
            tuple(sorted((q.name, q.value or "", q.match.value) for q in self.query)),
            self.precedence,
        )

    @property
    def is_acme_challenge(self) -> bool:
        return self.path.kind is PathKind.PREFIX and self.path.value.startswith(ACME_CHALLENGE_PREFIX)
