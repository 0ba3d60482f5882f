"""Reuse of pure work between compiles; the compiler's output is the same with or without a ``CompileMemo``.

A one-Mapping change at 10,000 Mappings should not parse 10,000 Mappings again. ``compile`` takes an optional
``CompileMemo`` holding one store per memoised step:
- per-item steps (resources, Hosts, Mappings, resolvers, …) keep their results in ``splice.ItemMap``s and
  ``splice.Partition``s, which find unchanged items by identity;
- ``MemoTable``s keep results by key (a content key, a group id), replayed with the problems they recorded while
  the step's context (settings, Module options, …) is equal to the one they were computed in; entries a compile does
  not use are dropped at its end;
- the caches below keep route order, rendered routes and virtual hosts, and interned values.

A test compiles every golden case and random edit sequences both ways and compares the output.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from diagd.compile.model.problems import Diagnostics, Problem
from diagd.compile.splice import ItemMap, Partition, changed_positions, changed_span

__all__ = ["MemoTable", "GroupOrder", "OwnedCache", "InternPool", "GroupChanges", "RenderedGroups", "RenderedVhosts",
           "CompileMemo"]

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")
G = TypeVar("G")
_UNSET = object()


@dataclass
class MemoTable:
    hits: int = 0
    misses: int = 0
    _entries: dict[object, tuple[Any, tuple[Problem, ...], object]] = field(default_factory=dict)
    _used: dict[object, tuple[Any, tuple[Problem, ...], object]] = field(default_factory=dict)
    _context: object = _UNSET

    def begin(self, context: object) -> None:
        """Start a compile; results computed under a different context are forgotten."""
        if context != self._context:
            self._entries = {}
            self._context = context
        self._used = {}
        self.hits = self.misses = 0

    def get(self, key: object, diag: Diagnostics, compute: Callable[[A, Diagnostics], R], arg: A, *,
            check: object = None) -> R:
        """``compute(arg, child_diagnostics)`` unless ``key`` was computed before with an equal ``check``; the
        problems it recorded go to ``diag`` either way. ``check`` is usually a tuple of the objects the result was
        made from: tuples compare their items by identity first, so an unchanged check costs little, and holding
        the objects keeps them alive while the entry lives."""
        entry = self._entries.get(key) if key is not None else None
        if entry is None or entry[2] != check:
            child = Diagnostics()
            entry = (compute(arg, child), child.collected(), check)
            self.misses += 1
            if key is not None:
                self._entries[key] = entry  # a second ask in this compile finds it
        else:
            self.hits += 1
        if key is not None:
            self._used[key] = entry
        if entry[1]:
            diag.extend(entry[1])
        result: R = entry[0]
        return result

    def replay(self, diag: Diagnostics) -> None:
        """The problems of every entry this compile uses, to ``diag``."""
        for entry in self._used.values():
            if entry[1]:
                diag.extend(entry[1])

    def keep_all(self) -> None:
        """This compile uses every entry as it is (its step was skipped because its inputs are unchanged)."""
        self._used = dict(self._entries)

    def end(self) -> None:
        self._entries = self._used
        self._used = {}


@dataclass
class GroupOrder:
    """The route order of the previous compile, as group ids. When few groups came or went, the groups that stayed
    keep their order (it follows from their identities) and the new ones are placed by binary search; otherwise the
    whole order is sorted again."""

    order: list[str] = field(default_factory=list)
    ids: frozenset[str] = frozenset()
    patch_limit: int = 64

    def update(self, groups: Mapping[str, G], ordered: Callable[[Mapping[str, G]], list[str]],
               precedes: Callable[[G, G], bool]) -> list[str]:
        ids = frozenset(groups)
        if ids != self.ids:
            added, removed = ids - self.ids, self.ids - ids
            if self.ids and len(added) + len(removed) <= self.patch_limit:
                order = [group_id for group_id in self.order if group_id not in removed] if removed else \
                    list(self.order)
                for group_id in sorted(added):
                    order.insert(_insertion_point(order, groups, groups[group_id], precedes), group_id)
            else:
                order = ordered(groups)
            self.order, self.ids = order, ids
        return self.order


def _insertion_point(order: list[str], groups: Mapping[str, G], new: G, precedes: Callable[[G, G], bool]) -> int:
    low, high = 0, len(order)
    while low < high:
        middle = (low + high) // 2
        if precedes(groups[order[middle]], new):
            low = middle + 1
        else:
            high = middle
    return low


def _outgrown(size: int, baseline: int) -> bool:
    """Whether a cache last pruned to ``baseline`` entries may now hold more than a fifth of stale ones."""
    return size > baseline * 6 // 5 + 64


@dataclass
class OwnedCache(Generic[T]):
    """Values derived from one object (its "owner"), found by a key that includes ``id(owner)``; an entry is valid
    only for that very object, which it keeps alive so its id cannot be reused. Entries outlive a compile that did
    not ask for them (an unchanged virtual host reuses its routes without asking); those whose owner is no longer
    current are pruned once they may be a fifth of the cache. A change of ``context`` drops them all."""

    _entries: dict[object, tuple[object, T]] = field(default_factory=dict)
    _context: object = _UNSET
    _pruned_size: int = 0

    def begin(self, context: object) -> None:
        if context != self._context:
            self._entries, self._context, self._pruned_size = {}, context, 0

    def get(self, key: object, owner: object, compute: Callable[[], T]) -> T:
        entry = self._entries.get(key)
        if entry is None or entry[0] is not owner:
            entry = self._entries[key] = (owner, compute())
        return entry[1]

    def find(self, key: object, owner: object) -> T | None:
        """``get`` without computing: the value, or None when there is none for this very owner."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] is owner else None

    def put(self, key: object, owner: object, value: T) -> T:
        self._entries[key] = (owner, value)
        return value

    def end(self, live: Callable[[], set[int]]) -> None:
        """When enough may have gone stale, keep only entries whose owner's id is in ``live()``."""
        if _outgrown(len(self._entries), self._pruned_size):
            owners = live()
            self._entries = {key: entry for key, entry in self._entries.items() if id(entry[0]) in owners}
            self._pruned_size = len(self._entries)


