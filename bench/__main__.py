"""``make bench``: speed, memory and zero-drop reconfiguration, measured in one run, printed and saved as JSON.

    python -m bench                 # sizes 100, 1,000, 10,000 (about 10–15 minutes here)
    python -m bench --sizes 100 1000 --changes 10 --skip-growth   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import calibration, change_latency, compile_cpu, dataplane, memory, zero_drop
from bench.generate import Shape, generate, tenant_hostname
from bench.peak import peak_rss_mib, peaks_by_process_mib
from bench.targets import evaluate
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.tls import client_context
from tests.support.upstreams import EchoServer

RESULTS = Path(__file__).resolve().parent / "results"


def _gateway_run(size: int, args: argparse.Namespace, primary: EchoServer, canary: EchoServer) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-gw-{size}-") as tmp:
        gw = Gateway(Path(tmp), env={"AMBASSADOR_DRAIN_TIME": "600", "ENVOY_CONCURRENCY": "1"})
        generated = generate(Shape.for_size(size), gw.config, http_port=gw.ports.http, https_port=gw.ports.https)
        started = time.monotonic()
        gw.start(ready_timeout=300)
        row: dict[str, Any] = {"size": size, "counts": generated.counts,
                               "ready_s": round(time.monotonic() - started, 1)}
        try:
            context = client_context(generated.ca)
            row["latency"] = change_latency.summarise(change_latency.measure(
                gw, primary.address, changes=args.changes, hostname=tenant_hostname(0), context=context))
            row["latency_wildcard"] = change_latency.summarise(change_latency.measure(
                gw, primary.address, changes=max(5, args.changes // 3)))
            records = request(gw.ports.diag, "/ambassador/v0/diag/history?json=true", timeout=60).json()["reconfigs"]
            row["envoy_counts"] = records[-1]["counts"]
            children = gw.children()
            row["memory"] = {**memory.snapshot(gw),
                             "control_plane_peak_mib": sum(peak_rss_mib(p) for n, p in children.items() if n != "envoy"),
                             "envoy_peak_mib": peak_rss_mib(children["envoy"]),
                             "peak_by_process_mib": peaks_by_process_mib(children)}
            if size == args.growth_size and not args.skip_growth:
                row["growth"] = memory.growth(gw, primary.address, reconfigs=args.growth_reconfigs)
            if size == args.growth_size:
                row["zero_drop"] = zero_drop.measure(gw, primary.address, canary.address)
        finally:
            gw.stop()
    return row


def _print(results: dict[str, Any]) -> None:
    print(f"\nmachine: {results['machine']}")
    print("\n## Compile CPU (process time, medians)")
    print("| Mappings | routes | clusters | full compile | one change: compile | one change: read+compile+write |")
    print("|---|---|---|---|---|---|")
    for r in results["compile"]:
        print(f"| {r['size']:,} | {r['routes']:,} | {r['clusters']:,} | {r['full_compile_s'] * 1000:.0f} ms | "
              f"{r['one_change_compile_s'] * 1000:.1f} ms | {r['one_change_diagd_path_s'] * 1000:.1f} ms |")
    cal = results["calibration"]
    print(f"Machine speed (bench.calibration, a fixed pure-Python workload; CPU ms, lower is faster): "
          f"{cal['start_s'] * 1000:.0f} before the compiles, {cal['after_compile_s'] * 1000:.0f} after them, "
          f"{cal['end_s'] * 1000:.0f} at the end. Full compile at {results['compile'][-1]['size']:,} = "
          f"{results['compile'][-1]['full_compile_s'] / statistics.mean([cal['start_s'], cal['after_compile_s']]):.2f}"
          " × the workload measured around it.")
    print("\n## Change → live through Envoy (a tenant's Mapping, polled over HTTPS), and memory")
    print("| Mappings | p50 | p90 | p99 | phases (median ms): snapshot/compile/write/push/ack | control plane RSS "
          "(peak) | control plane PSS | Envoy RSS (peak) |")
    print("|---|---|---|---|---|---|---|---|")
    for g in results["gateways"]:
        lat, mem, ph = g["latency"], g["memory"], g["latency"]["phase_medians_ms"]
        phases = "/".join(f"{ph[p]:.1f}" for p in ("snapshot", "compile", "write", "push", "ack"))
        print(f"| {g['size']:,} | {lat['p50_ms']:.0f} ms | {lat['p90_ms']:.0f} ms | {lat['p99_ms']:.0f} ms | {phases} | "
              f"{mem['control_plane_total_mib']:.0f} MiB ({mem['control_plane_peak_mib']:.0f}) | "
              f"{mem['control_plane_pss_total_mib']:.0f} MiB | "
              f"{mem['envoy_mib']:.0f} MiB ({mem['envoy_peak_mib']:.0f}) |")
    print("\nPeak RSS by process (MiB; `diagd/<pid>` is the gunicorn worker):")
    for g in results["gateways"]:
        peaks = ", ".join(f"{name} {mib:.1f}" for name, mib in g["memory"]["peak_by_process_mib"].items())
        print(f"  {g['size']:,} Mappings: {peaks}")
    print("\nWorst case, a `hostname: \"*\"` Mapping that every Host takes (every virtual host changes):")
    for g in results["gateways"]:
        lat = g["latency_wildcard"]
        print(f"  {g['size']:,} Mappings: p50 {lat['p50_ms']:.0f} ms, p90 {lat['p90_ms']:.0f} ms over {lat['changes']}")
    if results.get("growth"):
        g = results["growth"]
        print(f"\nGrowth over {g['reconfigs']} reconfigs: control plane {g['before']['control_plane_total_mib']:.1f} → "
              f"{g['after']['control_plane_total_mib']:.1f} MiB ({g['control_plane_growth'] * 100:+.1f} %)")
    if results.get("zero_drop"):
        z = results["zero_drop"]
        print(f"Zero drop: {z['requests']:,} requests during {z['reconfigs']} reconfigs {z['changes']}: "
              f"{z['non_2xx']} non-2xx, {z['socket_errors']} socket errors; WebSockets held "
              f"{z['websockets']['held']}, survived {z['websockets']['survived']} {z['websockets']['lost_after']}")
    if results.get("dataplane"):
        d = results["dataplane"]
        print(f"Data plane: ours {d['ours']['rps']:.0f} req/s p99 {d['ours']['p99_ms']:.2f} ms; minimal "
              f"{d['minimal']['rps']:.0f} req/s p99 {d['minimal']['p99_ms']:.2f} ms; ratio {d['rps_ratio']:.3f}")
        print(f"  proxy CPU per request: ours {d['ours']['proxy_cpu_us']:.1f} µs, minimal "
              f"{d['minimal']['proxy_cpu_us']:.1f} µs; minimal ÷ ours {d['cpu_ratio']:.3f}")
        rounds = sorted(dataplane.per_round(d["pairs"], "ours", "rps"))
        print(f"  {len(rounds)} rounds, fresh Envoys each, ours and minimal loaded at the same time on one shared CPU "
              f"(req/s above are each one's half, and the two kept that CPU {d['proxy_cpu_busy'] * 100:.0f} % busy); "
              f"req/s ratio per round from {rounds[0]:.3f} to {rounds[-1]:.3f}, "
              f"quartiles {rounds[len(rounds) // 4]:.3f} and {rounds[3 * len(rounds) // 4]:.3f}")
    print("\n## Targets")
    print("| target | measured | met |\n|---|---|---|")
    for name, measured, met in results["targets"]:
        print(f"| {name} | {measured} | {'yes' if met else 'NO' if met is False else '—'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--growth-size", type=int, default=1000)
    parser.add_argument("--growth-reconfigs", type=int, default=1000)
    parser.add_argument("--skip-growth", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    load = os.getloadavg()
    results: dict[str, Any] = {"machine": f"{platform.node()} {os.cpu_count()} CPUs, load {load[0]:.2f}/"
                                          f"{load[1]:.2f}/{load[2]:.2f} at start; Python {platform.python_version()} "
                                          f"({sys.executable})", "started": time.time()}
    results["calibration"] = {"start_s": calibration.measure()}
    results["compile"] = [compile_cpu.measure(size) for size in args.sizes]
    results["calibration"]["after_compile_s"] = calibration.measure()
    with EchoServer("bench-primary") as primary, EchoServer("bench-canary") as canary:
        results["gateways"] = [_gateway_run(size, args, primary, canary) for size in args.sizes]
    for row in results["gateways"]:
        for key in ("growth", "zero_drop"):
            if key in row:
                results[key] = row.pop(key)
    results["dataplane"] = dataplane.measure()
    results["calibration"]["end_s"] = calibration.measure()
    results["targets"] = evaluate(results)
    results["seconds"] = round(time.monotonic() - started, 1)
    _print(results)
    print(f"\nbench took {results['seconds']:.0f} s; load average at end {os.getloadavg()[0]:.2f}")
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
