"""Problems are recorded per resource, never raised: a bad resource drops out and the rest compiles.

Reasons are stable CamelCase tokens (``NoSuchService``, ``InvalidField``) that tests and the UI match on; the message
is for people. Exceptions inside the compiler are reserved for programmer errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from diagd.compile.model.records import direct_init
from diagd.compile.model.source import Location

__all__ = ["Severity", "ResourceRef", "Problem", "Diagnostics", "GLOBAL_KEY"]

GLOBAL_KEY = "-global-"


class Severity(str, Enum):
    ERROR = "error"
    NOTICE = "notice"


@direct_init
@dataclass(frozen=True, slots=True)
class ResourceRef:
    """Identifies a resource in problems, the IR and diag: kind, name, namespace, Emissary-style key, location."""

    kind: str
    name: str
    namespace: str
    rkey: str
    location: Location

    def describe(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@direct_init
@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    reason: str
    message: str
    rkey: str
    kind: str | None
    name: str | None
    namespace: str | None
    location: Location | None

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.rkey, self.severity.value, self.reason, self.message)


class Diagnostics:
    """Collects problems during one compile. Passed explicitly; there is no "current resource" state."""

    def __init__(self) -> None:
        self._problems: list[Problem] = []

    def error(self, ref: ResourceRef | None, reason: str, message: str, *, location: Location | None = None) -> None:
        self._add(Severity.ERROR, ref, reason, message, location)

    def notice(self, ref: ResourceRef | None, reason: str, message: str, *, location: Location | None = None) -> None:
        self._add(Severity.NOTICE, ref, reason, message, location)

    def _add(self, severity: Severity, ref: ResourceRef | None, reason: str, message: str,
             location: Location | None) -> None:
        if ref is None:
            problem = Problem(severity, reason, message, GLOBAL_KEY, None, None, None, location)
        else:
            problem = Problem(severity, reason, message, ref.rkey, ref.kind, ref.name, ref.namespace,
                              location or ref.location)
        self._problems.append(problem)

    def extend(self, problems: tuple[Problem, ...]) -> None:
        """Record problems collected elsewhere (by a child collector, or replayed from a memo)."""
        self._problems.extend(problems)

    def collected(self) -> tuple[Problem, ...]:
        """Everything recorded so far, in recording order."""
        return tuple(self._problems)

    def problems(self) -> tuple[Problem, ...]:
        """Every problem, deduplicated and sorted by resource key so that output is deterministic."""
        return tuple(sorted(set(self._problems), key=Problem.sort_key))

    def has_errors(self, rkey: str) -> bool:
        return any(p.rkey == rkey and p.severity is Severity.ERROR for p in self._problems)
