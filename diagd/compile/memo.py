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
from typing import Generic, TypeVar

from diagd.compile.model.problems import Diagnostics, Problem

__all__ = ["MemoTable", "CompileMemo"]

T = TypeVar("T")
_UNSET = object()


@dataclass
class MemoTable(Generic[T]):
    hits: int = 0
    misses: int = 0
    _entries: dict[str, tuple[T, tuple[Problem, ...]]] = field(default_factory=dict)
    _used: dict[str, tuple[T, tuple[Problem, ...]]] = field(default_factory=dict)
    _context: object = _UNSET

    def begin(self, context: object) -> None:
        """Start a compile; results computed under a different context are forgotten."""
        if context != self._context:
            self._entries = {}
            self._context = context
        self._used = {}
        self.hits = self.misses = 0

    def get(self, key: str | None, diag: Diagnostics, compute: Callable[[Diagnostics], T]) -> T:
        """``compute(child_diagnostics)`` unless ``key`` was computed before; its problems go to ``diag`` either way."""
        entry = self._entries.get(key) if key is not None else None
        if entry is None:
            child = Diagnostics()
            entry = (compute(child), child.collected())
            self.misses += 1
        else:
            self.hits += 1
        if key is not None:
            self._used[key] = entry
        diag.extend(entry[1])
        return entry[0]

    def end(self) -> None:
        self._entries = self._used
        self._used = {}


@dataclass
class CompileMemo:
    """One table per memoised step."""

    resources: MemoTable[object] = field(default_factory=MemoTable)
    mappings: MemoTable[object] = field(default_factory=MemoTable)

    def tables(self) -> tuple[MemoTable[object], ...]:
        return (self.resources, self.mappings)
