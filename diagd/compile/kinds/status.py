"""Host and Mapping status from the compile's own problems: Ready/Running, or Error/Inactive with the reason.

Only objects that came from Kubernetes as themselves get a status (not files, not annotation objects, not
resources generated from an Ingress). The statuses are merge patches: a field that no longer applies is set to
null so that the API server removes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Problem, Severity
from diagd.compile.model.status import StatusUpdate
from diagd.compile.splice import Partition, split

__all__ = ["resource_statuses", "from_kubernetes"]


def from_kubernetes(res: Resource) -> bool:
    """The object itself came from Kubernetes (so it has a status to write)."""
    loc = res.ref.location
    return loc.file is None and loc.parent is None and loc.kind == res.kind and loc.name == res.name


def _first_errors(problems: Iterable[Problem]) -> dict[tuple[str | None, str], str]:
    """By (kind, key): a Host and a Mapping of the same name share their Emissary-style key."""
    errors: dict[tuple[str | None, str], str] = {}
    for problem in problems:
        if problem.severity is Severity.ERROR:
            errors.setdefault((problem.kind, problem.rkey), f"{problem.reason}: {problem.message}")
    return errors


def _has_status(res: Resource) -> bool:
    return res.kind in ("Host", "Mapping") and from_kubernetes(res)


def resource_statuses(resources: Sequence[Resource], problems: Sequence[Problem], *, mappings: bool,
                      memo: Partition[Resource] | None = None) -> tuple[StatusUpdate, ...]:
    with_status = split(resources, _has_status, memo).get(True, [])
    if not with_status:
        return ()
    errors = _first_errors(problems)
    updates = []
    for res in with_status:
        error = errors.get((res.kind, res.ref.rkey))
        if res.kind == "Host":
            status = {"state": "Error", "errorReason": error} if error else {"state": "Ready", "errorReason": None}
        elif res.kind == "Mapping" and mappings:
            status = {"state": "Inactive", "reason": error} if error else {"state": "Running", "reason": None}
        else:
            continue
        updates.append(StatusUpdate(kind=res.kind, api_version=res.api_version, namespace=res.namespace,
                                    name=res.name, status=status))
    return tuple(updates)
