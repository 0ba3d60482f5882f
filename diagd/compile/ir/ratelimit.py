"""Rate limiting (RateLimitService → Envoy ``ratelimit`` filter; Mapping ``labels`` → rate-limit actions), SPEC §4.6.

Only the label groups of the RateLimitService's domain are used. The Module's ``default_labels`` for that domain
are prepended to every label group of a Mapping; a Mapping without label groups for the domain gets one group,
``default``, holding only the defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.policies import LabelGroup, LabelSpecifier
from diagd.compile.model.problems import ResourceRef

__all__ = ["RateLimitService", "DEFAULT_DOMAIN", "label_groups_for"]

DEFAULT_DOMAIN = "ambassador"


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitService:
    ref: ResourceRef
    upstream: Upstream
    cluster: str = ""
    domain: str = DEFAULT_DOMAIN
    timeout_ms: int = 20
    failure_mode_deny: bool = False
    resource_exhausted: bool = False  # grpc.use_resource_exhausted_code: over-limit gRPC calls get RESOURCE_EXHAUSTED


def label_groups_for(labels: Iterable[LabelGroup], domain: str,
                     defaults: tuple[LabelSpecifier, ...]) -> tuple[LabelGroup, ...]:
    """The label groups one route sends for ``domain``, each one becoming one rate-limit descriptor."""
    own = [g for g in labels if g.domain == domain]
    if not own:
        return (LabelGroup(domain, "default", defaults),) if defaults else ()
    return tuple(LabelGroup(domain, g.name, (*defaults, *g.specifiers)) for g in own)
