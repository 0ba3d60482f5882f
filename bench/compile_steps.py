"""Where a compile's CPU goes, step by step (``pipeline.STEPS`` plus the work ``compile`` does around them): a full
compile of a generated configuration, and one changed Mapping through the snapshot reader with a warm memo, as in
diagd (collection paused). A diagnostic, not a target.

    python -m bench.compile_steps [--size 10000] [--changes 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.compile_cpu import _changed_lines
from bench.generate import Shape, generate
from diagd.compile import CompileMemo, compile
from diagd.compile import pipeline
from diagd.compile.model.settings import CompileSettings
from diagd.gc_policy import GcPolicy
from diagd.snapshot_reader import SnapshotReader
from watt.files.source import DirectorySource
from watt.formats.layout import BaseLayout
from watt.writer import SnapshotWriter

__all__ = ["measure"]

# What ``compile`` calls around the steps, by the names it calls them.
_AROUND = ("set_aside_gateway_api", "expand_annotations", "collect_resources", "resource_statuses", "render_envoy")


@contextmanager
def _timed(times: dict[str, list[float]]) -> Iterator[None]:
    """Process CPU of each step and of the work around them, appended to ``times`` per call."""
    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                times.setdefault(name, []).append(time.process_time() - start)
        return run

    steps, around = pipeline.STEPS, {name: getattr(pipeline, name) for name in _AROUND}
    pipeline.STEPS = tuple((name, timed(name, step)) for name, step in steps)
    for name, fn in around.items():
        setattr(pipeline, name, timed(name, fn))
    try:
        yield
    finally:
        pipeline.STEPS = steps
        for name, fn in around.items():
            setattr(pipeline, name, fn)


def _medians(times: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def measure(size: int, *, changes: int = 7) -> dict[str, dict[str, float]]:
    """Median ms per step: ``full`` (no memo) and ``one_change`` (a timeout edit, warm memo); ``total`` in each."""
    settings, policy = CompileSettings(), GcPolicy()
    with tempfile.TemporaryDirectory(prefix="bench-steps-") as tmp:
        config, layout = Path(tmp) / "config", BaseLayout(str(Path(tmp) / "base"))
        generate(Shape.for_size(size), config)
        layout.ensure()
        lines = DirectorySource(str(config)).scan().lines
        writer, reader = SnapshotWriter(layout.snapshot_file), SnapshotReader(layout.snapshot_file)
        writer.publish(lines, change_seen=time.time(), source={})
        snapshot = reader.read()[1]
        out = {}
        for name, runs in (("full", 3), ("one_change", changes)):
            memo = CompileMemo() if name == "one_change" else None
            if memo is not None:
                compile(snapshot, settings, memo)
            times: dict[str, list[float]] = {}
            for step in range(runs):
                if memo is not None:
                    writer.publish(_changed_lines(lines, step), change_seen=time.time(), source={})
                    snapshot = reader.read()[1]
                with policy.reconfiguring(), _timed(times):
                    start = time.process_time()
                    compile(snapshot, settings, memo)
                    times.setdefault("total", []).append(time.process_time() - start)
            out[name] = _medians(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--changes", type=int, default=7)
    args = parser.parse_args()
    result = measure(args.size, changes=args.changes)
    print(f"| step ({args.size:,} Mappings, median ms) | full compile | one change |\n|---|---|---|")
    for step in sorted(result["full"], key=lambda s: (s == "total", -result["one_change"].get(s, 0))):
        print(f"| {step} | {result['full'][step]:.1f} | {result['one_change'].get(step, 0):.1f} |")


if __name__ == "__main__":
    main()
