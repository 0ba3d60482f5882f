"""Data-plane efficiency: requests/s and p99 through our generated configuration against a hand-written minimal
Envoy configuration for the same route, same Envoy binary, same run. The upstream is a third Envoy answering with a
direct response. The two Envoys compared share one CPU and are loaded at the same time (see ``compare``); each ratio
is the median over rounds of the two configurations' ratio in that round (see ``paired``)."""

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

__all__ = ["measure", "compare", "paired", "per_round", "Pairs"]

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
    """On two or more CPUs, the Envoys under test run on CPU 0 and everything else (wrk, the upstream) on CPU 1:
    the proxies are the bottleneck."""
    return ["taskset", "-c", cpu, *command] if (os.cpu_count() or 1) >= 2 and shutil.which("taskset") else command


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, all threads, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Run = dict[str, float]  # rps, p99_ms, non_2xx, proxy_cpu_us, proxy_cpu_s of one wrk run
Pairs = dict[str, list[tuple[Run, Run]]]  # configuration → per round, (its run, the reference's run beside it)


def _wrk_started(port: int, seconds: int, connections: int) -> subprocess.Popen[str]:
    return subprocess.Popen(_pinned("1", ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                                          f"http://127.0.0.1:{port}/load/"]), stdout=subprocess.PIPE, text=True)


def _run(out: str, cpu: float) -> Run:
    """wrk's output, with the CPU time the Envoy under test spent per request (``proxy_cpu_us``)."""
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale,  # type: ignore[union-attr]
            "non_2xx": float(errors.group(1)) if errors else 0.0, "proxy_cpu_us": cpu * 1e6 / max(requests, 1),
            "proxy_cpu_s": cpu}


def _wrk(targets: list[tuple[int, int]], seconds: int, connections: int) -> list[Run]:
    """One wrk per (port, Envoy pid), all at the same time."""
    cpu = [_cpu_seconds(pid) for _, pid in targets]
    loads = [_wrk_started(port, seconds, connections) for port, _ in targets]
    outs = [load.communicate(timeout=seconds + 60)[0] for load in loads]
    for load in loads:
        if load.returncode:
            raise RuntimeError(f"wrk exited with {load.returncode}")
    return [_run(out, _cpu_seconds(pid) - before) for out, (_, pid), before in zip(outs, targets, cpu, strict=True)]


def compare(upstream: tuple[int, dict[str, Any]], configs: dict[str, tuple[int, dict[str, Any]]], *, reference: str,
            rounds: int, seconds: int, connections: int) -> Pairs:
    """``rounds`` rounds in which every configuration (port, bootstrap) is loaded *at the same time as* the
    ``reference``, both Envoys sharing one CPU: whatever the machine does meanwhile slows both alike, and each
    gets half of that CPU, so the ratio of their requests/s is the inverse ratio of their cost per request. Each
    round starts every Envoy afresh (one Envoy process can be a few percent faster or slower than another with the
    same configuration for as long as it lives) and takes the configurations one later than the last round."""
    others = [name for name in configs if name != reference]
    pairs: Pairs = {name: [] for name in others}
    with tempfile.TemporaryDirectory(prefix="bench-dp-") as tmp:
        paths = {}
        for name, (_, config) in {"upstream": upstream, **configs}.items():
            paths[name] = Path(tmp) / f"{name}.json"
            paths[name].write_text(json.dumps(config))
        for index in range(rounds):
            procs = _started(paths, {"upstream": upstream[0], **{n: p for n, (p, _) in configs.items()}}, tmp)
            target = {name: (port, procs[name].pid) for name, (port, _) in configs.items()}
            try:
                _wrk(list(target.values()), 1, connections)  # warm-up
                for name in others[index % len(others):] + others[:index % len(others)]:
                    ours, theirs = _wrk([target[name], target[reference]], seconds, connections)
                    pairs[name].append((ours, theirs))
            finally:
                for proc in procs.values():
                    stop(proc)
    return pairs


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


def measure(*, rounds: int = 15, seconds: int = 3, connections: int = 16) -> dict[str, Any]:
    up_port, ours_port, min_port = free_port(), free_port(), free_port()
    pairs = compare((up_port, _upstream(up_port)), {"ours": (ours_port, _ours(ours_port, up_port, free_port())),
                                                    "minimal": (min_port, _minimal(min_port, up_port))},
                    reference="minimal", rounds=rounds, seconds=seconds, connections=connections)
    metrics = ("rps", "p99_ms", "non_2xx", "proxy_cpu_us")
    med = [{m: statistics.median(pair[side][m] for pair in pairs["ours"]) for m in metrics} for side in (0, 1)]
    # Both proxies together should keep their CPU busy: if they did not, the load generator was the bottleneck and
    # the ratio would understate the difference.
    busy = statistics.median((a["proxy_cpu_s"] + b["proxy_cpu_s"]) / seconds for a, b in pairs["ours"])
    return {"ours": med[0], "minimal": med[1], "rps_ratio": paired(pairs, "ours", "rps"),
            "p99_ratio": paired(pairs, "ours", "p99_ms"),
            "cpu_ratio": paired(pairs, "ours", "proxy_cpu_us", inverse=True), "proxy_cpu_busy": busy, "pairs": pairs}


def per_round(pairs: Pairs, name: str, metric: str, *, inverse: bool = False) -> list[float]:
    """``name``'s ``metric`` divided by the reference's beside it, round by round (``inverse``: the reference's
    divided by ``name``'s)."""
    return [b[metric] / a[metric] if inverse else a[metric] / b[metric] for a, b in pairs[name]]


def paired(pairs: Pairs, name: str, metric: str, *, inverse: bool = False) -> float:
    """The median over rounds of ``per_round``."""
    return statistics.median(per_round(pairs, name, metric, inverse=inverse))
