"""Reuse of pure per-resource work between compiles, keyed by a resource's exact content.

A one-Mapping change at 10,000 Mappings should not parse 10,000 Mappings again. ``compile`` takes an optional
``CompileMemo``; each table remembers, per content key (watt's snapshot line), what a pure function returned and
which problems it recorded, and replays both while the function's context (settings, Module options, …) is equal to
the one they were computed in. Entries not used by a compile are dropped at its end, so the memo holds one
configuration's worth of results. The compiler's output is the same with or without a memo; a test checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from diagd.compile.model.problems import Diagnostics, Problem

__all__ = ["MemoTable", "Remembered", "OwnedCache", "CompileMemo"]

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")
_UNSET = object()


@dataclass
class MemoTable:
    hits: int = 0
    misses: int = 0
    _entries: dict[object, tuple[object, tuple[Problem, ...], object]] = field(default_factory=dict)
    _used: dict[object, tuple[object, tuple[Problem, ...], object]] = field(default_factory=dict)
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
        else:
            self.hits += 1
        if key is not None:
            self._used[key] = entry
        if entry[1]:
            diag.extend(entry[1])
        return cast(R, entry[0])

    def end(self) -> None:
        self._entries = self._used
        self._used = {}


@dataclass
class Remembered(Generic[T]):
    """One value from the previous compile, reused while its check is equal (``check`` keeps what it names alive)."""

    check: object = _UNSET
    value: T | None = None

    def get(self, check: object, compute: Callable[[], T]) -> T:
        if self.value is None or check != self.check:
            self.value, self.check = compute(), check
        return self.value


@dataclass
class OwnedCache(Generic[T]):
    """Values derived from one object (its "owner"), found by a key that includes ``id(owner)``; an entry is valid
    only for that very object, which it keeps alive so its id cannot be reused. Entries unused by a compile are
    dropped; a change of ``context`` drops them all."""

    _entries: dict[object, tuple[object, T]] = field(default_factory=dict)
    _used: dict[object, tuple[object, T]] = field(default_factory=dict)
    _context: object = _UNSET

    def begin(self, context: object) -> None:
        if context != self._context:
            self._entries, self._context = {}, context
        self._used = {}

    def get(self, key: object, owner: object, compute: Callable[[], T]) -> T:
        entry = self._entries.get(key)
        if entry is None or entry[0] is not owner:
            entry = (owner, compute())
        self._used[key] = entry
        return entry[1]

    def end(self) -> None:
        self._entries, self._used = self._used, {}


@dataclass
class CompileMemo:
    """One table per memoised step."""

    resources: MemoTable = field(default_factory=MemoTable)
    mappings: MemoTable = field(default_factory=MemoTable)
    probes: MemoTable = field(default_factory=MemoTable)
    groups: MemoTable = field(default_factory=MemoTable)
    clusters: MemoTable = field(default_factory=MemoTable)
    group_order: Remembered[tuple[str, ...]] = field(default_factory=Remembered)
    vhosts: MemoTable = field(default_factory=MemoTable)
    takes: dict[object, bool] = field(default_factory=dict)  # (Host fingerprint, Mapping kind) → attaches?
    routes: OwnedCache[dict[str, Any]] = field(default_factory=OwnedCache)  # rendered Envoy routes
    vhost_dicts: OwnedCache[dict[str, Any]] = field(default_factory=OwnedCache)  # rendered virtual hosts
    cluster_dicts: OwnedCache[dict[str, Any]] = field(default_factory=OwnedCache)

    def caches(self) -> tuple[OwnedCache[dict[str, Any]], ...]:
        return (self.routes, self.vhost_dicts, self.cluster_dicts)

    def tables(self) -> tuple[MemoTable, ...]:
        return (self.resources, self.mappings, self.probes, self.groups, self.clusters, self.vhosts)
