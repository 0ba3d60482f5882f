"""A RateLimitService (protocol v3, over TLS) through real Envoy to a real ``envoy.service.ratelimit.v3`` server
(SPEC §8 behaviour 42): the descriptors the service receives are exactly the Mapping labels (Module defaults
first), over the limit is 429 with the service's headers, and failure_mode_deny decides what an outage does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.builders import host, listener, mapping, module, to_yaml
from tests.policies.conftest import apply, errors_for, service, trusting_context
from tests.support.gateway import Gateway
from tests.support.ports import free_port
from tests.support.ratelimit_server import RateLimitServer
from tests.support.tls import CertificateAuthority
from tests.support.upstreams import EchoServer

pytestmark = pytest.mark.envoy

DEFAULT = ("gateway", "policy-test")  # the Module's default label, first in every descriptor
LABELS = {"edge": [
    {"per_user": ["source_cluster", "destination_cluster", "remote_address", {"generic_key": {"value": "limited"}},
                  {"request_headers": {"key": "user", "header_name": "x-user", "omit_if_not_present": True}}]},
    {"per_plan": [{"request_headers": {"key": "plan", "header_name": "x-plan"}}]},
], "other-domain": [{"ignored": ["remote_address"]}]}


def _labelled(name: str, prefix: str, service_: str, labels: dict[str, Any]) -> dict[str, Any]:
    """A Mapping with rate-limit ``labels`` (the builder's ``labels`` are metadata labels)."""
    doc = mapping(name, prefix, service_)
    doc["spec"]["labels"] = labels
    return doc


def _rls(address: str, **spec: Any) -> dict[str, Any]:
    return service("RateLimitService", "rls", {"service": address, "timeout_ms": 2000, "tls": "rls-tls", **spec})


@pytest.fixture(scope="module")
def servers(upstreams: Callable[..., EchoServer], ca: CertificateAuthority) -> Iterator[dict[str, Any]]:
    issued = ca.issue("rls.example.com")
    rls = RateLimitServer("rls", limits={"burst": 2}, tls=(issued.cert_pem, issued.key_pem)).start()
    yield {"app": upstreams("app"), "rls": rls}
    rls.stop()


@pytest.fixture(scope="module")
def gw(gateway_for_module: Callable[..., Gateway], servers: dict[str, Any], ca: CertificateAuthority) -> Gateway:
    gateway = gateway_for_module()
    app = servers["app"].address
    gateway.write("routes.yaml", to_yaml(
        listener("http", gateway.ports.http), host("any"),
        module({"default_label_domain": "edge",
                "default_labels": {"edge": {"defaults": [{"generic_key": {"key": DEFAULT[0], "value": DEFAULT[1]}}]}}}),
        *trusting_context("rls-tls", ca, "rls.example.com"),
        _labelled("limited", "/limited/", app, LABELS),
        _labelled("burst", "/burst/", app, {"edge": [{"burst": [{"generic_key": {"value": "burst"}}]}]}),
        mapping("plain", "/plain/", app),
    ))
    gateway.write("rls.yaml", to_yaml(_rls(servers["rls"].address, protocol_version="v3")))
    gateway.start()
    gateway.wait_for("/plain/", 200)
    return gateway


def _descriptors_for(gw: Gateway, rls: RateLimitServer, path: str, headers: dict[str, str]) -> Any:
    before = len(rls.snapshot())
    assert gw.get(path, headers=headers).status == 200
    calls = rls.snapshot()[before:]
    assert len(calls) == 1 and calls[0].domain == "edge", calls
    return [list(d) for d in calls[0].descriptors]


def test_descriptors_are_exactly_the_labels_of_the_services_domain(gw: Gateway, servers: dict[str, Any]) -> None:
    cluster = next(name for name, c in gw.diag()["cluster_info"].items() if c["service"] == servers["app"].address)
    per_user = [DEFAULT, ("source_cluster", "default-default"), ("destination_cluster", cluster),
                ("remote_address", "127.0.0.1"), ("generic_key", "limited")]
    seen = _descriptors_for(gw, servers["rls"], "/limited/", {"x-user": "alice", "x-plan": "gold"})
    assert seen == [[*per_user, ("user", "alice")], [DEFAULT, ("plan", "gold")]]


def test_an_absent_header_drops_its_entry_or_its_whole_descriptor(gw: Gateway, servers: dict[str, Any]) -> None:
    seen = _descriptors_for(gw, servers["rls"], "/limited/", {})
    assert len(seen) == 1, "without x-plan (not omit_if_not_present) the per_plan descriptor is not sent"
    assert [key for key, _ in seen[0]] == ["gateway", "source_cluster", "destination_cluster", "remote_address",
                                           "generic_key"], "without x-user (omit_if_not_present) only its entry goes"


def test_a_mapping_without_labels_sends_the_module_defaults(gw: Gateway, servers: dict[str, Any]) -> None:
    assert _descriptors_for(gw, servers["rls"], "/plain/", {}) == [[DEFAULT]]


def test_over_the_limit_is_429_with_the_services_headers_and_body(gw: Gateway, servers: dict[str, Any]) -> None:
    statuses = [gw.get("/burst/") for _ in range(4)]
    assert [r.status for r in statuses[:2]] == [200, 200]
    over = statuses[3]
    assert over.status == 429
    assert over.headers["x-ratelimit-by"] == "rls" and over.headers["content-type"] == "application/json"
    assert over.json() == {"error": "over the limit"}


def test_an_unreachable_service_lets_requests_through_unless_failure_mode_deny(gw: Gateway,
                                                                               servers: dict[str, Any]) -> None:
    dead = f"127.0.0.1:{free_port()}"
    try:
        apply(gw, "rls.yaml", _rls(dead, protocol_version="v3", failure_mode_deny=True),
              until=lambda: gw.get("/plain/").status == 500, what="failure_mode_deny refusing requests")
        apply(gw, "rls.yaml", _rls(dead, protocol_version="v3"),
              until=lambda: gw.get("/plain/").status == 200, what="requests allowed while the service is down")
        assert gw.get("/plain/").json()["server"] == "app"
    finally:
        apply(gw, "rls.yaml", _rls(servers["rls"].address, protocol_version="v3"),
              until=lambda: gw.get("/burst/").status == 429, what="rate limiting again")


def test_without_protocol_v3_there_is_no_rate_limiting_and_diag_says_why(gw: Gateway,
                                                                         servers: dict[str, Any]) -> None:
    rls = servers["rls"]
    try:
        apply(gw, "rls.yaml", _rls(rls.address), until=lambda: gw.get("/burst/").status == 200,
              what="no rate limiting without protocol v3")
        before = len(rls.snapshot())
        assert [gw.get("/burst/").status for _ in range(3)] == [200, 200, 200]
        assert len(rls.snapshot()) == before
        assert any('protocol_version must be "v3"' in m for m in errors_for(gw, "rls"))
    finally:
        apply(gw, "rls.yaml", _rls(rls.address, protocol_version="v3"),
              until=lambda: gw.get("/burst/").status == 429, what="rate limiting again")
