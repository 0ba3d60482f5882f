"""Active health checks through real Envoy (SPEC §8 behaviour 40): two real upstreams are the endpoints of one Service
under an endpoint resolver; the one that answers 503 on the health path is ejected, so every request reaches the
healthy one. The same endpoints without health checks still get the failing upstream's answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import host, listener, mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.processes import wait_until
from tests.support.upstreams import EchoServer

pytestmark = pytest.mark.envoy

_CHECK = {"interval": "200ms", "timeout": "150ms", "unhealthy_threshold": 1, "healthy_threshold": 1,
          "health_check": {"http": {"path": "/healthz"}}}


def _service(healthy: EchoServer, failing: EchoServer) -> list[dict[str, Any]]:
    """Service ``pool`` whose endpoints are both upstreams (one Endpoints subset each: their ports differ)."""
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pool"},
               "spec": {"ports": [{"name": "http", "port": 80}]}}
    subsets = [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": server.port}]}
               for server in (healthy, failing)]
    return [service, {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "pool"}, "subsets": subsets}]


@pytest.fixture(scope="module")
def pool(upstreams: Callable[..., EchoServer]) -> dict[str, EchoServer]:
    return {"healthy": upstreams("healthy"), "failing": upstreams("failing", status=503)}


@pytest.fixture(scope="module")
def gw(gateway_for_module: Callable[..., Gateway], pool: dict[str, EchoServer]) -> Gateway:
    gateway = gateway_for_module()
    gateway.write("all.yaml", to_yaml(
        listener("http", gateway.ports.http), host("any"),
        mapping("checked", "/checked/", "pool:80", resolver="endpoint", health_checks=[_CHECK]),
        mapping("unchecked", "/unchecked/", "pool:80", resolver="endpoint"),
        *_service(pool["healthy"], pool["failing"]),
    ))
    gateway.start()
    gateway.wait_for("/checked/", 200, host="any.example.com")
    return gateway


def _failing_is_ejected(gw: Gateway, failing: EchoServer) -> bool:
    clusters = request(gw.ports.admin, "/clusters").text
    return f"127.0.0.1:{failing.port}::health_flags::/failed_active_hc" in clusters


def test_failing_endpoint_is_ejected_and_every_request_reaches_the_healthy_one(
        gw: Gateway, pool: dict[str, EchoServer]) -> None:
    wait_until(lambda: pool["failing"].count("/healthz") > 0, timeout=10, what="a health check of the failing one")
    wait_until(lambda: _failing_is_ejected(gw, pool["failing"]), timeout=10, what="the failing endpoint ejected")
    before = pool["failing"].count("/checked/")
    answers = [gw.get("/checked/", host="any.example.com") for _ in range(100)]
    assert Counter((r.status, r.headers.get("x-upstream")) for r in answers) == Counter({(200, "healthy"): 100})
    assert pool["failing"].count("/checked/") == before
    assert pool["healthy"].count("/healthz") > 0


def test_without_health_checks_the_failing_endpoint_still_gets_requests(gw: Gateway) -> None:
    statuses = Counter(gw.get("/unchecked/", host="any.example.com").status for _ in range(40))
    assert statuses[503] > 0 and statuses[200] > 0, statuses
