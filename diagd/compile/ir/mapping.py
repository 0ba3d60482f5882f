"""HttpMapping: one Mapping resource, validated and typed; the unit that route groups are made of."""

from __future__ import annotations

import hashlib

from collections.abc import Mapping
from dataclasses import dataclass, field

from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.matches import HeaderMatch, PathKind, PathMatch, QueryMatch, StringMatch
from diagd.compile.ir.policies import CorsPolicy, HeaderToAdd, LabelGroup, Redirect, RetryPolicy
from diagd.compile.model.problems import ResourceRef
from diagd.compile.model.records import DERIVED, direct_init

__all__ = ["RegexRewrite", "HttpMapping", "ACME_CHALLENGE_PREFIX", "AttachKind"]

AttachKind = tuple[str | None, bool, tuple[tuple[str, str], ...]]  # hostname, internal, labels (see ir.attach)

ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/"


@dataclass(frozen=True, slots=True)
class RegexRewrite:
    pattern: str
    substitution: str


@direct_init
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

    # Computed once per object (the memo reuses objects across compiles); not part of equality or the IR JSON.
    match_headers: tuple[HeaderMatch, ...] = field(init=False, repr=False, compare=False, metadata=DERIVED)
    weight_key: tuple[object, ...] = field(init=False, repr=False, compare=False, metadata=DERIVED)
    identity: tuple[object, ...] = field(init=False, repr=False, compare=False, metadata=DERIVED)
    group_id: str = field(init=False, repr=False, compare=False, metadata=DERIVED)  # names ``identity``
    attach_kind: AttachKind = field(init=False, repr=False, compare=False, metadata=DERIVED)
    is_acme_challenge: bool = field(init=False, repr=False, compare=False, metadata=DERIVED)  # always routed

    def __post_init__(self) -> None:
        headers = self.headers
        if self.method is not None:
            headers = (HeaderMatch(":method", self.method, StringMatch.REGEX if self.method_regex
                                   else StringMatch.EXACT), *headers)
        if self.authority is not None:
            headers = (self.authority, *headers)
        identity = self._group_identity(headers)
        setattr_ = object.__setattr__
        setattr_(self, "match_headers", headers)
        setattr_(self, "weight_key", self._route_weight(headers))
        setattr_(self, "identity", identity)
        setattr_(self, "group_id", hashlib.sha1(repr(identity).encode("utf-8")).hexdigest())
        # What decides which Hosts take this Mapping (see ir.attach): hostname, internal, labels.
        setattr_(self, "attach_kind", (self.hostname, self.internal,
                                       tuple(sorted(self.labels.items())) if self.labels else ()))
        path = self.path
        setattr_(self, "is_acme_challenge", path.kind is PathKind.PREFIX
                 and path.value.startswith(ACME_CHALLENGE_PREFIX))

    def _route_weight(self, headers: tuple[HeaderMatch, ...]) -> tuple[object, ...]:
        """Emissary's ordering key: precedence, prefix length, header and query weight, then tie-breakers."""
        query = self.query
        header_keys: tuple[str, ...]
        if len(headers) == 1:  # the usual case: a hostname's :authority alone
            header_weight, header_keys = headers[0].weight(), (headers[0].key(),)
        else:
            header_weight, header_keys = sum(h.weight() for h in headers), tuple(sorted(h.key() for h in headers))
        return (
            self.precedence,
            len(self.path.value),
            header_weight,
            sum(q.weight() for q in query) if query else 0,
            self.path.value,
            self.method or "GET",
            header_keys,
            tuple(sorted(q.key() for q in query)) if query else (),
        )

    def _group_identity(self, headers: tuple[HeaderMatch, ...]) -> tuple[object, ...]:
        """What makes Mappings one canary group: the same request match, exactly."""
        query = self.query
        return (
            self.path.kind.value, self.path.value, self.method,
            (headers[0].identity,) if len(headers) == 1 else tuple(sorted(h.identity for h in headers)),
            tuple(sorted((q.name, q.value or "", q.match.value) for q in query)) if query else (),
            self.precedence,
        )

    def route_weight(self) -> tuple[object, ...]:
        return self.weight_key

    def group_identity(self) -> tuple[object, ...]:
        return self.identity

