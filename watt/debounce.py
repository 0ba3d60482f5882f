"""Coalesce bursts of changes: fire after a short quiet period, but never later than a maximum delay.

Emissary waits a fixed window on every change; this fires as soon as changes stop (tens of ms) and caps a
continuous storm at ``max_delay``. Pure logic with the clock passed in, so its rules are unit-tested.
"""

from __future__ import annotations

__all__ = ["Debouncer"]


class Debouncer:
    def __init__(self, *, quiet: float, max_delay: float) -> None:
        self.quiet = quiet
        self.max_delay = max(max_delay, quiet)
        self._first: float | None = None
        self._last: float | None = None
        self._not_before = 0.0

    @property
    def pending(self) -> bool:
        return self._first is not None

    @property
    def first_change(self) -> float | None:
        return self._first

    def change(self, now: float) -> None:
        """Record a change seen at ``now``."""
        if self._first is None:
            self._first = now
        self._last = now

    def wait_time(self, now: float) -> float | None:
        """Seconds until the pending burst is due (0 if due now), or None when nothing is pending."""
        if self._first is None or self._last is None:
            return None
        due = max(min(self._last + self.quiet, self._first + self.max_delay), self._not_before)
        return max(0.0, due - now)

    def take(self) -> float:
        """Consume the pending burst; returns when its first change was seen."""
        if self._first is None:
            raise RuntimeError("take() with nothing pending")
        first = self._first
        self._first = self._last = None
        self._not_before = 0.0
        return first

    def retry(self, first: float, *, not_before: float) -> None:
        """Put a burst back after a failed publish: due again at ``not_before``, keeping its first-change time."""
        self._first = first if self._first is None else min(first, self._first)
        self._last = self._last if self._last is not None else first
        self._not_before = not_before
