"""Data-plane efficiency: requests/s and p99 through our generated configuration against a hand-written minimal
Envoy configuration for the same route, same Envoy binary, same run. The upstream is a third Envoy answering with a
direct response. The Envoy under test has a CPU to itself (see ``_pinned``). Every round starts fresh Envoys, runs
alternate A B, B A, …, and each ratio is the median over rounds of the two configurations' ratio in that round (see
``paired``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from diagd.compile import compile
from diagd.compile.envoy.output import static_bootstrap
from diagd.compile.model.settings import CompileSettings
from tests.builders import host, listener, mapping, to_yaml
from tests.support.envoy import envoy_command
from tests.support.http import request
from tests.support.ports import free_port
from tests.support.processes import start, stop, wait_until
from tests.support.snapshots import snapshot_from_text

__all__ = ["measure", "compare", "paired", "per_round"]

_HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
_ROUTER = {"name": "envoy.filters.http.router",
           "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}


def _listener(port: int, routes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "l", "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {
                "@type": _HCM, "stat_prefix": "l", "http_filters": [_ROUTER],
                "route_config": {"name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routes": routes}]}}}]}]}


def _upstream(port: int) -> dict[str, Any]:
    body = {"inline_string": "x" * 64}
    return {"static_resources": {"listeners": [_listener(port, [
        {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": body}}])]}}


def _minimal(port: int, upstream: int) -> dict[str, Any]:
    cluster = {"name": "c", "type": "STATIC", "connect_timeout": "3s", "load_assignment": {"cluster_name": "c",
               "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {
                   "address": "127.0.0.1", "port_value": upstream}}}}]}]}}
    route = {"match": {"prefix": "/load/"}, "route": {"cluster": "c", "prefix_rewrite": "/"}}
    return {"static_resources": {"listeners": [_listener(port, [route])], "clusters": [cluster]}}


def _ours(port: int, upstream: int, admin: int) -> dict[str, Any]:
    text = to_yaml(listener("http", port), host("any"), mapping("load", "/load/", f"127.0.0.1:{upstream}"))
    settings = CompileSettings(envoy_bind_address="127.0.0.1", admin_port=admin, ready_port=free_port())
    config = static_bootstrap(compile(snapshot_from_text(text), settings).envoy)
    config.pop("admin", None)
    return config


def _pinned(cpu: str, command: list[str]) -> list[str]:
    """On two or more CPUs, the Envoy under test runs alone on CPU 0 and everything else (wrk, the upstream) on
    CPU 1: the proxy is the bottleneck, and the scheduler does not decide the result."""
    return ["taskset", "-c", cpu, *command] if (os.cpu_count() or 1) >= 2 and shutil.which("taskset") else command


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, all threads, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(port: int, seconds: int, connections: int, pid: int) -> dict[str, float]:
    """wrk against ``port``; besides requests/s, the CPU time the Envoy ``pid`` spent per request (``proxy_cpu_us``):
    it does not depend on how the machine shares its CPUs during the run."""
    cpu = _cpu_seconds(pid)
    out = subprocess.run(_pinned("1", ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                                       f"http://127.0.0.1:{port}/load/"]),
                         capture_output=True, text=True, check=True).stdout
    cpu = _cpu_seconds(pid) - cpu
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale,  # type: ignore[union-attr]
            "non_2xx": float(errors.group(1)) if errors else 0.0, "proxy_cpu_us": cpu * 1e6 / max(requests, 1)}


def compare(upstream: tuple[int, dict[str, Any]], configs: dict[str, tuple[int, dict[str, Any]]], *, rounds: int,
            seconds: int, connections: int) -> dict[str, list[dict[str, float]]]:
    """``rounds`` rounds of wrk against one Envoy per configuration (port, bootstrap), every round starting one
    configuration later so that none always runs first. Each round starts every Envoy afresh (the upstream's too)
    and warms it up: one Envoy process can be a few percent faster or slower than another with the same
    configuration for as long as it lives, so a comparison within one pair of processes measures that as well."""
    with tempfile.TemporaryDirectory(prefix="bench-dp-") as tmp:
        paths = {}
        for name, (_, config) in {"upstream": upstream, **configs}.items():
            paths[name] = Path(tmp) / f"{name}.json"
            paths[name].write_text(json.dumps(config))
        names = list(configs)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
        for index in range(rounds):
            procs = _started(paths, {"upstream": upstream[0], **{n: p for n, (p, _) in configs.items()}}, tmp)
            try:
                for name in names:
                    _wrk(configs[name][0], 1, connections, procs[name].pid)
                for name in names[index % len(names):] + names[:index % len(names)]:
                    runs[name].append(_wrk(configs[name][0], seconds, connections, procs[name].pid))
            finally:
                for proc in procs.values():
                    stop(proc)
    return runs


def _started(paths: dict[str, Path], ports: dict[str, int], tmp: str) -> dict[str, subprocess.Popen[bytes]]:
    """One Envoy per bootstrap file, each answering on its port; the upstream on CPU 1, the others on CPU 0."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, path in paths.items():
            procs[name] = start(_pinned("1" if name == "upstream" else "0", envoy_command(str(path))),
                                log_path=str(Path(tmp) / f"{name}.log"))
        for name, port in ports.items():
            wait_until(lambda p=port: request(p, "/load/").status == 200, timeout=30, what=f"envoy {name}")
    except BaseException:
        for proc in procs.values():
            stop(proc)
        raise
    return procs


def measure(*, rounds: int = 20, seconds: int = 3, connections: int = 16) -> dict[str, Any]:
    up_port, ours_port, min_port = free_port(), free_port(), free_port()
    runs = compare((up_port, _upstream(up_port)), {"ours": (ours_port, _ours(ours_port, up_port, free_port())),
                                                   "minimal": (min_port, _minimal(min_port, up_port))},
                   rounds=rounds, seconds=seconds, connections=connections)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("rps", "p99_ms", "non_2xx", "proxy_cpu_us")}
           for k, v in runs.items()}
    return {"ours": med["ours"], "minimal": med["minimal"], "rps_ratio": paired(runs, "ours", "rps"),
            "p99_ratio": paired(runs, "ours", "p99_ms"), "cpu_ratio": paired(runs, "minimal", "proxy_cpu_us", over="ours"),
            "runs": runs}


def per_round(runs: dict[str, list[dict[str, float]]], name: str, metric: str, *,
              over: str = "minimal") -> list[float]:
    """``name``'s ``metric`` divided by ``over``'s, round by round: both ran back to back, so what drifts over the run
    (the machine's other load) cancels out."""
    return [a[metric] / b[metric] for a, b in zip(runs[name], runs[over], strict=True)]


def paired(runs: dict[str, list[dict[str, float]]], name: str, metric: str, *, over: str = "minimal") -> float:
    """The median over rounds of ``per_round``."""
    return statistics.median(per_round(runs, name, metric, over=over))
