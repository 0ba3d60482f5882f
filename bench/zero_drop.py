"""Zero drop: steady load through Envoy while 100 reconfigurations land — routes added and removed elsewhere,
weight shifts on the route under load, Module changes — counting non-2xx responses and socket errors."""

from __future__ import annotations

import re
import subprocess
import time
from typing import Any

from tests.builders import mapping, module, to_yaml
from tests.support.gateway import Gateway

__all__ = ["measure", "KINDS"]

KINDS = ("add-route", "weight-shift", "remove-route", "module-change")


def _change(gw: Gateway, step: int, primary: str, canary: str) -> str:
    kind = KINDS[step % len(KINDS)]
    if kind == "add-route":
        gw.write("zd-extra.yaml", to_yaml(mapping(f"zd-x{step}", f"/zd-x{step}/", canary)))
    elif kind == "weight-shift":
        gw.write("zd-load.yaml", to_yaml(mapping("zd-load", "/load/", primary),
                                         mapping("zd-load-canary", "/load/", canary, weight=(step * 7) % 100)))
    elif kind == "remove-route":
        gw.write("zd-extra.yaml", "")
    else:
        gw.write("zd-module.yaml", to_yaml(module({"server_name": f"bench-{step}"})))
    return kind


def _parse(out: str) -> dict[str, int]:
    def number(pattern: str) -> int:
        match = re.search(pattern, out)
        return int(match.group(1)) if match else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(g) for g in sock.groups()) if sock else 0
    return {"requests": number(r"(\d+) requests in"), "non_2xx": number(r"Non-2xx or 3xx responses: (\d+)"),
            "socket_errors": socket_errors}


def measure(gw: Gateway, primary: str, canary: str, *, reconfigs: int = 100, interval: float = 0.15,
            connections: int = 8) -> dict[str, Any]:
    """``gw`` is running with a Listener on ``gw.ports.http``; ``primary``/``canary`` are live upstreams."""
    gw.write("zd-load.yaml", to_yaml(mapping("zd-load", "/load/", primary)))
    gw.wait_for("/load/", 200, timeout=60)
    seconds = int(reconfigs * interval + 6)
    wrk = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{gw.ports.http}/load/"],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    kinds: dict[str, int] = {}
    for step in range(reconfigs):
        kind = _change(gw, step, primary, canary)
        kinds[kind] = kinds.get(kind, 0) + 1
        time.sleep(interval)
    out, _ = wrk.communicate(timeout=seconds + 30)
    result: dict[str, Any] = {**_parse(out), "reconfigs": reconfigs, "changes": kinds}
    result["failed"] = result["non_2xx"] + result["socket_errors"]
    return result
