"""Route groups: Mappings with the same request match form one group; weights split traffic between them.

Within a group, weighted members come first in canonical order, each with the running sum of weights as its
cumulative share; unweighted members each add an even, rounded step of what is left, the last one taking it to 100. A group of
one always takes 100. Each member becomes one Envoy route whose ``runtime_fraction`` is its cumulative share, so a
request falls to the first member whose share exceeds its random draw. If weighted members sum to less than 100
and none is unweighted, the rest of the traffic falls through to later routes.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field

from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.mapping import AttachKind, HttpMapping
from diagd.compile.memo import CompileMemo, GroupChanges
from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.records import DERIVED, direct_init

__all__ = ["GroupMember", "Shadow", "RouteGroup", "build_groups", "MISMATCH_FIELDS"]

# Fields every member of a group must agree on; the request match itself is the group's identity.
MISMATCH_FIELDS = ("case_sensitive", "bypass_auth", "labels", "connect_timeout_ms", "circuit_breakers",
                   "load_balancer", "cluster_idle_timeout_ms", "cluster_max_connection_lifetime_ms", "keepalive")


def _agreed(mapping: HttpMapping) -> tuple[object, ...]:
    up = mapping.upstream
    return (mapping.path.case_sensitive, mapping.bypass_auth, mapping.rate_limit_labels, up.connect_timeout_ms,
            up.circuit_breakers, up.load_balancer, up.idle_timeout_ms, up.max_connection_lifetime_ms, up.keepalive)


@direct_init
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


@direct_init
@dataclass(frozen=True, slots=True)
class RouteGroup:
    group_id: str
    members: tuple[GroupMember, ...]
    shadows: tuple[Shadow, ...] = ()
    # Per member: its attach kind, its index, and its shape (group_id, index, ACME flag, rkey); see ir.plan.
    attachments: tuple[tuple[AttachKind, int, tuple[str, int, bool, str]], ...] = field(
        init=False, repr=False, compare=False, metadata=DERIVED)
    weight: tuple[object, ...] = field(init=False, repr=False, compare=False, metadata=DERIVED)  # the route order key

    def __post_init__(self) -> None:
        members = self.members
        object.__setattr__(self, "attachments", tuple([
            (m.mapping.attach_kind, mi, (self.group_id, mi, m.mapping.is_acme_challenge, m.mapping.ref.rkey))
            for mi, m in enumerate(members)]))
        object.__setattr__(self, "weight", members[0].mapping.weight_key if len(members) == 1 else
                           max(m.mapping.weight_key for m in members))


def build_groups(mappings: list[HttpMapping], clusters: Mapping[Upstream, str], diag: Diagnostics,
                 memo: CompileMemo | None = None) -> tuple[RouteGroup, ...]:
    """Group Mappings, assign shares, and order groups by Emissary's route weight (most specific first).

    With a memo, a group whose members (the same Mapping objects, the same clusters) are unchanged is reused, and
    the previous order is kept, or patched when few groups came or went (a group's weight follows from its
    identity, so the groups that stayed keep their relative order). When only a few Mappings changed and each
    stayed in its group, only their groups are made again (see ``_patched``).
    """
    if memo is not None:
        patched = _patched(mappings, clusters, diag, memo)
        if patched is not None:
            return patched
        memo.group_changes = None
    buckets: dict[str, list[HttpMapping]] = {}
    for mapping in mappings:
        bucket = buckets.get(mapping.group_id)
        if bucket is None:
            buckets[mapping.group_id] = [mapping]
        else:
            bucket.append(mapping)
    groups: dict[str, RouteGroup] = {}
    for group_id, members in buckets.items():
        group = _group(members, clusters, diag) if memo is None else _remembered(group_id, members, clusters, memo,
                                                                                   diag)
        if group is not None:
            groups[group.group_id] = group
    if memo is None:
        return _ordered(groups)
    order = memo.group_order.update(groups, lambda gs: [g.group_id for g in _ordered(gs)], _precedes)
    result = tuple(map(groups.__getitem__, order))
    memo.group_state = GroupState(mappings=list(mappings), clusters=clusters, buckets=buckets, result=result,
                                  positions={group.group_id: i for i, group in enumerate(result)})
    return result


def _remembered(group_id: str, members: list[HttpMapping], clusters: Mapping[Upstream, str], memo: CompileMemo,
                diag: Diagnostics) -> RouteGroup | None:
    only = members[0]
    check = (only, clusters.get(only.upstream, "")) if len(members) == 1 else \
        (*members, *[clusters.get(m.upstream, "") for m in members])
    group: RouteGroup | None = memo.groups.get(group_id, diag, lambda m, child: _group(m, clusters, child), members,
                                               check=check)
    return group


@dataclass(frozen=True)
class GroupState:
    """What the previous compile grouped: its Mappings, the cluster names they were grouped with, its buckets and
    its ordered groups with their positions."""

    mappings: list[HttpMapping]
    clusters: Mapping[Upstream, str]
    buckets: dict[str, list[HttpMapping]]
    result: tuple[RouteGroup, ...]
    positions: dict[str, int]


PATCH_LIMIT = 64  # changed Mappings beyond which grouping is done in full


def _patched(mappings: list[HttpMapping], clusters: Mapping[Upstream, str], diag: Diagnostics,
             memo: CompileMemo) -> tuple[RouteGroup, ...] | None:
    """The previous groups with those of the changed Mappings made again, when the Mappings are the same objects
    at the same positions except a few, each changed one kept its group, the cluster names are the very same,
    and every remade group still exists. None when that is not so."""
    state = memo.group_state
    if state is None or state.clusters is not clusters or len(state.mappings) != len(mappings):
        return None
    changed = list(itertools.compress(range(len(mappings)), map(operator.is_not, state.mappings, mappings)))
    if len(changed) > PATCH_LIMIT or any(state.mappings[i].group_id != mappings[i].group_id for i in changed):
        return None
    buckets: dict[str, list[HttpMapping]] = {}
    for i in changed:
        old, new = state.mappings[i], mappings[i]
        bucket = buckets.setdefault(new.group_id, list(state.buckets[new.group_id]))
        bucket[next(j for j, m in enumerate(bucket) if m is old)] = new
    remade = {gid: _remembered(gid, members, clusters, memo, Diagnostics()) for gid, members in buckets.items()}
    if any(group is None or gid not in state.positions for gid, group in remade.items()):
        return None
    memo.groups.keep_all()
    memo.groups.replay(diag)
    result = list(state.result)
    for gid, group in remade.items():
        assert group is not None
        result[state.positions[gid]] = group
    patched = tuple(result)
    memo.group_changes = GroupChanges(before=state.result, after=patched, ids=frozenset(
        gid for gid, group in remade.items() if group is not state.result[state.positions[gid]]))
    memo.group_state = dataclasses.replace(state, mappings=list(mappings), buckets={**state.buckets, **buckets},
                                           result=patched)
    return patched


_GROUP_ID, _WEIGHT = operator.attrgetter("group_id"), operator.attrgetter("weight")


def _ordered(groups: Mapping[str, RouteGroup]) -> tuple[RouteGroup, ...]:
    ordered = sorted(groups.values(), key=_GROUP_ID)
    ordered.sort(key=_WEIGHT, reverse=True)
    return tuple(ordered)


def _precedes(a: RouteGroup, b: RouteGroup) -> bool:
    """Whether ``a`` comes before ``b`` in ``_ordered`` (decided by it, so the two never disagree)."""
    return _ordered({a.group_id: a, b.group_id: b})[0] is a


def _group(members: list[HttpMapping], clusters: Mapping[Upstream, str],
           diag: Diagnostics) -> RouteGroup | None:
    if len(members) == 1 and not members[0].shadow:  # the usual case: a Mapping alone with its match
        return _make_group(members, clusters, diag)
    shadows = tuple(Shadow(m, clusters[m.upstream], 100 if m.weight is None else m.weight)
                    for m in members if m.shadow)
    routed = _single_redirect(_consistent([m for m in members if not m.shadow], diag), diag)
    if not routed:
        for shadow in shadows:
            diag.notice(shadow.mapping.ref, "ShadowWithoutRoute", f"shadow Mapping {shadow.mapping.ref.name} has "
                        "no other Mapping with the same match to mirror; it gets no traffic")
        return None
    group = _make_group(routed, clusters, diag)
    if group is not None and shadows:
        group = dataclasses.replace(group, shadows=shadows)
    return group


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


def _make_group(members: list[HttpMapping], clusters: Mapping[Upstream, str],
                diag: Diagnostics) -> RouteGroup | None:
    group_id = members[0].group_id
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
