"""Memory watch: cgroup limits (v1 and v2, with and without a limit), the processes it finds, its log lines and the
warning before the limit."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from diagd.memory import MemoryWatch, cgroup_memory, find_processes
from watt.formats.layout import BaseLayout
from watt.formats.logs import configure_logging


def _files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_cgroup_v2_limit_and_working_set(tmp_path: Path) -> None:
    _files(tmp_path, {"proc": "0::/pod/ctr\n", "fs/pod/ctr/memory.max": "536870912\n",
                      "fs/pod/ctr/memory.current": "300000000\n",
                      "fs/pod/ctr/memory.stat": "anon 1\ninactive_file 50000000\n"})
    assert cgroup_memory(str(tmp_path / "fs"), str(tmp_path / "proc")) == (250_000_000, 536_870_912)


def test_cgroup_v2_without_limit(tmp_path: Path) -> None:
    _files(tmp_path, {"proc": "0::/\n", "fs/memory.max": "max\n", "fs/memory.current": "1000\n"})
    assert cgroup_memory(str(tmp_path / "fs"), str(tmp_path / "proc")) == (1000, None)


def test_cgroup_v1_limit_and_unlimited(tmp_path: Path) -> None:
    _files(tmp_path, {"proc": "4:memory:/kubepods/pod1\n0::/\n",
                      "fs/memory/kubepods/pod1/memory.limit_in_bytes": "1073741824\n",
                      "fs/memory/kubepods/pod1/memory.usage_in_bytes": "600000000\n",
                      "fs/memory/kubepods/pod1/memory.stat": "total_inactive_file 100000000\n"})
    assert cgroup_memory(str(tmp_path / "fs"), str(tmp_path / "proc")) == (500_000_000, 1_073_741_824)
    _files(tmp_path, {"fs/memory/kubepods/pod1/memory.limit_in_bytes": "9223372036854771712\n"})
    assert cgroup_memory(str(tmp_path / "fs"), str(tmp_path / "proc"))[1] is None


def test_no_cgroup_at_all(tmp_path: Path) -> None:
    assert cgroup_memory(str(tmp_path / "none"), str(tmp_path / "missing")) == (None, None)


def test_this_machines_cgroup_reads_without_error() -> None:
    usage, limit = cgroup_memory()
    assert usage is None or usage > 0
    assert limit is None or limit > 0


def test_finds_itself_and_ambex_by_its_pidfile(tmp_path: Path) -> None:
    layout = BaseLayout(str(tmp_path))
    Path(layout.ambex_pidfile).write_text(f"{os.getppid()}\n")
    found = find_processes(layout)
    assert found["diagd"] == os.getpid() and found["ambex"] == os.getppid()
    Path(layout.ambex_pidfile).write_text("999999999\n")  # a stale pidfile names no process
    assert "ambex" not in find_processes(layout)


def test_samples_are_logged_and_warn_near_the_limit(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    levels = iter([(100 << 20, 1 << 30), (900 << 20, 1 << 30), (200 << 20, 1 << 30)])
    watch = MemoryWatch(BaseLayout(str(tmp_path)), warn_percent=80, keep=2, cgroup=lambda: next(levels))
    with caplog.at_level(logging.INFO, logger="diagd.memory"):
        first, second, third = watch.sample(), watch.sample(), watch.sample()
    assert first.percent_of_limit == pytest.approx(9.8, abs=0.1) and second.percent_of_limit == pytest.approx(87.9,
                                                                                                              abs=0.1)
    assert [r.levelname for r in caplog.records] == ["INFO", "WARNING", "INFO"]
    assert "above 80% of the container's memory limit" in caplog.records[1].getMessage()
    assert "back below" in caplog.records[2].getMessage() and "diagd " in caplog.records[0].getMessage()
    assert watch.samples() == [second, third]  # bounded history
    assert not watch.near_limit and third.processes[0].rss > 0


def test_memory_lines_as_json_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("diagd", level=logging.INFO, json_lines=True)
        MemoryWatch(BaseLayout(str(tmp_path)), cgroup=lambda: (None, None)).sample()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    line = next(json.loads(x) for x in capsys.readouterr().out.splitlines() if "memory:" in x)
    assert line["process"] == "diagd" and line["logger"] == "diagd.memory" and line["level"] == "info"
