"""Change → live: how long one Mapping change takes to answer through Envoy, and where the time goes.

For each size, a gateway runs with that many Mappings (in files of 50); then, repeatedly, one Mapping file is
written and the new route is polled through Envoy until it answers. The per-phase timings come from diagd's
reconfig records (diag JSON). Prints a table; ``--json`` writes the raw results.

    python -m bench.change_latency --sizes 10 1000 --changes 30
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.builders import host, listener, mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.upstreams import EchoServer

PHASES = ("snapshot", "compile", "write", "push", "ack", "total")


def _write_mappings(gw: Gateway, count: int, upstream: str) -> None:
    gw.write("base.yaml", to_yaml(listener("http", gw.ports.http), host("any")))
    for start in range(0, count, 50):
        docs = [mapping(f"m{i}", f"/svc{i}/", upstream, hostname="*") for i in range(start, min(count, start + 50))]
        gw.write(f"mappings-{start // 50:04d}.yaml", to_yaml(*docs))


def _one_change(gw: Gateway, index: int, upstream: str) -> dict[str, Any]:
    path = f"/change{index}/"
    started = time.time()
    gw.write("change.yaml", to_yaml(mapping("change", path, upstream)))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if request(gw.ports.http, path, timeout=2).status == 200:
            break
        time.sleep(0.002)
    else:
        raise RuntimeError(f"{path} did not answer within 30 s")
    live_ms = (time.time() - started) * 1000
    record = _record_after(gw, started)
    return {"live_ms": live_ms, "phases_ms": record["phases_ms"] if record else {}}


def _record_after(gw: Gateway, started: float) -> dict[str, Any] | None:
    for _ in range(100):
        history = gw.diag()["reconfig"]["history"]
        done = [r for r in history if r["change_seen"] >= started - 0.001 and r["acked"] is not None]
        if done:
            return dict(done[-1])
        time.sleep(0.02)
    return None


def measure(size: int, changes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, EchoServer("bench") as upstream:
        gw = Gateway(Path(tmp))
        _write_mappings(gw, size, upstream.address)
        gw.start(ready_timeout=120)
        try:
            gw.wait_for("/svc0/", 200, timeout=60)
            samples = [_one_change(gw, i, upstream.address) for i in range(changes)]
        finally:
            gw.stop()
    return {"size": size, "changes": changes, "samples": samples}


def summarise(result: dict[str, Any]) -> dict[str, float]:
    samples = result["samples"]
    row = {"live_ms": statistics.median(s["live_ms"] for s in samples)}
    for phase in PHASES:
        values = [s["phases_ms"].get(phase) for s in samples if s["phases_ms"].get(phase) is not None]
        row[phase] = statistics.median(values) if values else float("nan")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--json", help="write raw results here")
    args = parser.parse_args()
    results = [measure(size, args.changes) for size in args.sizes]
    header = ["Mappings", "change→answers", *[f"{p} (ms)" for p in PHASES]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for result in results:
        row = summarise(result)
        cells = [str(result["size"]), f"{row['live_ms']:.1f} ms", *[f"{row[p]:.1f}" for p in PHASES]]
        print("| " + " | ".join(cells) + " |")
    print(f"medians over {args.changes} one-Mapping changes each")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
