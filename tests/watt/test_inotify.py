"""The inotify watch shared by watt and diagd: what it reports, under which paths, and that it stops cleanly."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from watt.formats.inotify import DirectoryEvents

Event = tuple[str, bool, bool]


class Recorder:
    def __init__(self) -> None:
        self.events: queue.Queue[Event] = queue.Queue()

    def __call__(self, path: str, is_directory: bool, removed: bool) -> None:
        self.events.put((path, is_directory, removed))

    def wait_for(self, wanted: Event, timeout: float = 5.0) -> list[Event]:
        """Events up to and including ``wanted``; fails after ``timeout`` seconds without it."""
        seen: list[Event] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append(event)
            if event == wanted:
                return seen
        raise AssertionError(f"no {wanted} within {timeout}s; saw {seen}")

    def quiet(self, seconds: float = 0.3) -> list[Event]:
        time.sleep(seconds)
        drained = []
        while not self.events.empty():
            drained.append(self.events.get_nowait())
        return drained


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, Recorder]]:
    recorder = Recorder()
    events = DirectoryEvents([str(tmp_path)], recorder, recursive=True)
    events.start()
    yield tmp_path, recorder
    events.stop()


def test_a_written_file_and_an_atomic_replace_are_reported_under_their_final_path(watched: tuple[Path, Recorder]) -> None:
    root, rec = watched
    (root / "a.yaml").write_text("x: 1\n")
    rec.wait_for((str(root / "a.yaml"), False, False))
    (root / ".tmp-b").write_text("y: 2\n")
    os.replace(root / ".tmp-b", root / "b.yaml")
    seen = rec.wait_for((str(root / "b.yaml"), False, False))
    assert (str(root / ".tmp-b"), False, True) in seen  # the temp name moved away


def test_a_deleted_file_is_reported_as_removed(watched: tuple[Path, Recorder]) -> None:
    root, rec = watched
    (root / "gone.yaml").write_text("x: 1\n")
    rec.wait_for((str(root / "gone.yaml"), False, False))
    (root / "gone.yaml").unlink()
    rec.wait_for((str(root / "gone.yaml"), False, True))


def test_files_in_a_new_subdirectory_are_reported(watched: tuple[Path, Recorder]) -> None:
    root, rec = watched
    (root / "team").mkdir()
    rec.wait_for((str(root / "team"), True, False))
    (root / "team" / "m.yaml").write_text("x: 1\n")
    rec.wait_for((str(root / "team" / "m.yaml"), False, False))


def test_a_tree_moved_in_reports_what_it_already_holds_and_is_then_watched(
        watched: tuple[Path, Recorder], tmp_path_factory: pytest.TempPathFactory) -> None:
    root, rec = watched
    outside = tmp_path_factory.mktemp("outside") / "tree"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "early.yaml").write_text("x: 1\n")
    os.rename(outside, root / "tree")
    rec.wait_for((str(root / "tree" / "deep" / "early.yaml"), False, False))
    (root / "tree" / "deep" / "late.yaml").write_text("x: 2\n")
    rec.wait_for((str(root / "tree" / "deep" / "late.yaml"), False, False))


def test_a_flat_watch_ignores_what_happens_inside_subdirectories(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    rec = Recorder()
    events = DirectoryEvents([str(tmp_path)], rec, recursive=False)
    events.start()
    try:
        (tmp_path / "sub" / "inner.yaml").write_text("x: 1\n")
        (tmp_path / "top.yaml").write_text("x: 1\n")
        seen = rec.wait_for((str(tmp_path / "top.yaml"), False, False))
        seen += rec.quiet()
        assert not [e for e in seen if "inner" in e[0]], seen
    finally:
        events.stop()


def test_a_failing_callback_does_not_end_the_watch(tmp_path: Path) -> None:
    rec = Recorder()

    def flaky(path: str, is_directory: bool, removed: bool) -> None:
        if path.endswith("boom.yaml"):
            raise RuntimeError("callback failed")
        rec(path, is_directory, removed)

    events = DirectoryEvents([str(tmp_path)], flaky, recursive=True)
    events.start()
    try:
        (tmp_path / "boom.yaml").write_text("x: 1\n")
        time.sleep(0.1)
        (tmp_path / "after.yaml").write_text("x: 1\n")
        rec.wait_for((str(tmp_path / "after.yaml"), False, False))
    finally:
        events.stop()


def test_stop_ends_the_thread_and_closes_its_descriptors_and_a_missing_root_is_an_error(tmp_path: Path) -> None:
    def inotify_threads() -> int:
        return sum(1 for t in threading.enumerate() if t.name == "inotify")

    fds, threads = set(os.listdir("/proc/self/fd")), inotify_threads()
    events = DirectoryEvents([str(tmp_path)], Recorder(), recursive=True)
    events.start()
    assert inotify_threads() == threads + 1
    events.stop()
    events.stop()
    assert inotify_threads() == threads
    assert set(os.listdir("/proc/self/fd")) == fds
    with pytest.raises(OSError, match="missing"):
        DirectoryEvents([str(tmp_path / "missing")], Recorder(), recursive=True)
    assert set(os.listdir("/proc/self/fd")) == fds
