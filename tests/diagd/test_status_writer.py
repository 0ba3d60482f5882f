"""diagd's status writer: only changed statuses are written; gone objects are skipped; failures are retried.
(Against the real API server, under the shipped RBAC: tests/k8s/test_end_to_end.py.)"""

from __future__ import annotations

from diagd.compile.model.status import StatusUpdate
from diagd.k8s_status import PatchError, StatusWriter


def update(name: str, state: str) -> StatusUpdate:
    return StatusUpdate(kind="Host", api_version="getambassador.io/v3alpha1", namespace="ns", name=name,
                        status={"state": state})


class Recorder:
    def __init__(self, failures: dict[str, list[int]] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.failures = failures or {}

    def __call__(self, u: StatusUpdate) -> None:
        self.calls.append((u.name, str(u.status["state"])))
        pending = self.failures.get(u.name)
        if pending:
            raise PatchError(pending.pop(0), "injected")


def test_writes_only_what_changed() -> None:
    patch = Recorder()
    writer = StatusWriter(patch)
    assert writer.write([update("a", "Ready"), update("b", "Ready")])
    assert writer.write([update("a", "Ready"), update("b", "Error")])
    assert patch.calls == [("a", "Ready"), ("b", "Ready"), ("b", "Error")]


def test_gone_and_forbidden_are_not_retried_but_transient_failures_are() -> None:
    patch = Recorder({"gone": [404], "denied": [403], "flaky": [500]})
    writer = StatusWriter(patch)
    updates = [update("gone", "Ready"), update("denied", "Ready"), update("flaky", "Ready")]
    assert not writer.write(updates)  # flaky must be retried
    assert writer.write(updates)
    assert patch.calls == [("gone", "Ready"), ("denied", "Ready"), ("flaky", "Ready"), ("flaky", "Ready")]
    assert writer.writes == 1
