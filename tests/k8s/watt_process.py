"""Run ``watt`` alone against an API server and read the snapshots it writes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.processes import start, stop, wait_until
from watt.formats.snapshot import ObjectRecord, SnapshotHeader, decode_record, decode_snapshot

__all__ = ["WattProcess", "Snapshot"]

Body = dict[str, Any]


class Snapshot:
    def __init__(self, header: SnapshotHeader, objects: dict[tuple[str, str, str], Body]) -> None:
        self.header = header
        self.objects = objects

    @property
    def seq(self) -> int:
        return int(self.header.get("seq", 0))

    def get(self, kind: str, namespace: str, name: str) -> Body | None:
        return self.objects.get((kind, namespace, name))

    def names(self, kind: str, namespace: str | None = None) -> set[str]:
        return {n for (k, ns, n) in self.objects if k == kind and (namespace is None or ns == namespace)}


class WattProcess:
    def __init__(self, root: Path, kubeconfig: str | Path, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.base = root / "base"
        self.log = root / "watt.log"
        self.kubeconfig = str(kubeconfig)
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def snapshot_file(self) -> Path:
        return self.base / "snapshots" / "snapshot.ndjson"

    def start(self) -> WattProcess:
        self.root.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AMBASSADOR_", "KUBERNETES_"))}
        env.update({"KUBECONFIG": self.kubeconfig, "AMBASSADOR_CONFIG_BASE_DIR": str(self.base),
                    "AMBASSADOR_KUBE_RETRY": "0.5", **self.extra_env})
        self.proc = start([sys.executable, "-m", "watt"], env=env, log_path=str(self.log))
        self.wait(lambda snap: snap is not None, what="the first snapshot", timeout=60)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def snapshot(self) -> Snapshot | None:
        try:
            data = self.snapshot_file.read_bytes()
        except FileNotFoundError:
            return None
        parsed = decode_snapshot(data)
        objects: dict[tuple[str, str, str], Body] = {}
        for line in parsed.lines:
            record = decode_record(line)
            if isinstance(record, ObjectRecord):
                loc = record.location
                objects[(str(loc["kind"]), str(loc.get("namespace", "")), str(loc["name"]))] = dict(record.body)
        return Snapshot(parsed.header, objects)

    def wait(self, predicate: Callable[[Snapshot | None], object], *, what: str, timeout: float = 20) -> Snapshot:
        def check() -> Snapshot | None:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"watt exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            snap = self.snapshot()
            return snap if predicate(snap) and snap is not None else None
        try:
            result: Snapshot = wait_until(check, timeout=timeout, interval=0.05, what=what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- watt log ---\n{self.log_text()[-3000:]}") from None
        return result

    def wait_object(self, kind: str, namespace: str, name: str, predicate: Callable[[Body | None], object], *,
                    what: str, timeout: float = 20) -> Snapshot:
        return self.wait(lambda snap: snap is not None and predicate(snap.get(kind, namespace, name)),
                         what=f"{kind} {namespace}/{name}: {what}", timeout=timeout)
