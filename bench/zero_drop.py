"""Zero drop: steady load through Envoy while 100 reconfigurations land — routes added and removed elsewhere,
weight shifts on the route under load, Module changes — counting non-2xx responses and socket errors, while
WebSocket connections held open through Envoy exchange a message after every change and must all survive."""

from __future__ import annotations

import re
import subprocess
import time
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

from tests.builders import mapping, module, to_yaml
from tests.support.gateway import Gateway
from tests.support.ws import WebSocketEcho

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


def _open_websockets(gw: Gateway, upstream: str, count: int) -> list[ClientConnection]:
    gw.write("zd-ws.yaml", to_yaml(mapping("zd-ws", "/zd-ws/", upstream, use_websocket=True)))
    deadline = time.monotonic() + 60
    while True:
        try:
            return [connect(f"ws://127.0.0.1:{gw.ports.http}/zd-ws/", open_timeout=5) for _ in range(count)]
        except (OSError, InvalidHandshake):  # the route is not live yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _exchange(sockets: dict[int, ClientConnection], step: int, lost: dict[str, int], kind: str) -> None:
    """One message each way on every held connection; a connection that fails is counted against ``kind``."""
    for index, ws in list(sockets.items()):
        message = f"{step}-{index}"
        try:
            ws.send(message)
            if ws.recv(timeout=5) != message:
                raise ValueError("echo mismatch")
        except (ConnectionClosed, TimeoutError, ValueError, OSError):
            lost[kind] = lost.get(kind, 0) + 1
            del sockets[index]


def measure(gw: Gateway, primary: str, canary: str, *, reconfigs: int = 100, interval: float = 0.15,
            connections: int = 8, websockets: int = 10) -> dict[str, Any]:
    """``gw`` is running with a Listener on ``gw.ports.http``; ``primary``/``canary`` are live upstreams."""
    echo = WebSocketEcho().start()
    try:
        return _measure(gw, primary, canary, echo.address, reconfigs, interval, connections, websockets)
    finally:
        echo.stop()


def _measure(gw: Gateway, primary: str, canary: str, ws_upstream: str, reconfigs: int, interval: float,
             connections: int, websockets: int) -> dict[str, Any]:
    gw.write("zd-load.yaml", to_yaml(mapping("zd-load", "/load/", primary)))
    gw.wait_for("/load/", 200, timeout=60)
    sockets = dict(enumerate(_open_websockets(gw, ws_upstream, websockets)))
    lost: dict[str, int] = {}
    seconds = int(reconfigs * interval + 6)
    wrk = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{gw.ports.http}/load/"],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    kinds: dict[str, int] = {}
    for step in range(reconfigs):
        kind = _change(gw, step, primary, canary)
        kinds[kind] = kinds.get(kind, 0) + 1
        time.sleep(interval)
        _exchange(sockets, step, lost, kind)
    out, _ = wrk.communicate(timeout=seconds + 30)
    for ws in sockets.values():
        ws.close()
    result: dict[str, Any] = {**_parse(out), "reconfigs": reconfigs, "changes": kinds,
                              "websockets": {"held": websockets, "survived": len(sockets), "lost_after": lost}}
    result["failed"] = result["non_2xx"] + result["socket_errors"]
    return result
