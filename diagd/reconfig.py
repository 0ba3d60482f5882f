"""The one reconfiguration worker: snapshot → compile → publish → signal ambex, then follow Envoy's ACK.

File-change notifications only enqueue; this thread does the work, one reconfiguration at a time, coalescing
whatever queued up meanwhile. A failed compile or write keeps the last good configuration in place.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from diagd.compile import CompileMemo, CompileResult, compile, refresh_endpoints
from diagd.compile.kinds.endpoints import ENDPOINT_KINDS
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Snapshot
from diagd.gc_policy import GcPolicy
from diagd.notify import signal_ambex
from diagd.publish import Publisher
from diagd.snapshot_reader import SnapshotReader
from diagd.state import CompiledState, ReconfigRecord, StateHolder
from watt.formats.layout import BaseLayout
from watt.formats.status import decode_status

__all__ = ["ReconfigWorker", "CompileFn"]

log = logging.getLogger("diagd.reconfig")

CompileFn = Callable[[Snapshot, CompileSettings, CompileMemo], CompileResult]

SNAPSHOT, STATUS, STOP = "snapshot", "status", "stop"


class ReconfigWorker:
    def __init__(self, layout: BaseLayout, settings: CompileSettings, holder: StateHolder, *, history: int = 50,
                 compile_fn: CompileFn = compile, notify: Callable[[str], bool] = signal_ambex,
                 on_applied: Callable[[CompileResult], None] | None = None) -> None:
        self.layout = layout
        self.settings = settings
        self.holder = holder
        self.history = history
        self._compile = compile_fn
        self._notify = notify
        self._reader = SnapshotReader(layout.snapshot_file)
        self._memo = CompileMemo()
        self._gc = GcPolicy()
        self._publisher = Publisher(layout)
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="reconfig", daemon=True)
        self._reported: set[int] = set()
        self._on_applied = on_applied  # e.g. the Kubernetes status writer
        self._applied_last_read = False

    def enqueue(self, event: str) -> None:
        self._queue.put_nowait(event)

    def start(self) -> None:
        self._thread.start()
        self.enqueue(SNAPSHOT)
        self.enqueue(STATUS)

    def stop(self, timeout: float = 5.0) -> None:
        self.enqueue(STOP)
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            events = {self._queue.get()}
            while not self._queue.empty():
                events.add(self._queue.get_nowait())
            if STOP in events:
                return
            try:
                if SNAPSHOT in events:
                    with self._gc.reconfiguring():
                        self.reconfigure()
                if STATUS in events:
                    self.refresh_status()
            except Exception:  # a bug must not kill the worker: keep the last good config and go on
                log.exception("reconfiguration failed; keeping the last good configuration")
                self.holder.swap(lambda s: dataclasses.replace(s, last_error="internal error; see diagd's log"))

    def reconfigure(self) -> None:
        try:
            header, snapshot = self._reader.read()
        except FileNotFoundError:
            log.info("no snapshot yet at %s", self.layout.snapshot_file)
            return
        except (OSError, ValueError) as exc:
            log.error("cannot read snapshot %s: %s", self.layout.snapshot_file, exc)
            return
        seq = int(header.get("seq", 0))
        if seq == self.holder.current.applied_seq:
            return
        started = time.process_time()
        result, endpoints_only = self._compile_or_refresh(snapshot)
        self._applied_last_read = False
        compiled, cpu = time.time(), time.process_time() - started
        meta = {"snapshot_seq": seq, "change_seen": header.get("change_seen", compiled),
                "snapshot_written": header.get("written", compiled), "compiled": compiled}
        try:
            _, stats = self._publisher.publish(result.envoy, meta, secret_files=result.secret_files)
        except OSError as exc:
            log.error("cannot write Envoy configuration under %s: %s; Envoy keeps the last good configuration",
                      self.layout.envoy_dir, exc)
            self.holder.swap(lambda s: dataclasses.replace(s, last_error=f"cannot write configuration: {exc}"))
            return
        record = ReconfigRecord(
            seq=seq, change_seen=float(meta["change_seen"]), snapshot_written=float(meta["snapshot_written"]),
            compiled=compiled, written=time.time(), compile_seconds=cpu, counts=result.envoy.counts(),
            errors=sum(1 for p in result.problems if p.severity.value == "error"), decoded=self._reader.decoded_last,
            endpoints_only=endpoints_only,
        )
        self._notify(self.layout.ambex_pidfile)
        self.holder.swap(lambda s: self._applied(s, result, header.get("source", {}), record, snapshot))
        self._applied_last_read = True
        if self._on_applied is not None:
            self._on_applied(result)
        if stats.bootstrap_changed and self.holder.current.ambex.get("acked") is not None:
            log.warning("the Envoy bootstrap changed; it takes effect when Envoy restarts")

    def _compile_or_refresh(self, snapshot: Snapshot) -> tuple[CompileResult, bool]:
        """When only Endpoints/EndpointSlices changed since the configuration in place: new load assignments and
        nothing else (True); otherwise a full compile (False)."""
        previous = self.holder.current.result
        kinds = self._reader.changed_kinds
        if previous is not None and self._applied_last_read and kinds and kinds <= ENDPOINT_KINDS:
            log.debug("only %s changed: refreshing endpoints", ", ".join(sorted(kinds)))
            return refresh_endpoints(previous, snapshot, self.settings), True
        return self._compile(snapshot, self.settings, self._memo), False

    def _applied(self, state: CompiledState, result: CompileResult, source: Any,
                 record: ReconfigRecord, snapshot: Snapshot | None = None) -> CompiledState:
        history = (*state.history, record)[-self.history:]
        return dataclasses.replace(state, result=result, applied_seq=record.seq, source=dict(source), last=record,
                                   history=history, last_error=None, snapshot=snapshot,
                                   first_applied=state.first_applied or record.written)

    def refresh_status(self) -> None:
        try:
            with open(self.layout.ambex_status_file, "rb") as handle:
                status = decode_status(handle.read())
        except (OSError, ValueError):
            return
        state = self.holder.swap(lambda s: _with_status(s, status))
        for record in state.history:
            if record.seq not in self._reported and (record.acked is not None or record.nack is not None):
                self._reported.add(record.seq)
                _log_record(record)


def _with_status(state: CompiledState, status: dict[str, Any]) -> CompiledState:
    history = tuple(_merge(record, status) for record in state.history)
    last = history[-1] if history else state.last
    return dataclasses.replace(state, ambex=status, history=history, last=last)


def _merge(record: ReconfigRecord, status: dict[str, Any]) -> ReconfigRecord:
    if record.acked is not None or record.nack is not None:
        return record
    pushed = status.get("pushed_for", {}).get(str(record.seq))
    acked = status.get("acked_for", {}).get(str(record.seq))
    nack = status.get("last_nack")
    nacked = nack.get("message") if isinstance(nack, dict) and nack.get("snapshot_seq") == record.seq else None
    if pushed is None and acked is None and nacked is None:
        return record
    return dataclasses.replace(record, pushed=pushed, acked=acked, nack=nacked)


def _log_record(record: ReconfigRecord) -> None:
    phases = record.phases_ms()
    text = ", ".join(f"{name} {value:.1f} ms" for name, value in phases.items() if value is not None)
    counts = " ".join(f"{k}={v}" for k, v in sorted(record.counts.items()))
    outcome = f"NACKed by Envoy: {record.nack}" if record.nack else "acknowledged by Envoy"
    log.info("reconfig %d %s: %s (%s errors=%d)", record.seq, outcome, text, counts, record.errors)
