"""diagd's /proc reader against real processes: a child it starts, and one that has exited."""

from __future__ import annotations

import os
import subprocess
import sys

from diagd import procfs


def test_a_running_child_is_seen_with_its_arguments_parent_and_memory_and_is_gone_after_exit() -> None:
    child = subprocess.Popen([sys.executable, "-c", "print('up', flush=True); import sys; sys.stdin.read()",
                              "marker-arg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "up\n"  # past its exec: /proc is final
        assert procfs.exists(child.pid)
        assert procfs.cmdline(child.pid) == [sys.executable, "-c", "print('up', flush=True); import sys; "
                                             "sys.stdin.read()", "marker-arg"]
        assert child.pid in procfs.children(os.getpid())
        rss = procfs.rss(child.pid)
        assert rss is not None and 1 << 20 < rss < 1 << 30
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)
    assert not procfs.exists(child.pid)
    assert procfs.cmdline(child.pid) is None
    assert procfs.rss(child.pid) is None
    assert child.pid not in procfs.children(os.getpid())


def test_this_process_reads_like_the_kernel_reports_it() -> None:
    with open("/proc/self/status", encoding="ascii") as handle:
        vmrss = next(int(line.split()[1]) * 1024 for line in handle if line.startswith("VmRSS:"))
    rss = procfs.rss(os.getpid())
    assert rss is not None and abs(rss - vmrss) < 8 << 20
    assert os.getpid() in procfs.children(os.getppid())
    assert not procfs.exists(0)
