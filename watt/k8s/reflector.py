"""One reflector per kind: list, then watch from the list's resourceVersion; resume, re-list on 410.

The loop, per kind:

* **list** (paged) → the store becomes exactly the listed objects; objects that vanished since the previous list
  are dropped, which is how deletions made while no watch was open (a 410 gap) are reported;
* **watch** from the last resourceVersion with ``allowWatchBookmarks`` and ``timeoutSeconds``; each event moves the
  resourceVersion on (BOOKMARKs too). When the server ends the watch at its timeout, the next watch resumes from
  there without a list;
* **410 Gone** (the resourceVersion was compacted away), as an HTTP status or an ERROR event → list again;
* **404** on every version (the CRD is not installed) → reported once, retried every ``retry`` seconds, so the kind
  is picked up when its CRD appears; **403** → reported with the server's message, retried likewise.

The store keeps one snapshot line per object and nothing else. ``on_change`` fires only when a line changed, was
added or was removed: a status-only or resourceVersion-only update is silent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import urllib3

from watt.k8s.client import ApiError, KubeClient, WatchStream
from watt.k8s.objects import ObjectKey, object_key, snapshot_line
from watt.kinds import WatchedKind

__all__ = ["Reflector", "Scope", "Settled", "ReflectorStats", "KindProblem", "Gone"]

log = logging.getLogger("watt.k8s")

PAGE_SIZE = 500


class Gone(Exception):
    """The resourceVersion to resume from is too old (HTTP 410): the caller must list again."""


class Settled(str, Enum):
    PENDING = "pending"  # no answer yet
    LISTED = "listed"
    ABSENT = "absent"  # no version of the kind is served (CRD not installed)
    FORBIDDEN = "forbidden"


@dataclass(frozen=True, slots=True)
class Scope:
    """What every list and watch selects."""

    namespace: str | None = None  # None: all namespaces
    label_selector: str = ""
    field_selector: str = ""
    ambassador_id: str = "default"


@dataclass(frozen=True, slots=True)
class KindProblem:
    kind: str
    severity: str  # "error" or "notice", as diag shows it
    reason: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "severity": self.severity, "reason": self.reason, "message": self.message}


@dataclass(slots=True)
class ReflectorStats:
    lists: int = 0
    watches: int = 0
    events: int = 0
    bookmarks: int = 0
    gone: int = 0
    errors: int = 0


@dataclass(slots=True)
class _Store:
    lines: dict[ObjectKey, str] = field(default_factory=dict)
    sorted_lines: tuple[str, ...] | None = ()


class Reflector:
    def __init__(self, client: KubeClient, kind: WatchedKind, scope: Scope, *, on_change: Callable[[], None],
                 watch_timeout: int = 300, retry: float = 5.0) -> None:
        self.client = client
        self.kind = kind
        self.scope = scope
        self.on_change = on_change
        self.watch_timeout = watch_timeout
        self.retry = retry
        self.version: str | None = None
        self.resource_version: str | None = None
        self.settled = Settled.PENDING
        self.problem: KindProblem | None = None
        self.stats = ReflectorStats()
        self._store = _Store()
        self._lock = threading.Lock()
        self._stream_lock = threading.Lock()
        self._stream: WatchStream | None = None
        self._stop = threading.Event()

    # --- reading the store (any thread) ---------------------------------------------------------------------
    def lines(self) -> tuple[str, ...]:
        with self._lock:
            if self._store.sorted_lines is None:
                self._store.sorted_lines = tuple(self._store.lines[k] for k in sorted(self._store.lines))
            return self._store.sorted_lines

    def __len__(self) -> int:
        return len(self._store.lines)

    # --- the loop -------------------------------------------------------------------------------------------
    def run(self) -> None:
        """List and watch until ``stop()``; every failure is reported and retried, never raised."""
        backoff = 0.5
        while not self._stop.is_set():
            try:
                if self.resource_version is None:
                    self.relist()
                else:
                    self.watch_once()
                backoff = 0.5
                continue
            except Gone as exc:
                self.stats.gone += 1
                log.info("%s: %s; listing again", self.kind.resource, exc)
                self.resource_version = None
                continue
            except ApiError as exc:
                wait = self._api_error(exc)
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                wait = backoff
                backoff = min(backoff * 2, self.retry)
                self.stats.errors += 1
                if not self._stop.is_set():
                    log.warning("%s: %s: %s; retrying in %.1fs", self.kind.resource, type(exc).__name__, exc, wait)
            self._stop.wait(wait)

    def stop(self) -> None:
        self._stop.set()
        with self._stream_lock:
            if self._stream is not None:
                self._stream.close()

    def _params(self) -> dict[str, str | int]:
        fields = ",".join(f for f in (self.scope.field_selector, self.kind.field_selector) if f)
        return {"labelSelector": self.scope.label_selector, "fieldSelector": fields}

    def _path(self, version: str) -> str:
        return self.kind.path(version, self.scope.namespace)

    # --- list -----------------------------------------------------------------------------------------------
    def relist(self) -> None:
        """List every page; the store becomes exactly what was listed. Raises ApiError."""
        version, items, resource_version = self._list_all()
        fresh: dict[ObjectKey, str] = {}
        for raw in items:
            line = snapshot_line(self.kind, version, raw, ambassador_id=self.scope.ambassador_id)
            if line is not None:
                fresh[object_key(raw)] = line
        with self._lock:
            changed = fresh != self._store.lines
            vanished = len(self._store.lines.keys() - fresh.keys())
            self._store = _Store(lines=fresh, sorted_lines=None)
        self.stats.lists += 1
        self.version, self.resource_version = version, resource_version
        first = self.settled is not Settled.LISTED
        self._settle(Settled.LISTED, None)  # notifies when this is the kind's first answer
        log.log(logging.INFO if first or vanished else logging.DEBUG, "%s %s: listed %d objects%s at %s",
                self.kind.resource, version, len(fresh), f" ({vanished} gone since the last list)" if vanished else "",
                resource_version)
        if changed:
            self.on_change()

    def _list_all(self) -> tuple[str, list[Mapping[str, Any]], str]:
        for version in self._candidate_versions():
            try:
                return (version, *self._list_pages(version))
            except ApiError as exc:
                if exc.status != 404:
                    raise
        self.version = None
        raise ApiError(404, "NotFound", f"the server serves none of {', '.join(self.kind.versions)}")

    def _candidate_versions(self) -> Iterable[str]:
        if self.version is not None:
            yield self.version
        yield from (v for v in self.kind.versions if v != self.version)

    def _list_pages(self, version: str) -> tuple[list[Mapping[str, Any]], str]:
        items: list[Mapping[str, Any]] = []
        params: dict[str, str | int] = {**self._params(), "limit": PAGE_SIZE}
        while True:
            try:
                page = self.client.request("GET", self._path(version), params=params)
            except ApiError as exc:
                if exc.status == 410 and "continue" in params:  # the continue token expired: start over
                    items.clear()
                    params.pop("continue")
                    continue
                raise
            items.extend(page.get("items") or ())
            meta = page.get("metadata") or {}
            if not meta.get("continue"):
                return items, str(meta.get("resourceVersion") or "")
            params["continue"] = meta["continue"]

    # --- watch ----------------------------------------------------------------------------------------------
    def watch_once(self) -> None:
        """One watch from the current resourceVersion until the server ends it. Raises Gone, ApiError."""
        assert self.version is not None and self.resource_version is not None
        params = {**self._params(), "resourceVersion": self.resource_version, "allowWatchBookmarks": "true",
                  "timeoutSeconds": self.watch_timeout}
        stream = self.client.watch(self._path(self.version), params, read_timeout=self.watch_timeout + 30)
        self.stats.watches += 1
        with self._stream_lock:
            self._stream = stream
        if self._stop.is_set():
            stream.close()
        if self.problem is not None:  # a watch that opens clears an earlier permission problem
            self._settle(Settled.LISTED, None)
        try:
            for event in stream:
                self._apply(event)
        finally:
            with self._stream_lock:
                self._stream = None
            stream.close()

    def _apply(self, event: Mapping[str, Any]) -> None:
        kind, raw = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            error = ApiError.from_status(raw)
            if error.status == 410:
                raise Gone(error.message or "resourceVersion too old")
            raise error
        rv = (raw.get("metadata") or {}).get("resourceVersion")
        if kind == "BOOKMARK":
            self.stats.bookmarks += 1
        elif kind in ("ADDED", "MODIFIED", "DELETED"):
            self.stats.events += 1
            line = None if kind == "DELETED" else snapshot_line(
                self.kind, str(self.version), raw, ambassador_id=self.scope.ambassador_id)
            if self._put(object_key(raw), line):
                self.on_change()
        if rv:
            self.resource_version = str(rv)

    def _put(self, key: ObjectKey, line: str | None) -> bool:
        """Store (or, with None, remove) one object's line; True when the store changed."""
        with self._lock:
            if self._store.lines.get(key) == line:
                return False
            if line is None:
                del self._store.lines[key]
            else:
                self._store.lines[key] = line
            self._store.sorted_lines = None
            return True

    # --- problems -------------------------------------------------------------------------------------------
    def _api_error(self, exc: ApiError) -> float:
        self.stats.errors += 1
        if exc.status == 404:
            self.version = self.resource_version = None
            with self._lock:
                emptied, self._store = bool(self._store.lines), _Store()
            if emptied:
                self.on_change()
            self._settle(Settled.ABSENT, KindProblem(
                self.kind.kind, "notice", "KindNotServed",
                f"{self.kind.kind} ({self.kind.resource}, {'/'.join(self.kind.versions)}) is not served by the "
                f"API server: is its CRD installed? It is watched as soon as it appears."))
            return self.retry
        if exc.status in (401, 403):
            verb = "watch" if self.resource_version is not None else "list"
            where = f"namespace {self.scope.namespace}" if self.scope.namespace else "all namespaces"
            self._settle(Settled.FORBIDDEN if self.settled is not Settled.LISTED else Settled.LISTED, KindProblem(
                self.kind.kind, "error", "Forbidden",
                f"permission denied: cannot {verb} {self.kind.resource} in {where} ({exc.status}: {exc.message}); "
                f"grant it in the ClusterRole (manifests/rbac.yaml)"))
            return self.retry
        log.warning("%s: API error %s; retrying in %.1fs", self.kind.resource, exc, self.retry)
        return self.retry

    def _settle(self, state: Settled, problem: KindProblem | None) -> None:
        changed = problem != self.problem
        if changed and problem is not None:
            level = logging.ERROR if problem.severity == "error" else logging.WARNING
            log.log(level, "%s: %s", self.kind.resource, problem.message)
        elif changed and self.problem is not None:
            log.info("%s: %s resolved", self.kind.resource, self.problem.reason)
        first = self.settled is Settled.PENDING and state is not Settled.PENDING
        self.settled, self.problem = state, problem
        if changed:
            self.on_change()
