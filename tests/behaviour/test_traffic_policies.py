"""Canary weights, shadows, retries, timeouts, circuit breakers, CORS, load balancing, redirects, WebSocket, gRPC and
TLS origination through real Envoy to real upstreams (SPEC §8 behaviours 9–12, 36–39, 41, 43)."""

from __future__ import annotations

import concurrent.futures
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.builders import host, listener, mapping, module, resource, to_yaml
from tests.support.gateway import Gateway
from tests.support.grpc_echo import GrpcEcho, call
from tests.support.processes import wait_until
from tests.support.tls import CertificateAuthority, tls_secret
from tests.support.upstreams import EchoServer
from tests.support.ws import WebSocketEcho

pytestmark = pytest.mark.envoy

CANARY_WEIGHTS = (0, 10, 50, 100)


def _canaries(main: str, canary: str) -> list[dict[str, Any]]:
    docs = []
    for weight in CANARY_WEIGHTS:
        docs.append(mapping(f"main-{weight}", f"/canary-{weight}/", main, host_rewrite="main.example.com"))
        docs.append(mapping(f"canary-{weight}", f"/canary-{weight}/", canary, weight=weight,
                            host_rewrite="canary.example.com"))
    return docs


def _config(gw: Gateway, up: dict[str, Any], ca: CertificateAuthority) -> str:
    other_ca = CertificateAuthority(common_name="someone else")
    docs = [
        listener("http", gw.ports.http), host("any"),
        module({"cors": {"origins": ["http://module.example"]}}),
        *_canaries(up["main"].address, up["canary"].address),
        mapping("mirrored", "/mirror-all/", up["main"].address),
        mapping("mirror", "/mirror-all/", up["shadow"].address, shadow=True),
        mapping("mirrored-10", "/mirror-ten/", up["main"].address),
        mapping("mirror-10", "/mirror-ten/", up["shadow10"].address, shadow=True, weight=10),
        mapping("retry", "/retry/", up["retry"].address, retry_policy={"retry_on": "5xx", "num_retries": 4}),
        mapping("timeout", "/slow/", up["main"].address, timeout_ms=500),
        mapping("breaker", "/breaker/", up["breaker"].address,
                circuit_breakers=[{"max_connections": 1, "max_pending_requests": 1}]),
        mapping("cors", "/cors/", up["main"].address, cors={"origins": ["http://allowed.example"]}),
        mapping("cors-module", "/cors-module/", up["main"].address),
        mapping("cors-any", "/cors-any/", up["main"].address, cors={"origins": ["*"]}),
        mapping("lb-least", "/lb-least/", up["main"].address, load_balancer={"policy": "least_request"}),
        mapping("lb-ring", "/lb-ring/", up["main"].address,
                load_balancer={"policy": "ring_hash", "header": "x-user"}),
        mapping("lb-bad", "/lb-bad/", up["main"].address, load_balancer={"policy": "ring_hash"}),
        mapping("redirect", "/redirect-host/", "foobar.com", host_redirect=True),
        mapping("redirect-path", "/redirect-path/", "foobar.com", host_redirect=True, path_redirect="/redirect/",
                redirect_response_code=302),
        mapping("redirect-prefix", "/redirect-prefix/", "foobar.com", host_redirect=True,
                prefix_redirect="/prefix/", redirect_response_code=307),
        mapping("redirect-regex", "/redirect-regex/", "foobar.com", host_redirect=True,
                regex_redirect={"pattern": "^/redirect-regex/(.*)$", "substitution": "/moved/\\1"},
                redirect_response_code=308),
        mapping("ws", "/ws/", up["ws"].address, use_websocket=True),
        mapping("no-ws", "/no-ws/", up["ws"].address),
        mapping("grpc", "/echo.Echo/", up["grpc"].address, grpc=True, rewrite=""),
        mapping("tls-origin", "/tls-origin/", f"https://{up['tls'].address}"),
        tls_secret("upstream-ca", ca_pem=ca.cert_pem), tls_secret("wrong-ca", ca_pem=other_ca.cert_pem),
        resource("TLSContext", "trusting", {"ca_secret": "upstream-ca", "sni": "upstream.example.com"}),
        resource("TLSContext", "distrusting", {"ca_secret": "wrong-ca"}),
        mapping("tls-verified", "/tls-verified/", up["tls"].address, tls="trusting"),
        mapping("tls-wrong-ca", "/tls-wrong-ca/", up["tls"].address, tls="distrusting"),
    ]
    return to_yaml(*docs)


