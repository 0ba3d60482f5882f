"""Where the data plane's cost is: our generated configuration with one feature at a time removed, each loaded at the
same time as the hand-written minimal configuration (see ``bench.dataplane.compare``), same Envoy binary, medians
over rounds. A diagnostic, not a target.

    python -m bench.dataplane_ablation [--rounds 5] [--seconds 3]
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from bench.dataplane import Pairs, _minimal, _ours, _upstream, compare, per_round
from tests.support.ports import free_port

__all__ = ["VARIANTS", "variant"]

VARIANTS = ("ours", "ours-cors-enabled", "ours-no-access-log", "ours-no-cors", "ours-no-options", "ours-no-probes",
            "ours-bare", "minimal")


def _hcm(config: dict[str, Any]) -> dict[str, Any]:
    listener = next(l for l in config["static_resources"]["listeners"] if l["name"] == "http")
    hcm: dict[str, Any] = listener["filter_chains"][0]["filters"][0]["typed_config"]
    return hcm


def variant(name: str, port: int, upstream: int) -> dict[str, Any]:
    """``name`` from VARIANTS: ``bare`` also drops the HCM options and the probe routes ahead of the route;
    ``cors-enabled`` installs the cors filter enabled for every request, as Emissary does."""
    if name == "minimal":
        return _minimal(port, upstream)
    config = _ours(port, upstream, free_port())
    hcm = _hcm(config)
    if name in ("ours-no-access-log", "ours-bare"):
        hcm.pop("access_log", None)
    if name == "ours-cors-enabled":
        for entry in hcm["http_filters"]:
            entry.pop("disabled", None)
    if name in ("ours-no-cors", "ours-bare"):
        hcm["http_filters"] = [f for f in hcm["http_filters"] if "cors" not in f["name"]]
    if name in ("ours-no-options", "ours-bare"):
        for key in ("use_remote_address", "normalize_path", "server_name"):
            hcm.pop(key, None)
    if name in ("ours-no-probes", "ours-bare"):
        vhost = hcm["route_config"]["virtual_hosts"][0]
        vhost["routes"] = vhost["routes"][-1:]
    return config


def measure(rounds: int, seconds: int, connections: int = 16) -> Pairs:
    up = free_port()
    ports = {name: free_port() for name in VARIANTS}
    return compare((up, _upstream(up)), {n: (p, variant(n, p, up)) for n, p in ports.items()}, reference="minimal",
                   rounds=rounds, seconds=seconds, connections=connections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    pairs = measure(args.rounds, args.seconds)
    print("| configuration | × minimal, req/s (median, range over rounds) | minimal ÷ this, proxy CPU per request "
          "(median, range) | proxy CPU per request (median) |")
    print("|---|---|---|---|")
    for name, rounds in pairs.items():
        rps, cpu = per_round(pairs, name, "rps"), per_round(pairs, name, "proxy_cpu_us", inverse=True)
        print(f"| {name} | {statistics.median(rps):.3f} ({min(rps):.3f}–{max(rps):.3f}) | "
              f"{statistics.median(cpu):.3f} ({min(cpu):.3f}–{max(cpu):.3f}) | "
              f"{statistics.median(r['proxy_cpu_us'] for r, _ in rounds):.1f} µs |")


if __name__ == "__main__":
    main()
