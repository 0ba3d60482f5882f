import os
from pathlib import Path

import pytest

from watt.formats.atomic import atomic_write, is_temp_name


def test_atomic_write_replaces_the_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write(str(target), b"one")
    atomic_write(str(target), b"two", mode=0o600)
    assert target.read_bytes() == b"two"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert os.listdir(tmp_path) == ["f.json"]


def test_a_failed_write_leaves_the_old_content_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.json"
    atomic_write(str(target), b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        atomic_write(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.json"]


def test_temp_names_are_recognised() -> None:
    assert is_temp_name("/x/.tmp-abc123")
    assert not is_temp_name("/x/manifest.json")