@pytest.fixture(scope="module")
def servers(upstreams: Callable[..., EchoServer], ca: CertificateAuthority,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    cert, key = ca.issue("upstream.example.com", "127.0.0.1").write(tmp_path_factory.mktemp("upstream-tls"), "up")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    up: dict[str, Any] = {n: upstreams(n) for n in ("main", "canary", "shadow", "shadow10", "retry", "breaker")}
    up["tls"] = upstreams("tls", ssl_context=server_tls)
    up["ws"] = WebSocketEcho().start()
    up["grpc"] = GrpcEcho().start()
    yield up
    up["ws"].stop()
    up["grpc"].stop()


@pytest.fixture(scope="module")
def gw(gateway_for_module: Callable[..., Gateway], servers: dict[str, Any], ca: CertificateAuthority) -> Gateway:
    gateway = gateway_for_module()
    gateway.write("all.yaml", _config(gateway, servers, ca))
    gateway.start()
    gateway.wait_for("/canary-0/", 200, host="any.example.com")
    return gateway


def get(gw: Gateway, path: str, **kwargs: Any) -> Any:
    return gw.get(path, host="any.example.com", **kwargs)


def _split(gw: Gateway, weight: int, count: int) -> Counter[str]:
    return Counter(get(gw, f"/canary-{weight}/").json()["server"] for _ in range(count))


def test_canary_weight_0_sends_everything_to_main(gw: Gateway) -> None:
    assert _split(gw, 0, 100) == Counter(main=100)


def test_canary_weight_100_sends_everything_to_canary(gw: Gateway) -> None:
    assert _split(gw, 100, 100) == Counter(canary=100)


def test_canary_weight_10_sends_about_a_tenth_to_canary(gw: Gateway) -> None:
    split = _split(gw, 10, 300)
    assert sum(split.values()) == 300
    assert 10 <= split["canary"] <= 60, split


def test_canary_weight_50_sends_about_half_to_canary(gw: Gateway) -> None:
    split = _split(gw, 50, 300)
    assert sum(split.values()) == 300
    assert 105 <= split["canary"] <= 195, split


def test_canary_members_keep_their_own_host_rewrite(gw: Gateway) -> None:
    hosts = {(r["server"], r["host"]) for r in (get(gw, "/canary-50/").json() for _ in range(40))}
    assert hosts == {("main", "main.example.com"), ("canary", "canary.example.com")}


def test_shadow_gets_a_copy_of_every_request_and_the_client_sees_only_main(gw: Gateway,
                                                                        servers: dict[str, Any]) -> None:
    before = servers["shadow"].count("/")
    answers = {get(gw, "/mirror-all/").json()["server"] for _ in range(20)}
    assert answers == {"main"}
    wait_until(lambda: servers["shadow"].count("/") - before >= 20, timeout=10, what="20 mirrored requests")


def test_shadow_weight_10_gets_about_a_tenth(gw: Gateway, servers: dict[str, Any]) -> None:
    before = servers["shadow10"].count("/")
    for _ in range(300):
        assert get(gw, "/mirror-ten/").json()["server"] == "main"
    time.sleep(0.5)  # mirrored requests are sent asynchronously
    mirrored = servers["shadow10"].count("/") - before
    assert 8 <= mirrored <= 70, mirrored


def test_retry_policy_retries_a_503_four_times(gw: Gateway, servers: dict[str, Any]) -> None:
    before = servers["retry"].count("/")
    assert get(gw, "/retry/", headers={"x-echo-status": "503"}).status == 503
    wait_until(lambda: servers["retry"].count("/") - before == 5, timeout=10, what="1 try + 4 retries")


def test_request_slower_than_timeout_ms_gets_504_at_the_timeout(gw: Gateway) -> None:
    started = time.monotonic()
    resp = get(gw, "/slow/", headers={"x-echo-delay-ms": "3000"})
    assert resp.status == 504
    assert time.monotonic() - started < 2.5


def test_circuit_breaker_answers_most_parallel_requests_with_503_overloaded(gw: Gateway) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: get(gw, "/breaker/", headers={"x-echo-delay-ms": "700"}), range(10)))
    overloaded = [r for r in results if r.status == 503 and r.headers.get("x-envoy-overloaded") == "true"]
    assert len(overloaded) >= 5, [r.status for r in results]
    assert any(r.status == 200 for r in results)


