"""The published state the web layer reads: one immutable object, swapped as a whole by the reconfig worker."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from diagd.compile import CompileResult
from diagd.compile.model.source import Snapshot

__all__ = ["ReconfigRecord", "CompiledState", "StateHolder", "PHASES"]

# (name, from-field, to-field): the phases of one reconfiguration, in order.
PHASES = (
    ("snapshot", "change_seen", "snapshot_written"),
    ("compile", "snapshot_written", "compiled"),
    ("write", "compiled", "written"),
    ("push", "written", "pushed"),
    ("ack", "pushed", "acked"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconfigRecord:
    """One reconfiguration, from the change watt saw to Envoy's ACK. Times are epoch seconds."""

    seq: int
    change_seen: float
    snapshot_written: float
    compiled: float
    written: float
    compile_seconds: float
    pushed: float | None = None
    acked: float | None = None
    nack: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    errors: int = 0
    decoded: int = 0
    endpoints_only: bool = False  # only Endpoints/EndpointSlices changed: load assignments refreshed, no compile

    def phases_ms(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for name, start, end in PHASES:
            a, b = getattr(self, start), getattr(self, end)
            out[name] = round((b - a) * 1000, 2) if a is not None and b is not None else None
        end_time = self.acked if self.acked is not None else None
        out["total"] = round((end_time - self.change_seen) * 1000, 2) if end_time is not None else None
        return out

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["phases_ms"] = self.phases_ms()
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledState:
    started: float
    result: CompileResult | None = None
    applied_seq: int | None = None
    source: Mapping[str, Any] = field(default_factory=dict)
    last: ReconfigRecord | None = None
    history: tuple[ReconfigRecord, ...] = ()
    ambex: Mapping[str, Any] = field(default_factory=dict)
    last_error: str | None = None
    snapshot: Snapshot | None = None  # what ``result`` was compiled from, for the diag pages' resource views
    first_applied: float | None = None  # when the first configuration was published (liveness grace)

    @property
    def config_applied(self) -> bool:
        """A configuration was compiled, handed to ambex, and Envoy acknowledged it."""
        return self.result is not None and self.ambex.get("acked") is not None


class StateHolder:
    """Holds the current ``CompiledState``; readers take a reference, the worker swaps a new one in."""

    def __init__(self, initial: CompiledState) -> None:
        self._lock = threading.Lock()
        self._state = initial
        self._observers: list[Callable[[CompiledState, CompiledState], None]] = []

    def subscribe(self, observer: Callable[[CompiledState, CompiledState], None]) -> None:
        """Call ``observer(old, new)`` after every swap (under the swap lock: it must be quick and not swap)."""
        self._observers.append(observer)

    @property
    def current(self) -> CompiledState:
        return self._state

    def swap(self, change: Callable[[CompiledState], CompiledState]) -> CompiledState:
        """Replace the state with ``change(current)``; serialised, so concurrent swaps never lose an update."""
        with self._lock:
            old = self._state
            self._state = change(old)
            for observer in self._observers:
                observer(old, self._state)
            return self._state
