"""SIGTERM to `emissary-py run` stops every process and frees every port."""

from __future__ import annotations

import socket
from collections.abc import Callable

import psutil

from tests.builders import host, listener, mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.upstreams import EchoServer


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_sigterm_stops_everything_and_frees_the_ports(gateway_factory: Callable[..., Gateway],
                                                      echo_factory: Callable[[str], EchoServer]) -> None:
    upstream = echo_factory("up")
    gw = gateway_factory()
    gw.write("all.yaml", to_yaml(listener("http", gw.ports.http), host("any"), mapping("m", "/m/", upstream.address)))
    gw.start()
    assert gw.wait_for("/m/", 200)
    supervisor = psutil.Process(gw.proc.pid)  # type: ignore[union-attr]
    tree = [supervisor, *supervisor.children(recursive=True)]
    assert {"ambex", "diagd", "watt", "envoy"} <= set(gw.children())
    assert gw.stop() == 0
    gone, alive = psutil.wait_procs(tree, timeout=10)
    assert not alive, f"still running: {[p.pid for p in alive]}"
    ports = gw.ports
    for port in (ports.http, ports.diag, ports.ads, ports.admin, ports.ready):
        assert _port_free(port), f"port {port} still bound"
