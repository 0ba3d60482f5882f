"""Route groups: Mappings with the same request match form one group; weights split traffic between them.

Within a group, weighted members come first in canonical order, each with the running sum of weights as its
cumulative share; unweighted members each add an even, rounded step of what is left, the last one taking it to 100. A group of
one always takes 100. Each member becomes one Envoy route whose ``runtime_fraction`` is its cumulative share, so a
request falls to the first member whose share exceeds its random draw. If weighted members sum to less than 100
and none is unweighted, the rest of the traffic falls through to later routes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.model.problems import Diagnostics

__all__ = ["GroupMember", "RouteGroup", "build_groups", "MISMATCH_FIELDS"]

# Fields every member of a group must agree on (the rest of SPEC's list joins as the compiler grows).
MISMATCH_FIELDS = ("upstream.connect_timeout_ms",)


@dataclass(frozen=True, slots=True)
class GroupMember:
    mapping: HttpMapping
    cluster: str
    fraction: int | None  # cumulative share 0..100, or None for a group of one


@dataclass(frozen=True, slots=True)
class RouteGroup:
    group_id: str
    members: tuple[GroupMember, ...]

    @property
    def weight(self) -> tuple[object, ...]:
        return max(m.mapping.route_weight() for m in self.members)


def build_groups(mappings: Iterable[HttpMapping], clusters: Mapping[Upstream, str],
                 diag: Diagnostics) -> tuple[RouteGroup, ...]:
    """Group Mappings, assign shares, and order groups by Emissary's route weight (most specific first)."""
    buckets: dict[tuple[object, ...], list[HttpMapping]] = {}
    for mapping in mappings:
        buckets.setdefault(mapping.group_identity(), []).append(mapping)
    groups = []
    for identity, members in buckets.items():
        group = _make_group(identity, _consistent(members, diag), clusters, diag)
        if group is not None:
            groups.append(group)
    groups.sort(key=lambda g: g.group_id)
    groups.sort(key=lambda g: g.weight, reverse=True)
    return tuple(groups)


def _group_id(identity: tuple[object, ...]) -> str:
    return hashlib.sha1(repr(identity).encode("utf-8")).hexdigest()


def _consistent(members: list[HttpMapping], diag: Diagnostics) -> list[HttpMapping]:
    """Reject members that disagree with the first on a group-wide field ("mismatched")."""
    first, kept = members[0], [members[0]]
    for mapping in members[1:]:
        if mapping.upstream.connect_timeout_ms != first.upstream.connect_timeout_ms:
            diag.error(mapping.ref, "MismatchedGroup",
                       f"connect_timeout_ms differs from {first.ref.describe()}, which has the same match; "
                       "Mappings of one canary group must agree, so this one is not routed")
            continue
        kept.append(mapping)
    return kept


def _make_group(identity: tuple[object, ...], members: list[HttpMapping], clusters: Mapping[Upstream, str],
                diag: Diagnostics) -> RouteGroup | None:
    group_id = _group_id(identity)
    if len(members) == 1:
        only = members[0]
        return RouteGroup(group_id, (GroupMember(only, clusters[only.upstream], None),))
    shares = _shares(members, diag)
    if not shares:
        return None
    return RouteGroup(group_id, tuple(GroupMember(m, clusters[m.upstream], share) for m, share in shares))


def _shares(members: list[HttpMapping], diag: Diagnostics) -> list[tuple[HttpMapping, int]]:
    weighted: list[tuple[HttpMapping, int]] = []
    unweighted: list[HttpMapping] = []
    total = 0
    for mapping in members:
        if mapping.weight is None:
            unweighted.append(mapping)
        elif total + mapping.weight > 100:
            diag.error(mapping.ref, "InvalidWeight",
                       f"weight {mapping.weight} takes its group's total over 100 (already {total}); "
                       "this Mapping is not routed")
        else:
            total += mapping.weight
            weighted.append((mapping, total))
    if unweighted:
        step = round((100 - total) / len(unweighted))
        for position, mapping in enumerate(unweighted, start=1):
            total += step
            weighted.append((mapping, 100 if position == len(unweighted) else total))
    return weighted
