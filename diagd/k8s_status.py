"""Write the compiler's status updates back to Kubernetes: Ingress load balancer, Host and Mapping state.

The reconfig worker hands over each applied compile result; one background thread patches (merge patch on the
``status`` subresource) only the statuses that differ from what it last wrote, newest result first-come, so a
burst of reconfigurations costs one round of writes. watt ignores changes to ``status`` and ``resourceVersion``,
so these writes never cause a reconfiguration of their own.

An object that no longer exists is skipped; a permission error is logged once per kind with what to grant; any
other failure is retried with the next result (or after ``retry`` seconds).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from diagd.compile import CompileResult
from diagd.compile.model.status import StatusUpdate

__all__ = ["StatusWriter", "kubernetes_patcher", "PatchFn", "PLURALS"]

log = logging.getLogger("diagd.status")

PLURALS = {"Mapping": "mappings", "Host": "hosts", "Ingress": "ingresses"}
FIELD_MANAGER = "emissary-py"

PatchFn = Callable[[StatusUpdate], None]  # raises PatchError


class PatchError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


def kubernetes_patcher(kubeconfig: str | None) -> PatchFn:
    """A patch function on the official client: KUBECONFIG when given, else the in-cluster ServiceAccount."""
    from kubernetes import client, config  # only diagd processes that write status load the client
    from kubernetes.client.exceptions import ApiException

    configuration = client.Configuration()
    if kubeconfig:
        config.load_kube_config(config_file=kubeconfig, client_configuration=configuration, persist_config=False)
    else:
        config.load_incluster_config(client_configuration=configuration)
    api = client.CustomObjectsApi(client.ApiClient(configuration))

    def patch(update: StatusUpdate) -> None:
        group, _, version = update.api_version.rpartition("/")
        try:
            api.patch_namespaced_custom_object_status(
                group, version, update.namespace, PLURALS[update.kind], update.name, {"status": dict(update.status)},
                field_manager=FIELD_MANAGER, _content_type="application/merge-patch+json")
        except ApiException as exc:
            raise PatchError(int(exc.status or 0), str(exc.reason or exc.body or exc)) from None

    return patch


class StatusWriter:
    def __init__(self, patch: PatchFn, *, retry: float = 5.0) -> None:
        self._patch = patch
        self._retry = retry
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: Sequence[StatusUpdate] | None = None
        self._written: dict[tuple[str, str, str], str] = {}
        self._forbidden_reported: set[str] = set()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="k8s-status", daemon=True)
        self.writes = 0

    def start(self) -> StatusWriter:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout)

    def submit(self, result: CompileResult) -> None:
        """Called by the reconfig worker after each applied configuration; never blocks on the network."""
        with self._lock:
            self._pending = result.status_updates
        self._wake.set()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(timeout=self._retry)
            self._wake.clear()
            with self._lock:
                updates = self._pending
            if updates is not None and not self._stop:
                self.write(updates)  # what failed is retried on the next result or wake-up

    def write(self, updates: Sequence[StatusUpdate]) -> bool:
        """Write what changed; True when nothing is left to retry."""
        complete = True
        for update in updates:
            digest = update.digest()
            if self._written.get(update.key) == digest:
                continue
            if self._write_one(update) is None:
                complete = False
            else:  # written, or not to be retried until this status changes
                self._written[update.key] = digest
        return complete

    def _write_one(self, update: StatusUpdate) -> bool | None:
        """True written, False not to be retried (gone, forbidden), None to retry."""
        try:
            self._patch(update)
        except PatchError as exc:
            return self._failed(update, exc)
        except Exception as exc:  # noqa: BLE001 - a network failure must not stop the writer
            log.warning("cannot write status of %s %s/%s: %s", update.kind, update.namespace, update.name, exc)
            return None
        self.writes += 1
        log.debug("status of %s %s/%s: %s", update.kind, update.namespace, update.name, dict(update.status))
        return True

    def _failed(self, update: StatusUpdate, exc: PatchError) -> bool | None:
        if exc.status == 404:
            return False
        if exc.status in (401, 403):
            if update.kind not in self._forbidden_reported:
                self._forbidden_reported.add(update.kind)
                log.error("permission denied writing %s status (%s): grant 'patch' on %s/status", update.kind, exc,
                          PLURALS[update.kind])
            return False
        log.warning("cannot write status of %s %s/%s: %s", update.kind, update.namespace, update.name, exc)
        return None

