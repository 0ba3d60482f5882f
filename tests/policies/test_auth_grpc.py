"""A gRPC AuthService (protocol v3, over TLS) through real Envoy to a real ``envoy.service.auth.v3`` server
(SPEC §8 behaviour 33): allow, deny, context extensions, and the 500 a misconfigured AuthService causes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.builders import host, listener, mapping, to_yaml
from tests.policies.conftest import apply, errors_for, service, trusting_context
from tests.support.auth_servers import GrpcAuthServer
from tests.support.gateway import Gateway
from tests.support.tls import CertificateAuthority
from tests.support.upstreams import EchoServer

pytestmark = pytest.mark.envoy


def _auth(address: str, **spec: Any) -> dict[str, Any]:
    return service("AuthService", "grpc-auth", {"auth_service": address, "proto": "grpc", "timeout_ms": 3000,
                                                "tls": "auth-tls", **spec})


@pytest.fixture(scope="module")
def servers(upstreams: Callable[..., EchoServer], ca: CertificateAuthority) -> Iterator[dict[str, Any]]:
    issued = ca.issue("auth.example.com")
    found: dict[str, Any] = {"app": upstreams("app"),
                             "auth": GrpcAuthServer("grpc-auth", tls=(issued.cert_pem, issued.key_pem)).start()}
    yield found
    found["auth"].stop()


@pytest.fixture(scope="module")
def gw(gateway_for_module: Callable[..., Gateway], servers: dict[str, Any], ca: CertificateAuthority) -> Gateway:
    gateway = gateway_for_module()
    app = servers["app"].address
    gateway.write("routes.yaml", to_yaml(
        listener("http", gateway.ports.http), host("any"),
        *trusting_context("auth-tls", ca, "auth.example.com"),
        mapping("app", "/app/", app),
        mapping("context", "/context/", app,
                auth_context_extensions={"first": "first element", "second": "second element"}),
    ))
    gateway.write("auth.yaml", to_yaml(_auth(servers["auth"].address, protocol_version="v3")))
    gateway.start()
    gateway.wait_for("/app/", 200)
    return gateway


def test_allowed_request_carries_the_auth_services_headers_upstream(gw: Gateway, servers: dict[str, Any]) -> None:
    marker = uuid.uuid4().hex
    response = gw.get("/app/x", headers={"x-marker": marker, "baz": "baz", "x-auth-add": "x-auth-user=bob"})
    assert response.status == 200
    assert response.json()["headers"]["x-auth-user"] == "bob"
    assert response.json()["headers"]["x-auth-server"] == "grpc-auth"
    call = next(c for c in servers["auth"].calls if c.headers.get("x-marker") == marker)
    assert call.path == "/app/x" and call.method == "GET"
    assert call.headers["baz"] == "baz", "a gRPC auth service sees every request header"
    assert call.context_extensions == {}


def test_context_extensions_reach_the_auth_service(gw: Gateway, servers: dict[str, Any]) -> None:
    marker = uuid.uuid4().hex
    response = gw.get("/context/", headers={"x-marker": marker})
    assert response.status == 200
    expected = {"first": "first element", "second": "second element"}
    assert json.loads(response.json()["headers"]["x-auth-context"]) == expected
    call = next(c for c in servers["auth"].calls if c.headers.get("x-marker") == marker)
    assert call.context_extensions == expected


def test_denied_request_gets_the_auth_services_status_body_and_headers(gw: Gateway, servers: dict[str, Any]) -> None:
    before = servers["app"].count()
    response = gw.get("/app/", headers={"x-auth-status": "401", "x-auth-add": "www-authenticate=Bearer"})
    assert response.status == 401
    assert response.json() == {"denied_by": "grpc-auth", "status": 401}
    assert response.headers["www-authenticate"] == "Bearer"
    assert servers["app"].count() == before


def test_a_grpc_auth_service_without_protocol_v3_makes_requests_fail_with_500(gw: Gateway,
                                                                             servers: dict[str, Any]) -> None:
    try:
        apply(gw, "auth.yaml", _auth(servers["auth"].address), until=lambda: gw.get("/app/").status == 500,
              what="500 from the misconfigured AuthService")
        answer = gw.get("/app/").json()
        assert answer["status_code"] == 500 and answer["request_id"]
        assert "AuthService" in answer["message"] and "auth.yaml" in answer["message"]
        assert gw.get("/ambassador/v0/check_ready").status == 200, "the probes still answer"
        assert any('protocol_version must be "v3"' in m for m in errors_for(gw, "grpc-auth"))
    finally:
        apply(gw, "auth.yaml", _auth(servers["auth"].address, protocol_version="v3"),
              until=lambda: gw.get("/app/").status == 200, what="the AuthService working again")
    assert errors_for(gw, "grpc-auth") == []
