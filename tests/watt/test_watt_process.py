"""watt as a process on a real directory: the first snapshot, live changes, and bursts coalesced."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.support.processes import start, stop, wait_until
from watt.formats.snapshot import decode_snapshot


def _snapshot(base: Path) -> tuple[int, list[dict]]:
    snap = decode_snapshot((base / "snapshots" / "snapshot.ndjson").read_bytes())
    return int(snap.header["seq"]), [json.loads(line) for line in snap.lines]


def test_watt_snapshots_changes_and_coalesces_a_burst(tmp_path: Path) -> None:
    config, base = tmp_path / "config", tmp_path / "base"
    config.mkdir()
    (config / "first.yaml").write_text("kind: First\n")
    env = {**os.environ, "AMBASSADOR_CONFIG_BASE_DIR": str(base), "AMBASSADOR_RECONFIG_QUIET_PERIOD": "0.2",
           "AMBASSADOR_RECONFIG_MAX_DELAY": "2"}
    proc = start([sys.executable, "-m", "watt", "--config-dir", str(config)], env=env,
                 log_path=str(tmp_path / "watt.log"))
    try:
        wait_until(lambda: (base / "snapshots" / "snapshot.ndjson").exists(), timeout=10, what="first snapshot")
        first_seq, records = _snapshot(base)
        assert [r["object"]["body"]["kind"] for r in records] == ["First"]
        for i in range(30):  # a burst: 30 files written back to back, well inside one quiet period
            (config / f"burst-{i:02d}.yaml").write_text(f"kind: Burst{i}\n")
        wait_until(lambda: len(_snapshot(base)[1]) == 31, timeout=10, what="all 30 files in the snapshot")
        seq, records = _snapshot(base)
        assert seq - first_seq <= 2, f"a burst of 30 writes produced {seq - first_seq} snapshots"
        assert records[-1]["object"]["location"]["file"] == "first.yaml"
    finally:
        stop(proc)
