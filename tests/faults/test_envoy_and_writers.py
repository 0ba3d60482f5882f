"""Faults beyond the control plane: Envoy dying, a writer killed mid-write, a full disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from diagd.snapshot_reader import SnapshotReader
from tests.builders import host, listener, mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.processes import wait_until
from tests.support.upstreams import EchoServer

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _record(name: str, value: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(value, indent=1))


def test_a_killed_envoy_is_restarted_and_serves_the_newest_config(
        gateway_factory: Callable[..., Gateway], echo_factory: Callable[[str], EchoServer]) -> None:
    upstream = echo_factory("up")
    gw = gateway_factory()
    gw.write("base.yaml", to_yaml(listener("http", gw.ports.http), host("any"), mapping("a", "/a/", upstream.address)))
    gw.start()
    gw.wait_for("/a/", 200)
    envoy = gw.children()["envoy"]
    killed = time.monotonic()
    os.kill(envoy.pid, signal.SIGKILL)
    gw.write("late.yaml", to_yaml(mapping("late", "/late/", upstream.address)))  # changed while Envoy is down
    gw.wait_for("/late/", 200, timeout=60)
    restart_seconds = time.monotonic() - killed
    assert gw.children()["envoy"].pid != envoy.pid
    assert gw.get("/a/").status == 200
    _record("envoy-restart", {"seconds_until_serving_newest_config": round(restart_seconds, 3)})
    print(f"\nEnvoy killed -9: serving the newest configuration again after {restart_seconds:.2f} s")


WRITER = r"""
import sys, time
from watt.formats.atomic import atomic_write
from watt.formats.snapshot import encode_snapshot, encode_object
path = sys.argv[1]
for i in range(10**6):
    lines = [encode_object({"kind": "Big", "n": i, "pad": "x" * 2000}, {"file": "f", "index": j}) for j in range(500)]
    atomic_write(path, encode_snapshot({"format": 1, "seq": i}, lines))
"""


def test_a_writer_killed_mid_write_never_leaves_a_partial_file_a_reader_accepts(tmp_path: Path) -> None:
    target = tmp_path / "snapshot.ndjson"
    reader = SnapshotReader(str(target))
    for round_ in range(15):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], start_new_session=True)
        time.sleep(0.15 + 0.037 * round_)  # kill at a different point of a ~1 MB write each round
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        if not target.exists():
            continue
        header, snapshot = reader.read()
        assert len(snapshot.objects) == 500 and not snapshot.invalid, f"round {round_}: partial snapshot accepted"
        assert {o.body["n"] for o in snapshot.objects} == {header["seq"]}
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "snapshot.ndjson"]
    assert all(name.startswith(".tmp-") for name in leftovers)  # temp files only, which every reader skips


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs, so a full disk is a real ENOSPC from the kernel."""
    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, f"cannot mount a tmpfs for the full-disk test: {proc.stderr}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_gives_a_clear_error_and_the_last_good_config_keeps_serving(
        small_disk: Path, gateway_factory: Callable[..., Gateway], echo_factory: Callable[[str], EchoServer]) -> None:
    upstream = echo_factory("up")
    gw = gateway_factory(env={"AMBASSADOR_CONFIG_BASE_DIR": str(small_disk / "base")})
    gw.write("base.yaml", to_yaml(listener("http", gw.ports.http), host("any"), mapping("a", "/a/", upstream.address)))
    gw.start()
    gw.wait_for("/a/", 200)
    filler = small_disk / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    gw.write("b.yaml", to_yaml(mapping("b", "/b/", upstream.address)))
    wait_until(lambda: "No space left on device" in gw.log_text(), timeout=20, what="a clear ENOSPC error")
    for _ in range(20):
        assert gw.get("/a/").status == 200
    assert gw.get("/b/").status == 404
    filler.unlink()
    gw.wait_for("/b/", 200, timeout=30)
    assert gw.children()["watt"].is_running()
