"""Route groups: Mappings with the same request match form one group; weights split traffic between them.

Within a group, weighted members come first in canonical order, each with the running sum of weights as its
cumulative share; unweighted members each add an even, rounded step of what is left, the last one taking it to 100. A group of
one always takes 100. Each member becomes one Envoy route whose ``runtime_fraction`` is its cumulative share, so a
request falls to the first member whose share exceeds its random draw. If weighted members sum to less than 100
and none is unweighted, the rest of the traffic falls through to later routes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.memo import CompileMemo
from diagd.compile.model.problems import Diagnostics

__all__ = ["GroupMember", "Shadow", "RouteGroup", "build_groups", "MISMATCH_FIELDS"]

# Fields every member of a group must agree on; the request match itself is the group's identity.
MISMATCH_FIELDS = ("case_sensitive", "bypass_auth", "labels", "connect_timeout_ms", "circuit_breakers",
                   "load_balancer", "cluster_idle_timeout_ms", "cluster_max_connection_lifetime_ms", "keepalive")


def _agreed(mapping: HttpMapping) -> tuple[object, ...]:
    up = mapping.upstream
    return (mapping.path.case_sensitive, mapping.bypass_auth, mapping.rate_limit_labels, up.connect_timeout_ms,
            up.circuit_breakers, up.load_balancer, up.idle_timeout_ms, up.max_connection_lifetime_ms, up.keepalive)


@dataclass(frozen=True, slots=True)
class GroupMember:
    mapping: HttpMapping
    cluster: str
    fraction: int | None  # cumulative share 0..100, or None for a group of one


@dataclass(frozen=True, slots=True)
class Shadow:
    """A ``shadow: true`` Mapping: every route of its group mirrors ``percent`` of requests to its cluster."""

    mapping: HttpMapping
    cluster: str
    percent: int


@dataclass(frozen=True, slots=True)
class RouteGroup:
    group_id: str
    members: tuple[GroupMember, ...]
    shadows: tuple[Shadow, ...] = ()

    @property
    def weight(self) -> tuple[object, ...]:
        return max(m.mapping.weight_key for m in self.members)


def build_groups(mappings: Iterable[HttpMapping], clusters: Mapping[Upstream, str], diag: Diagnostics,
                 memo: CompileMemo | None = None) -> tuple[RouteGroup, ...]:
    """Group Mappings, assign shares, and order groups by Emissary's route weight (most specific first).

    With a memo, a group whose members (the same Mapping objects, the same clusters) are unchanged is reused, and
    the order is re-sorted only when the set of groups changed (a group's weight follows from its identity).
    """
    buckets: dict[tuple[object, ...], list[HttpMapping]] = {}
    for mapping in mappings:
        buckets.setdefault(mapping.identity, []).append(mapping)
    groups: dict[str, RouteGroup] = {}
    for identity, members in buckets.items():
        if memo is None:
            group = _group(identity, members, clusters, diag)
        else:
            check = (*members, *[clusters.get(m.upstream, "") for m in members])
            group = memo.groups.get(identity, diag, lambda m, child: _group(m[0].identity, m, clusters, child),
                                    members, check=check)
        if group is not None:
            groups[group.group_id] = group
    if memo is None:
        return _ordered(groups)
    order = memo.group_order.get(frozenset(groups), lambda: tuple(g.group_id for g in _ordered(groups)))
    return tuple(groups[group_id] for group_id in order)


def _ordered(groups: Mapping[str, RouteGroup]) -> tuple[RouteGroup, ...]:
    ordered = sorted(groups.values(), key=lambda g: g.group_id)
    ordered.sort(key=lambda g: g.weight, reverse=True)
    return tuple(ordered)


def _group(identity: tuple[object, ...], members: list[HttpMapping], clusters: Mapping[Upstream, str],
           diag: Diagnostics) -> RouteGroup | None:
    shadows = tuple(Shadow(m, clusters[m.upstream], 100 if m.weight is None else m.weight)
                    for m in members if m.shadow)
    routed = _single_redirect(_consistent([m for m in members if not m.shadow], diag), diag)
    if not routed:
        for shadow in shadows:
            diag.notice(shadow.mapping.ref, "ShadowWithoutRoute", f"shadow Mapping {shadow.mapping.ref.name} has "
                        "no other Mapping with the same match to mirror; it gets no traffic")
        return None
    group = _make_group(identity, routed, clusters, diag)
    if group is not None and shadows:
        group = dataclasses.replace(group, shadows=shadows)
    return group


def _group_id(identity: tuple[object, ...]) -> str:
    return hashlib.sha1(repr(identity).encode("utf-8")).hexdigest()


def _consistent(members: list[HttpMapping], diag: Diagnostics) -> list[HttpMapping]:
    """Reject members that disagree with the first on a group-wide field ("mismatched")."""
    if not members:
        return members
    first, kept = members[0], [members[0]]
    agreed = _agreed(first)
    for mapping in members[1:]:
        mine = _agreed(mapping)
        if mine != agreed:
            fields = ", ".join(name for name, a, b in zip(MISMATCH_FIELDS, agreed, mine, strict=True) if a != b)
            diag.error(mapping.ref, "MismatchedGroup",
                       f"{fields} differs from {first.ref.describe()}, which has the same match; "
                       "Mappings of one canary group must agree, so this one is not routed")
            continue
        kept.append(mapping)
    return kept


def _single_redirect(members: list[HttpMapping], diag: Diagnostics) -> list[HttpMapping]:
    """A host_redirect Mapping must be the only (non-shadow) Mapping with its match."""
    if len(members) < 2 or not any(m.redirect is not None for m in members):
        return members
    first = members[0]
    for mapping in members[1:]:
        diag.error(mapping.ref, "RedirectNotAlone", f"{first.ref.describe()} has the same match and "
                   f"{'is' if first.redirect else 'this one is'} a host_redirect, which must be alone; "
                   "this Mapping is not routed")
    return [first]


def _make_group(identity: tuple[object, ...], members: list[HttpMapping], clusters: Mapping[Upstream, str],
                diag: Diagnostics) -> RouteGroup | None:
    group_id = _group_id(identity)
    if len(members) == 1:
        only = members[0]
        return RouteGroup(group_id, (GroupMember(only, clusters.get(only.upstream, ""), None),))
    shares = _shares(members, diag)
    if not shares:
        return None
    return RouteGroup(group_id, tuple(GroupMember(m, clusters.get(m.upstream, ""), share) for m, share in shares))


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
