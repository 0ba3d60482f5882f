"""Compile CPU: a full compile of a generated configuration, and the path one changed Mapping takes in diagd
(read the snapshot, compile, write the changed files), measured as process CPU time, medians of several runs.
Each reconfiguration runs under diagd's garbage-collection policy, as in diagd (see ``diagd.gc_policy``)."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.generate import Shape, generate
from diagd.compile import CompileMemo, compile
from diagd.compile.model.settings import CompileSettings
from diagd.gc_policy import GcPolicy
from diagd.publish import Publisher
from diagd.snapshot_reader import SnapshotReader
from watt.files.source import DirectorySource
from watt.formats.layout import BaseLayout
from watt.writer import SnapshotWriter

__all__ = ["measure"]


def _cpu(fn: Any) -> tuple[float, Any]:
    start = time.process_time()
    value = fn()
    return time.process_time() - start, value


def _changed_lines(lines: tuple[str, ...], step: int) -> tuple[str, ...]:
    """The same snapshot with one Mapping's timeout changed (a one-Mapping edit)."""
    index = next(i for i, line in enumerate(lines) if '"kind":"Mapping"' in line)
    record = json.loads(lines[index])
    record["object"]["body"]["spec"]["timeout_ms"] = 1000 + step
    return (*lines[:index], json.dumps(record, sort_keys=True, separators=(",", ":")), *lines[index + 1:])


def measure(size: int, *, repeats: int = 5, changes: int = 10) -> dict[str, Any]:
    settings = CompileSettings()
    with tempfile.TemporaryDirectory(prefix="bench-compile-") as tmp:
        config, layout = Path(tmp) / "config", BaseLayout(str(Path(tmp) / "base"))
        generate(Shape.for_size(size), config)
        layout.ensure()
        lines = DirectorySource(str(config)).scan().lines
        writer, reader, publisher = SnapshotWriter(layout.snapshot_file), SnapshotReader(layout.snapshot_file), \
            Publisher(layout)
        writer.publish(lines, change_seen=time.time(), source={})
        _, snapshot = reader.read()
        policy = GcPolicy()
        full = []
        for _ in range(repeats):
            with policy.reconfiguring():
                full.append(_cpu(lambda: compile(snapshot, settings))[0])
        memo = CompileMemo()
        with policy.reconfiguring():
            result = compile(snapshot, settings, memo)
            publisher.publish(result.envoy, {})
        compile_one, path_one = [], []
        for step in range(changes):
            writer.publish(_changed_lines(lines, step), change_seen=time.time(), source={})
            with policy.reconfiguring():
                read_cpu, (_, changed) = _cpu(reader.read)
                compile_cpu, changed_result = _cpu(lambda: compile(changed, settings, memo))
                publish_cpu, _ = _cpu(lambda: publisher.publish(changed_result.envoy, {}))
            compile_one.append(compile_cpu)
            path_one.append(read_cpu + compile_cpu + publish_cpu)
    counts = result.envoy.counts()
    return {"size": size, "full_compile_s": statistics.median(full), "one_change_compile_s":
            statistics.median(compile_one), "one_change_diagd_path_s": statistics.median(path_one),
            "routes": counts["routes"], "clusters": counts["clusters"], "problems": len(result.problems)}
