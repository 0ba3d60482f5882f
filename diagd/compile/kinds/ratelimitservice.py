"""RateLimitService (SPEC §4.6) → ``RateLimitService`` IR, and the Module's rate-limit label defaults.

Exactly one RateLimitService may exist, and it must speak protocol v3; otherwise there is no rate limiting and
the resource carries the error. Which requests are limited is decided by Mapping ``labels`` (``kinds/policies``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diagd.compile.ir.policies import LabelSpecifier
from diagd.compile.ir.ratelimit import DEFAULT_DOMAIN, RateLimitService
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.external import COMMON_FIELDS, only_one, require_v3, service_upstream
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.policies import label_specifier
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics

__all__ = ["KIND", "parse", "rate_limit_service", "label_defaults", "label_domain"]

KIND = "RateLimitService"

_KNOWN = COMMON_FIELDS | {"service", "protocol_version", "domain", "timeout_ms", "failure_mode_deny", "grpc"}


def _resource_exhausted(fields: Fields) -> bool:
    grpc: Mapping[str, Any] | None = fields.mapping("grpc")
    if grpc is None:
        return False
    value = grpc.get("use_resource_exhausted_code", False)
    if not isinstance(value, bool):
        fields.invalid("grpc.use_resource_exhausted_code", "must be a boolean")
        return False
    return value


def parse(res: Resource, ctx: KindContext, diag: Diagnostics) -> RateLimitService | None:
    fields = Fields(res.spec, res.ref, diag)
    v3 = require_v3(fields, res)
    upstream = service_upstream(fields, res, ctx, http2=True)
    domain = fields.string("domain", ctx.options.default_label_domain) or ctx.options.default_label_domain
    timeout = fields.integer("timeout_ms", 20, minimum=1) or 20
    deny, exhausted = fields.boolean("failure_mode_deny"), _resource_exhausted(fields)
    fields.notice_unknown(_KNOWN)
    if not fields.ok or not v3 or upstream is None:
        return None
    return RateLimitService(ref=res.ref, upstream=upstream, domain=domain, timeout_ms=timeout,
                            failure_mode_deny=deny, resource_exhausted=exhausted)


def rate_limit_service(resources: Sequence[Resource], ctx: KindContext, diag: Diagnostics) -> RateLimitService | None:
    chosen = only_one(resources, diag)
    return parse(chosen, ctx, diag) if chosen is not None else None


def label_domain(fields: Fields) -> str:
    """Module ``default_label_domain``: the RateLimitService's domain when it names none."""
    return fields.string("default_label_domain", DEFAULT_DOMAIN) or DEFAULT_DOMAIN


def label_defaults(fields: Fields) -> tuple[tuple[str, tuple[LabelSpecifier, ...]], ...]:
    """Module ``default_labels: {<domain>: {defaults: [specifier, ...]}}``, prepended to every label group."""
    raw: Mapping[str, Any] | None = fields.mapping("default_labels")
    out = []
    for domain, body in sorted((raw or {}).items(), key=lambda kv: str(kv[0])):
        specs = body.get("defaults", []) if isinstance(body, Mapping) else None
        parsed = [label_specifier(s) for s in specs] if isinstance(specs, list) else [None]
        if any(p is None for p in parsed):
            fields.invalid(f"default_labels.{domain}", "must be {defaults: [label specifier, ...]}")
            continue
        out.append((str(domain), tuple(p for p in parsed if p is not None)))
    return tuple(out)
