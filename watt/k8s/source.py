"""The Kubernetes ``Source``: one reflector thread per watched kind, snapshot lines in table order.

The source is ready (the first snapshot may be written) once every kind has an answer: listed, not served (its CRD
is absent) or forbidden. Later changes are coalesced by watt's loop exactly as for the files source.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from watt.k8s.client import KubeClient
from watt.k8s.reflector import Reflector, Scope, Settled
from watt.kinds import WatchedKind

__all__ = ["KubernetesSource"]

log = logging.getLogger("watt.k8s")


class KubernetesSource:
    def __init__(self, client: KubeClient, kinds: Sequence[WatchedKind], scope: Scope, *, watch_timeout: int = 300,
                 retry: float = 5.0) -> None:
        self.client = client
        self.scope = scope
        self._notify: Callable[[], None] = lambda: None
        self.reflectors = tuple(
            Reflector(client, kind, scope, on_change=self._changed, watch_timeout=watch_timeout, retry=retry)
            for kind in kinds
        )
        self._threads: list[threading.Thread] = []

    def _changed(self) -> None:
        self._notify()

    def start(self, notify: Callable[[], None]) -> None:
        self._notify = notify
        where = f"namespace {self.scope.namespace}" if self.scope.namespace else "all namespaces"
        log.info("watching %d kinds in %s on %s", len(self.reflectors), where, self.client.host)
        for reflector in self.reflectors:
            thread = threading.Thread(target=reflector.run, name=f"watch-{reflector.kind.plural}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def ready(self) -> bool:
        return all(r.settled is not Settled.PENDING for r in self.reflectors)

    def lines(self) -> tuple[str, ...]:
        return tuple(line for r in self.reflectors for line in r.lines())

    def describe(self) -> dict[str, Any]:
        """Deterministic (no clocks, no resourceVersions): a new description means something to show."""
        return {
            "kind": "kubernetes",
            "server": self.client.host,
            "namespace": self.scope.namespace,
            "label_selector": self.scope.label_selector,
            "field_selector": self.scope.field_selector,
            "kinds": {r.kind.kind: _state(r) for r in self.reflectors},
            "problems": [r.problem.to_json() for r in self.reflectors if r.problem is not None],
        }

    def stop(self) -> None:
        for reflector in self.reflectors:
            reflector.stop()
        for thread in self._threads:
            thread.join(timeout=5)


def _state(reflector: Reflector) -> dict[str, Any]:
    state: dict[str, Any] = {"state": reflector.settled.value, "objects": len(reflector)}
    if reflector.version is not None:
        state["version"] = reflector.kind.api_version(reflector.version)
    return state