@dataclass
class InternPool:
    """Equal values as one object across compiles, so later steps find them by identity instead of comparing
    them. Values no longer used are dropped once they may be a fifth of the pool."""

    values: dict[Any, Any] = field(default_factory=dict)
    _pruned_size: int = 0

    def prune(self, live: Callable[[], Container[Any]], part: Callable[[Any], Any]) -> None:
        """When enough may have gone stale, keep only the keys whose ``part`` is in ``live()``."""
        if _outgrown(len(self.values), self._pruned_size):
            used = live()
            self.values = {key: value for key, value in self.values.items() if part(key) in used}
            self._pruned_size = len(self.values)


@dataclass(frozen=True)
class GroupChanges:
    """The groups of one compile against the previous one's: ``ids`` are the group ids whose RouteGroup object
    differs. Known when grouping was patched (see ``ir.groups``); a consumer uses it only if what it last saw was
    ``before``."""

    before: tuple[object, ...]
    after: tuple[object, ...]
    ids: frozenset[str]


_VhostEntry = tuple[tuple[object, ...], tuple[str, ...], object, Mapping[str, object], dict[str, Any]]


@dataclass
class RenderedVhosts:
    """Virtual hosts rendered by the previous compile, by (route configuration, virtual host name), with the route
    variants and groups they were rendered from. A virtual host renders again only the routes that differ: those
    between the longest unchanged head and tail of its variants (variants are interned, so unchanged ones are the
    same objects), and those whose group object changed. One changed Mapping at 10,000 re-renders a few routes per
    virtual host that has it, not 10,000."""

    _entries: dict[object, _VhostEntry] = field(default_factory=dict)
    _used: dict[object, _VhostEntry] = field(default_factory=dict)
    _context: object = _UNSET

    def begin(self, context: object) -> None:
        if context != self._context:
            self._entries, self._context = {}, context
        self._used = {}

    def get(self, key: object, variants: tuple[object, ...], group_ids: tuple[str, ...], groups: RenderedGroups,
            head: dict[str, Any], render: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        """``head`` (the virtual host without routes) with ``render(i)`` for each variant that needs rendering;
        ``group_ids`` are the variants' groups, found in ``groups``."""
        entry = self._entries.get(key)
        if entry is None:
            routes = [render(i) for i in range(len(variants))]
        else:
            routes = _patched(entry, variants, group_ids, groups, render)
        value = entry[4] if entry is not None and routes is entry[4]["routes"] and head == _head(entry[4]) else \
            {**head, "routes": routes}
        self._used[key] = (variants, group_ids, groups.token, groups.index, value)
        return value

    def end(self) -> None:
        self._entries, self._used = self._used, {}


@dataclass(frozen=True)
class RenderedGroups:
    """One compile's groups as rendering sees them: ``token`` (the ordered groups tuple), ``index`` by id, and the
    changes since the previous compile when they are known."""

    token: tuple[object, ...]
    index: Mapping[str, object]
    changes: GroupChanges | None = None


def _head(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k != "routes"}


def _patched(entry: _VhostEntry, variants: tuple[object, ...], ids: tuple[str, ...], groups: RenderedGroups,
             render: Callable[[int], dict[str, Any]]) -> list[dict[str, Any]]:
    """The previous routes with what changed rendered again; the very same list when nothing did."""
    old_variants, old_ids, old_token, old_index, value = entry
    old_routes: list[dict[str, Any]] = value["routes"]
    n_old, n_new = len(old_variants), len(variants)
    head, tail = (n_new, 0) if old_variants is variants else changed_span(old_variants, variants)
    if old_token is groups.token:
        changed: list[int] = []
    elif groups.changes is not None and groups.changes.before is old_token:
        wanted = groups.changes.ids
        changed = [*_positions(ids, wanted, 0, head), *_positions(ids, wanted, n_new - tail, n_new)]
    else:  # compare the group objects of the unchanged head and tail
        index = groups.index
        changed = changed_positions([*map(old_index.__getitem__, old_ids[:head]), *map(old_index.__getitem__,
                                                                                       old_ids[n_old - tail:])],
                                    [*map(index.__getitem__, ids[:head]), *map(index.__getitem__, ids[n_new - tail:])])
        changed = [i if i < head else n_new - tail + i - head for i in changed]
    if head == n_new == n_old and not changed:
        return old_routes
    routes = [*old_routes[:head], *[render(i) for i in range(head, n_new - tail)], *old_routes[n_old - tail:]]
    for i in changed:
        routes[i] = render(i)
    return routes


def _positions(ids: tuple[str, ...], wanted: frozenset[str], start: int, stop: int) -> list[int]:
    """Where the ids in ``wanted`` (a few) occur in ``ids[start:stop]``."""
    found = []
    for group_id in wanted:
        at = start
        while True:
            try:
                at = ids.index(group_id, at, stop)
            except ValueError:
                break
            found.append(at)
            at += 1
    return found


@dataclass
class CompileMemo:
    """One table per memoised step."""

    gateway_api: Partition[Any] = field(default_factory=Partition)  # snapshot objects: Gateway API or not
    parents: Partition[Any] = field(default_factory=Partition)  # snapshot objects: Service or Ingress or not
    annotations: ItemMap[Any, Any] = field(default_factory=ItemMap)  # Service or Ingress → annotation objects
    by_kind: Partition[Any] = field(default_factory=Partition)  # resources by kind
    statuses: Partition[Any] = field(default_factory=Partition)  # resources: with a status to write or not
    resources: Any = None  # see kinds.resources.Collected
    hosts: ItemMap[Any, Any] = field(default_factory=ItemMap)  # Host resource → (Host, the secret files it uses)
    mappings: ItemMap[Any, Any] = field(default_factory=ItemMap)  # Mapping resource → HttpMapping
    probes: MemoTable = field(default_factory=MemoTable)
    resolved: ItemMap[Any, Any] = field(default_factory=ItemMap)  # HttpMapping → with its resolver applied
    groups: MemoTable = field(default_factory=MemoTable)
    clusters: MemoTable = field(default_factory=MemoTable)
    group_order: GroupOrder = field(default_factory=GroupOrder)
    vhosts: MemoTable = field(default_factory=MemoTable)
    takes: dict[tuple[Any, Any], bool] = field(default_factory=dict)  # (Host fingerprint, Mapping kind) → attaches?
    taken: dict[object, tuple[tuple[Any, ...], tuple[Any, ...]]] = field(default_factory=dict)  # per fingerprint
    routes: OwnedCache[dict[str, Any]] = field(default_factory=OwnedCache)  # rendered Envoy routes, by group
    vhost_dicts: RenderedVhosts = field(default_factory=RenderedVhosts)  # rendered virtual hosts
    cluster_dicts: OwnedCache[dict[str, Any]] = field(default_factory=OwnedCache)  # rendered clusters
    variants: InternPool = field(default_factory=InternPool)  # RouteVariants, by (group_id, member, case)
    upstreams: InternPool = field(default_factory=InternPool)  # Upstreams of parsed Mappings
    cluster_users: ItemMap[Any, Any] = field(default_factory=ItemMap)  # HttpMapping → (upstream, ref) or None
    clusters_made: tuple[list[Any], tuple[Any, Any]] | None = None  # (users, (clusters, names)), see pipeline
    plan_index: tuple[list[Any], Any] | None = None  # the groups' attachments and their index (see ir.plan)
    group_state: Any = None  # see ir.groups.GroupState
    group_changes: GroupChanges | None = None  # the last compile's, when grouping was patched
    unrouted: Any = None  # see ir.unrouted.UnroutedState

    def tables(self) -> tuple[MemoTable, ...]:
        return (self.probes, self.groups, self.clusters, self.vhosts)
