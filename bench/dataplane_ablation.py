"""Where the data plane's cost is: our generated configuration with one feature at a time removed, against the
hand-written minimal configuration, same Envoy binary, runs interleaved in a rotating order, medians. A diagnostic, not a target.

    python -m bench.dataplane_ablation [--rounds 5] [--seconds 4]
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from bench.dataplane import _minimal, _ours, _upstream, compare, paired
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


def measure(rounds: int, seconds: int, connections: int = 16) -> dict[str, list[dict[str, float]]]:
    up = free_port()
    ports = {name: free_port() for name in VARIANTS}
    return compare((up, _upstream(up)), {n: (p, variant(n, p, up)) for n, p in ports.items()}, rounds=rounds,
                   seconds=seconds, connections=connections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    runs = measure(args.rounds, args.seconds)
    print("| configuration | req/s (median) | × minimal, paired by round (median) | proxy CPU per request (median) "
          "| minimal ÷ this, paired (median) | runs (req/s) |")
    print("|---|---|---|---|---|---|")
    for name, values in runs.items():
        rps, cpu = paired(runs, name, "rps"), paired(runs, "minimal", "proxy_cpu_us", over=name)
        print(f"| {name} | {statistics.median(r['rps'] for r in values):,.0f} | {rps:.3f} | "
              f"{statistics.median(r['proxy_cpu_us'] for r in values):.1f} µs | {cpu:.3f} | "
              f"{', '.join(format(r['rps'], ',.0f') for r in values)} |")


if __name__ == "__main__":
    main()