def test_cors_echoes_an_allowed_origin_and_not_others(gw: Gateway) -> None:
    allowed = get(gw, "/cors/", headers={"origin": "http://allowed.example"})
    assert allowed.headers.get("access-control-allow-origin") == "http://allowed.example"
    assert "access-control-allow-origin" not in get(gw, "/cors/", headers={"origin": "http://evil.example"}).headers
    assert "access-control-allow-origin" not in get(gw, "/cors/").headers


def test_cors_mapping_overrides_module_cors_and_others_inherit_it(gw: Gateway) -> None:
    module_origin = {"origin": "http://module.example"}
    assert "access-control-allow-origin" not in get(gw, "/cors/", headers=module_origin).headers
    assert get(gw, "/cors-module/", headers=module_origin).headers.get(
        "access-control-allow-origin") == "http://module.example"


def test_cors_star_echoes_any_origin(gw: Gateway) -> None:
    resp = get(gw, "/cors-any/", headers={"origin": "http://anything.example"})
    assert resp.headers.get("access-control-allow-origin") == "http://anything.example"


def test_valid_load_balancer_policies_route_and_an_invalid_one_gets_404(gw: Gateway) -> None:
    assert get(gw, "/lb-least/").status == 200
    assert get(gw, "/lb-ring/", headers={"x-user": "u1"}).status == 200
    assert get(gw, "/lb-bad/").status == 404


def test_host_redirect_answers_301_to_the_service_keeping_path_and_query(gw: Gateway) -> None:
    resp = get(gw, "/redirect-host/some/path?q=1")
    assert resp.status == 301
    assert resp.headers["location"] == "http://foobar.com/redirect-host/some/path?q=1"


def test_path_redirect_with_302_replaces_the_path(gw: Gateway) -> None:
    resp = get(gw, "/redirect-path/x")
    assert resp.status == 302 and resp.headers["location"] == "http://foobar.com/redirect/"


def test_prefix_redirect_with_307_replaces_the_prefix(gw: Gateway) -> None:
    resp = get(gw, "/redirect-prefix/rest")
    assert resp.status == 307 and resp.headers["location"] == "http://foobar.com/prefix/rest"


def test_regex_redirect_with_308_rewrites_the_path_and_keeps_the_query(gw: Gateway) -> None:
    resp = get(gw, "/redirect-regex/thing?keep=yes")
    assert resp.status == 308 and resp.headers["location"] == "http://foobar.com/moved/thing?keep=yes"


def test_websocket_mapping_echoes_three_messages(gw: Gateway) -> None:
    with connect(f"ws://127.0.0.1:{gw.ports.http}/ws/", open_timeout=5, close_timeout=2) as ws:
        for message in ("one", "two", "three"):
            ws.send(message)
            assert ws.recv(timeout=5) == message


def test_websocket_upgrade_without_use_websocket_is_refused(gw: Gateway) -> None:
    with pytest.raises(InvalidStatus):
        with connect(f"ws://127.0.0.1:{gw.ports.http}/no-ws/", open_timeout=5, close_timeout=2):
            pass


def test_grpc_mapping_carries_a_grpc_call_to_the_upstream(gw: Gateway) -> None:
    answer = call(gw.ports.http, "Echo", b"hello", metadata=(("x-echo-prefix", "echo:"),))
    assert answer == b"echo:hello"


def test_grpc_status_from_the_upstream_reaches_the_client(gw: Gateway) -> None:
    with pytest.raises(grpc.RpcError) as info:
        call(gw.ports.http, "Fail", b"x")
    assert info.value.code() is grpc.StatusCode.NOT_FOUND


def test_https_service_makes_the_upstream_see_tls(gw: Gateway) -> None:
    resp = get(gw, "/tls-origin/")
    assert resp.status == 200 and resp.json()["tls"] is True


def test_tls_context_with_the_upstream_ca_verifies_and_routes(gw: Gateway) -> None:
    resp = get(gw, "/tls-verified/")
    assert resp.status == 200 and resp.json()["tls"] is True


def test_tls_context_with_a_different_ca_gets_503(gw: Gateway) -> None:
    assert get(gw, "/tls-wrong-ca/").status == 503
