"""diagd's reconfig worker with real files: publish, notify, and keep the last good configuration on failure."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from diagd.compile import CompileMemo, CompileResult, compile
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Snapshot
from diagd.reconfig import ReconfigWorker
from diagd.state import CompiledState, StateHolder
from tests.builders import host, listener, mapping, to_yaml
from tests.support.processes import wait_until
from tests.support.snapshots import snapshot_lines
from watt.formats.layout import BaseLayout
from watt.writer import SnapshotWriter


class Harness:
    def __init__(self, tmp: Path) -> None:
        self.layout = BaseLayout(str(tmp / "base"))
        self.layout.ensure()
        self.writer = SnapshotWriter(self.layout.snapshot_file)
        self.holder = StateHolder(CompiledState(started=time.time()))
        self.notified: list[str] = []
        self.compiles = 0
        self.fail = False
        self.worker = ReconfigWorker(self.layout, CompileSettings(), self.holder, compile_fn=self._compile,
                                     notify=self._notify)

    def _compile(self, snapshot: Snapshot, settings: CompileSettings, memo: CompileMemo) -> CompileResult:
        self.compiles += 1
        if self.fail:
            raise RuntimeError("compiler bug")
        return compile(snapshot, settings, memo)

    def _notify(self, pidfile: str) -> bool:
        self.notified.append(pidfile)
        return True

    def snapshot(self, *mappings: dict) -> int:
        lines = tuple(snapshot_lines(to_yaml(listener("l", 8080), host("h"), *mappings)))
        self.writer.publish(lines, change_seen=time.time(), source={"kind": "test"})
        return self.writer.seq


def test_a_snapshot_is_compiled_published_and_ambex_is_signalled(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    seq = h.snapshot(mapping("a", "/a/", "127.0.0.1:9000"))
    h.worker.reconfigure()
    state = h.holder.current
    assert state.applied_seq == seq and state.result is not None
    assert os.path.exists(h.layout.manifest_file) and os.path.exists(h.layout.bootstrap_file)
    assert h.notified == [h.layout.ambex_pidfile]
    assert state.last is not None and state.last.counts["routes"] >= 1


def test_the_same_snapshot_is_not_compiled_twice(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.snapshot(mapping("a", "/a/", "127.0.0.1:9000"))
    h.worker.reconfigure()
    h.worker.reconfigure()
    assert h.compiles == 1


def test_a_compiler_failure_keeps_the_last_good_configuration(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.worker.start()
    try:
        first = h.snapshot(mapping("a", "/a/", "127.0.0.1:9000"))
        h.worker.enqueue("snapshot")
        wait_until(lambda: h.holder.current.applied_seq == first, timeout=10, what="first config")
        manifest = Path(h.layout.manifest_file).read_bytes()
        h.fail = True
        h.snapshot(mapping("b", "/b/", "127.0.0.1:9000"))
        h.worker.enqueue("snapshot")
        wait_until(lambda: h.holder.current.last_error, timeout=10, what="error recorded")
        assert h.holder.current.applied_seq == first
        assert Path(h.layout.manifest_file).read_bytes() == manifest
        assert h.worker.alive
    finally:
        h.worker.stop()


def test_an_unwritable_envoy_dir_gives_a_clear_error_and_keeps_the_last_configuration(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    first = h.snapshot(mapping("a", "/a/", "127.0.0.1:9000"))
    h.worker.reconfigure()
    shutil.rmtree(h.layout.envoy_dir)
    Path(h.layout.envoy_dir).write_text("not a directory")  # as good as a full or read-only disk, even for root
    h.snapshot(mapping("b", "/b/", "127.0.0.1:9000"))
    h.worker.reconfigure()
    state = h.holder.current
    assert state.applied_seq == first
    assert state.last_error is not None and "cannot write configuration" in state.last_error
    assert len(h.notified) == 1
