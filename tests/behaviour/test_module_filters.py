"""The Module's HTTP filters through real Envoy to real upstreams (SPEC §8 behaviours 43 and 44): gzip, Lua, buffer,
gRPC-Web, the gRPC HTTP/1.1 bridge, gRPC statistics, and ip_allow / ip_deny by the client address taken from
X-Forwarded-For (``use_remote_address: false``), so no test needs a non-loopback peer."""

from __future__ import annotations

import gzip
import json
import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.builders import host, listener, mapping, module, to_yaml
from tests.support.gateway import Gateway
from tests.support.grpc_echo import GrpcEcho, call
from tests.support.http import request
from tests.support.processes import wait_until
from tests.support.upstreams import EchoServer

pytestmark = pytest.mark.envoy

LUA = """
function envoy_on_response(response_handle)
  response_handle:headers():add("x-lua", "seen")
end
"""


@pytest.fixture(scope="module")
def servers(upstreams: Callable[..., EchoServer]) -> Iterator[dict[str, Any]]:
    up: dict[str, Any] = {"main": upstreams("main"), "grpc": GrpcEcho().start()}
    yield up
    up["grpc"].stop()


def _gateway(make: Callable[..., Gateway], servers: dict[str, Any], config: dict[str, Any]) -> Gateway:
    gw = make()
    gw.write("all.yaml", to_yaml(
        listener("http", gw.ports.http), host("any"), module({"use_remote_address": False, **config}),
        mapping("main", "/main/", servers["main"].address),
        mapping("grpc", "/echo.Echo/", servers["grpc"].address, grpc=True, rewrite="")))
    gw.start()
    return gw


@pytest.fixture(scope="module")
def gw(gateway_for_module: Callable[..., Gateway], servers: dict[str, Any]) -> Gateway:
    gateway = _gateway(gateway_for_module, servers, {
        "gzip": {"min_content_length": 32, "content_type": ["application/json"]},
        "lua_scripts": LUA, "buffer": {"max_request_bytes": 1024},
        "enable_grpc_web": True, "enable_grpc_http11_bridge": True,
        "grpc_stats": {"upstream_stats": True, "services": [{"name": "echo.Echo", "method_names": ["Echo"]}]},
        "ip_deny": [{"remote": "203.0.113.0/24"}]})
    gateway.wait_for("/main/", 200, host="any.example.com")
    return gateway


@pytest.fixture(scope="module")
def allow_gw(gateway_for_module: Callable[..., Gateway], servers: dict[str, Any]) -> Gateway:
    gateway = _gateway(gateway_for_module, servers, {"ip_allow": [{"remote": "198.51.100.0/24"}]})
    wait_until(lambda: _get(gateway, "/main/", {"x-forwarded-for": "198.51.100.9"}).status == 200, timeout=10,
               what="the ip_allow gateway serving")
    return gateway


def _get(gw: Gateway, path: str, headers: dict[str, str] | None = None) -> Any:
    return request(gw.ports.http, path, host="any.example.com", headers=headers)


def _grpc_frame(payload: bytes, flags: int = 0) -> bytes:
    return struct.pack(">BI", flags, len(payload)) + payload


def test_gzip_compresses_a_json_response_for_a_client_that_accepts_it(gw: Gateway) -> None:
    plain = _get(gw, "/main/")
    assert "content-encoding" not in plain.headers
    zipped = _get(gw, "/main/", {"accept-encoding": "gzip"})
    assert zipped.status == 200 and zipped.headers.get("content-encoding") == "gzip"
    assert json.loads(gzip.decompress(zipped.body))["path"] == "/"


def test_lua_script_adds_a_response_header(gw: Gateway) -> None:
    response = _get(gw, "/main/")
    assert response.status == 200 and response.headers.get("x-lua") == "seen"


def test_request_body_over_the_buffer_limit_gets_413(gw: Gateway) -> None:
    small = request(gw.ports.http, "/main/", method="POST", host="any.example.com", body=b"x" * 512)
    large = request(gw.ports.http, "/main/", method="POST", host="any.example.com", body=b"x" * 4096)
    assert (small.status, large.status) == (200, 413)


def test_ip_deny_refuses_a_client_in_the_range_with_403(gw: Gateway) -> None:
    assert _get(gw, "/main/", {"x-forwarded-for": "203.0.113.7"}).status == 403
    assert _get(gw, "/main/", {"x-forwarded-for": "192.0.2.7"}).status == 200


def test_ip_allow_serves_only_clients_in_the_range(allow_gw: Gateway) -> None:
    assert _get(allow_gw, "/main/", {"x-forwarded-for": "198.51.100.9"}).status == 200
    assert _get(allow_gw, "/main/", {"x-forwarded-for": "192.0.2.7"}).status == 403
    assert _get(allow_gw, "/main/").status == 403  # the loopback peer itself is outside the range


def test_grpc_web_call_gets_the_echo_and_its_status_in_the_body(gw: Gateway) -> None:
    response = request(gw.ports.http, "/echo.Echo/Echo", method="POST", host="any.example.com",
                       headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1"},
                       body=_grpc_frame(b"hello web"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/grpc-web")
    assert response.body.startswith(_grpc_frame(b"hello web"))
    trailer = response.body[len(_grpc_frame(b"hello web")):]
    assert trailer[0] == 0x80 and b"grpc-status:0" in trailer.replace(b" ", b"")


def test_grpc_http1_bridge_turns_trailers_into_headers(gw: Gateway) -> None:
    response = request(gw.ports.http, "/echo.Echo/Echo", method="POST", host="any.example.com",
                       headers={"content-type": "application/grpc", "te": "trailers"},
                       body=_grpc_frame(b"hello bridge"))
    assert response.status == 200 and response.headers.get("grpc-status") == "0"
    assert response.body == _grpc_frame(b"hello bridge")


def test_grpc_stats_count_calls_per_allowed_method(gw: Gateway) -> None:
    assert call(gw.ports.http, "Echo", b"counted", authority="any.example.com") == b"counted"
    stats = request(gw.ports.admin, "/stats?filter=grpc").body.decode()
    assert ".grpc.echo.Echo.Echo.success:" in stats and ".grpc.echo.Echo.Echo.request_message_count:" in stats
