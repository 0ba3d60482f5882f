"""The NotRouted notice: a Mapping that was grouped (it is valid) but that no virtual host of any Listener takes.

Which Mappings some virtual host routes is the union of every virtual host's sources. With a memo, that union is
kept while the virtual hosts are the very same objects (a route-level edit keeps them), and then only the Mappings
that changed, and those unrouted before, are looked at again.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, count

from diagd.compile.ir.gateway import ListenerPlan, VirtualHost
from diagd.compile.ir.groups import RouteGroup
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.model.problems import Diagnostics
from diagd.compile.splice import changed_positions

__all__ = ["UnroutedState", "report_unrouted"]

_RKEY = operator.attrgetter("ref.rkey")


@dataclass(frozen=True)
class UnroutedState:
    vhosts: tuple[VirtualHost, ...]  # every distinct virtual host, in plan order
    routed: frozenset[str]
    mappings: Sequence[HttpMapping]
    unrouted: tuple[int, ...]  # positions in ``mappings`` of those not routed


def report_unrouted(plans: Sequence[ListenerPlan], groups: Sequence[RouteGroup], mappings: Sequence[HttpMapping],
                    diag: Diagnostics, previous: UnroutedState | None = None) -> UnroutedState | None:
    """Report each unrouted Mapping; the state to give the next compile (None when there are no plans)."""
    if not plans:
        return None
    vhosts = tuple({id(vh): vh for plan in plans for chain in plan.chains for vh in chain.virtual_hosts}.values())
    if previous is not None and _same(previous.vhosts, vhosts) and len(previous.mappings) == len(mappings):
        routed = previous.routed  # the same virtual host objects route the same Mappings
        candidates = sorted({*previous.unrouted, *changed_positions(previous.mappings, mappings)})
        unrouted = tuple(i for i in candidates if mappings[i].ref.rkey not in routed)
    else:
        routed = frozenset().union(*(vh.sources for vh in vhosts))
        unrouted = tuple(compress(count(), map(operator.not_, map(routed.__contains__, map(_RKEY, mappings)))))
    if unrouted:
        _notify([mappings[i] for i in unrouted], groups, diag)
    return UnroutedState(vhosts=vhosts, routed=routed, mappings=tuple(mappings), unrouted=unrouted)


def _same(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
    return len(old) == len(new) and not changed_positions(old, new)


def _notify(unrouted: list[HttpMapping], groups: Sequence[RouteGroup], diag: Diagnostics) -> None:
    by_id = {group.group_id: group for group in groups}
    for mapping in unrouted:
        group = by_id.get(mapping.group_id)
        grouped = group is not None and any(m.mapping.ref.rkey == mapping.ref.rkey for m in group.members)
        if mapping.internal or not grouped:
            continue
        why = ("it has no hostname, and no Host's mappingSelector selects its labels" if mapping.hostname is None
               else f"no Host on any Listener takes hostname {mapping.hostname!r}")
        diag.notice(mapping.ref, "NotRouted", f"Mapping {mapping.ref.name} is not routed: {why}")
