"""TCPMappings through real Envoy (SPEC §8 behaviour 48): plain forwarding, weights, TLS termination by SNI next to
HTTPS Hosts on the same port (TCP wins conflicts), TLS passthrough by SNI, and TLS origination."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import host, listener, mapping, resource, to_yaml
from tests.support.gateway import Gateway
from tests.support.ports import free_port
from tests.support.processes import wait_until
from tests.support.tls import CertificateAuthority, client_context, common_name, https_request, tls_secret
from tests.support.upstreams import EchoServer

pytestmark = pytest.mark.envoy


def raw_http(port: int, path: str = "/", host_header: str = "tcp.test") -> dict[str, Any]:
    """One HTTP/1.1 request over a fresh plain TCP connection; the JSON the echo server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\n\r\n".encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        return dict(json.loads(response.read()))


def _tcp(name: str, port: int, service: str, **spec: Any) -> dict[str, Any]:
    return resource("TCPMapping", name, {"port": port, "service": service, **spec})


@pytest.fixture(scope="module")
def setup(gateway_for_module: Callable[..., Gateway], upstreams: Callable[..., EchoServer],
          ca: CertificateAuthority, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cert, key = ca.issue("pass.example.com").write(tmp_path_factory.mktemp("pass"), "pass")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    up = {n: upstreams(n) for n in ("plain", "seventy", "thirty", "terminated", "web")}
    up["passthrough"] = upstreams("passthrough", ssl_context=server_tls)
    ports = {n: free_port() for n in ("plain", "weighted", "passthrough", "originate")}
    gw = gateway_for_module()
    docs = [
        listener("https", gw.ports.https, protocol="HTTPS"),
        tls_secret("web-cert", ca.issue("web.example.com")), tls_secret("tcp-cert", ca.issue("tcp.example.com")),
        tls_secret("steal-cert", ca.issue("steal.example.com")),
        host("web", "web.example.com", action="Route", tlsSecret={"name": "web-cert"}),
        host("tcp", "tcp.example.com", action="Route", tlsSecret={"name": "tcp-cert"}),
        host("steal", "steal.example.com", action="Route", tlsSecret={"name": "steal-cert"}),
        mapping("web", "/app/", up["web"].address),
        _tcp("plain", ports["plain"], up["plain"].address),
        _tcp("seventy", ports["weighted"], up["seventy"].address, weight=70),
        _tcp("thirty", ports["weighted"], up["thirty"].address, weight=30),
        _tcp("terminated", gw.ports.https, up["terminated"].address, host="tcp.example.com"),
        _tcp("steal", gw.ports.https, up["terminated"].address, host="steal.example.com"),
        _tcp("passthrough", ports["passthrough"], up["passthrough"].address, host="pass.example.com"),
        _tcp("originate", ports["originate"], f"https://{up['passthrough'].address}"),
    ]
    gw.write("all.yaml", to_yaml(*docs))
    gw.start()
    wait_until(lambda: raw_http(ports["plain"]), timeout=15, what="TCP listener up")
    return {"gw": gw, "ports": ports, "up": up, "client": client_context(ca)}


def test_plain_tcp_mapping_forwards_bytes_untouched(setup: dict[str, Any]) -> None:
    seen = raw_http(setup["ports"]["plain"], "/any/path", host_header="whatever.test")
    assert seen["server"] == "plain" and seen["path"] == "/any/path" and seen["host"] == "whatever.test"
    assert "x-request-id" not in seen["headers"] and "x-forwarded-proto" not in seen["headers"]


def test_tcp_weights_70_30_split_connections_about_70_30(setup: dict[str, Any]) -> None:
    split = Counter(raw_http(setup["ports"]["weighted"])["server"] for _ in range(200))
    assert sum(split.values()) == 200
    assert 110 <= split["seventy"] <= 170, split


def test_tcp_mapping_with_host_terminates_tls_for_its_sni_next_to_https_hosts(setup: dict[str, Any]) -> None:
    status, _, body, peer = https_request(setup["gw"].ports.https, "/raw", sni="tcp.example.com",
                                          context=setup["client"])
    seen = json.loads(body)
    assert status == 200 and common_name(peer) == "tcp.example.com"
    assert seen["server"] == "terminated" and seen["tls"] is False and "x-request-id" not in seen["headers"]


def test_https_host_on_the_same_port_still_serves_http_routes(setup: dict[str, Any]) -> None:
    status, _, body, peer = https_request(setup["gw"].ports.https, "/app/x", sni="web.example.com",
                                          context=setup["client"])
    assert status == 200 and json.loads(body)["server"] == "web" and common_name(peer) == "web.example.com"


def test_tcp_mapping_wins_over_an_https_host_with_the_same_sni(setup: dict[str, Any]) -> None:
    status, _, body, _ = https_request(setup["gw"].ports.https, "/app/x", sni="steal.example.com",
                                       context=setup["client"])
    seen = json.loads(body)
    assert status == 200 and seen["server"] == "terminated" and seen["path"] == "/app/x"


def test_tcp_mapping_without_a_certificate_passes_tls_through_by_sni(setup: dict[str, Any]) -> None:
    status, _, body, peer = https_request(setup["ports"]["passthrough"], "/secret", sni="pass.example.com",
                                          context=setup["client"])
    seen = json.loads(body)
    assert status == 200 and seen["server"] == "passthrough" and seen["tls"] is True
    assert common_name(peer) == "pass.example.com"


def test_tcp_mapping_to_an_https_service_originates_tls(setup: dict[str, Any]) -> None:
    seen = raw_http(setup["ports"]["originate"], "/o")
    assert seen["server"] == "passthrough" and seen["tls"] is True


def test_diag_lists_tcp_mappings_with_their_tls_mode(setup: dict[str, Any]) -> None:
    rows = {row["name"]: row for row in setup["gw"].diag()["tcp_mappings"]}
    assert rows["default/terminated"]["tls"] == "terminate"
    assert rows["default/passthrough"]["tls"] == "passthrough"
    assert rows["default/plain"]["tls"] is None and rows["default/plain"]["port"] == setup["ports"]["plain"]
