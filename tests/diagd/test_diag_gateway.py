"""The diagnostics of a real gateway: real Envoy, ambex, watt and diagd under supervisord, real upstreams.

Checks what only the real thing shows: Envoy's statistics in /metrics, Envoy's view of cluster health, memory of
every process found and logged, profiling of the live diagd, and that "explain a request" predicts what Envoy
actually does with the same request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from prometheus_client.parser import text_string_to_metric_families

from diagd.explain_request import parse_header_lines
from tests.diagd.sample import sample_yaml
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.processes import wait_until
from tests.support.upstreams import EchoServer

pytestmark = [pytest.mark.envoy, pytest.mark.slow]


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[EchoServer, EchoServer]]:
    main, other = EchoServer("main").start(), EchoServer("other").start()
    yield main, other
    main.stop()
    other.stop()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, upstreams: tuple[EchoServer, EchoServer]) -> Iterator[Gateway]:
    gw = Gateway(tmp_path_factory.mktemp("diaggw"), env={"AMBASSADOR_MEMORY_LOG_INTERVAL": "1"})
    gw.write("gateway.yaml", sample_yaml(upstream=upstreams[0].address, other=upstreams[1].address,
                                         ports=(gw.ports.http, gw.ports.https)))
    gw.start(ready_timeout=120)
    gw.wait_for("/backend/", 200, timeout=30)
    yield gw
    gw.stop()


def _diag(gw: Gateway, path: str) -> Any:
    response = request(gw.ports.diag, path, timeout=30)
    assert response.status == 200, (path, response.text[:500])
    return response.json() if "json=true" in path or path.startswith(("/debug", "/_internal")) else response.text


def _families(gw: Gateway) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(_diag(gw, "/metrics"))}


def _rss(families: dict[str, Any]) -> dict[str, float]:
    return {s.labels["process"]: s.value for s in families["ambassador_process_resident_memory_bytes"].samples}


def test_metrics_carry_ours_and_envoys(gateway: Gateway) -> None:
    # Memory is sampled every second here; the first samples can predate Envoy's start, or catch it within
    # milliseconds of its exec, before it has mapped its binary.
    def with_envoy() -> dict[str, Any] | None:
        families = _families(gateway)
        return families if _rss(families).get("envoy", 0) > 1_000_000 else None

    families = wait_until(with_envoy, timeout=30, what="Envoy in the memory metrics")
    assert families["ambassador_envoy_stats_up"].samples[0].value == 1
    assert "envoy_server_live" in families or "envoy_server_state" in families
    assert any(name.startswith("envoy_cluster_upstream_rq") for name in families)
    rss = _rss(families)
    assert {"diagd", "ambex", "watt", "envoy"} <= set(rss) and all(v > 1_000_000 for v in rss.values())
    reconfigs = families["ambassador_reconfig"].samples
    assert any(s.name == "ambassador_reconfig_total" and s.value >= 1 for s in reconfigs)


def test_cluster_health_comes_from_envoy(gateway: Gateway, upstreams: tuple[EchoServer, EchoServer]) -> None:
    clusters = _diag(gateway, "/ambassador/v0/diag/clusters?json=true")
    assert clusters["envoy_answered"] is True
    main = next(c for c in clusters["clusters"] if c["service"] == upstreams[0].address)
    assert main["health"]["hcolor"] == "green"
    assert [e["address"] for e in main["health"]["endpoints"]] == [upstreams[0].address]
    overview = _diag(gateway, "/ambassador/v0/diag/?json=true")
    assert overview["envoy_status"]["alive"] is True and overview["envoy_status"]["ready"] is True
    assert overview["envoy_status"]["acked_seq"] == overview["system"]["config_seq"]


def test_memory_of_every_process_is_watched_and_logged(gateway: Gateway) -> None:
    wait_until(lambda: "memory: " in gateway.log_text() and " envoy " in gateway.log_text(), timeout=30,
               what="a memory log line")
    line = next(line for line in gateway.log_text().splitlines() if "memory: " in line and " envoy " in line)
    for name in ("ambex", "diagd", "envoy", "watt", "supervisord"):
        assert f"{name} " in line, line
    def started_envoy() -> dict[str, Any] | None:
        debug = _diag(gateway, "/debug")
        return debug if debug["values"]["memory_mib"].get("envoy", 0) > 1 else None

    debug = wait_until(started_envoy, timeout=30, what="a memory sample of a started Envoy")
    assert {"ambex", "diagd", "watt"} <= set(debug["values"]["memory_mib"])
    history = _diag(gateway, "/ambassador/v0/diag/history?json=true")
    assert len(history["memory"]) >= 1 and "envoy" in history["memory"][-1]["processes"]


def test_profiling_the_live_diagd(gateway: Gateway) -> None:
    stacks = _diag(gateway, "/_internal/v0/debug/stacks")
    names = {t["name"] for t in stacks["threads"]}
    assert {"reconfig", "memory-watch"} <= names
    profile = _diag(gateway, "/_internal/v0/debug/profile?seconds=0.5")
    assert profile["seconds"] == 0.5 and profile["samples"] >= 0


CASES = [
    ("GET", "example.com", "/backend/a", ""),
    ("GET", "api.example.com", "/users/42?x=1", ""),
    ("GET", "www.example.com", "/users/42", ""),
    ("GET", "example.com", "/versioned/z", "x-version: 2"),
    ("GET", "example.com", "/versioned/z", "x-version: 3"),
    ("GET", "example.com", "/items/17", ""),
    ("GET", "example.com", "/items/abc", ""),
    ("GET", "example.com", "/x/../backend/b", ""),
    ("POST", "example.com", "/nothing/here", ""),
]


@pytest.mark.parametrize(("method", "host", "path", "headers"), CASES)
def test_explain_predicts_what_envoy_does(gateway: Gateway, upstreams: tuple[EchoServer, EchoServer], method: str,
                                          host: str, path: str, headers: str) -> None:
    query = {"json": "true", "method": method, "host": host, "path": path, "headers": headers}
    explanation = _diag(gateway, "/ambassador/v0/diag/explain?" + urlencode(query))["explanation"]
    sent = dict(parse_header_lines(headers))
    response = request(gateway.ports.http, path, method=method, host=host, headers=sent)
    if not explanation["matched"]:
        assert response.status == 404, explanation["verdict"]
        return
    (outcome,) = explanation["outcomes"]
    assert response.status == 200, (explanation["verdict"], response.text[:300])
    seen = response.json()
    by_name = {u.address: u.name for u in upstreams}
    assert seen["server"] == by_name[outcome["clusters"][0]["endpoints"][0]]
    assert seen["path"] == outcome["path"]
    assert seen["host"] == outcome["host_header"]
    predicted = {h["name"]: h["value"] for h in outcome["headers"]}
    assert seen["headers"]["x-envoy-expected-rq-timeout-ms"] == predicted["x-envoy-expected-rq-timeout-ms"]
    assert seen["headers"]["x-forwarded-proto"] == predicted["x-forwarded-proto"]
    assert seen["headers"].get("x-envoy-original-path") == predicted.get("x-envoy-original-path")


def test_explain_canary_split_matches_envoys_clusters(gateway: Gateway,
                                                      upstreams: tuple[EchoServer, EchoServer]) -> None:
    explanation = _diag(gateway, "/ambassador/v0/diag/explain?json=true&host=example.com&path=/canary/p")["explanation"]
    predicted = {o["clusters"][0]["endpoints"][0]: o["share"] for o in explanation["outcomes"]}
    assert predicted == {upstreams[1].address: 20, upstreams[0].address: 80}
    seen = {request(gateway.ports.http, "/canary/p", host="example.com").json()["server"] for _ in range(60)}
    assert seen == {"main", "other"}


def _envoy_log_levels(gw: Gateway) -> set[str]:
    """Every Envoy logger's level, from the listing Envoy's admin answers a bare POST /logging with."""
    text = request(gw.ports.admin, "/logging", method="POST").text
    return {line.split(":")[1].strip() for line in text.splitlines()[1:] if ":" in line}


def test_envoy_log_level_switches_through_diagd(gateway: Gateway) -> None:
    try:
        answer = request(gateway.ports.diag, "/_internal/v0/loglevel?envoy=debug", method="POST").json()
        assert answer["envoy"] == "debug" and _envoy_log_levels(gateway) == {"debug"}
        bad = request(gateway.ports.diag, "/_internal/v0/loglevel?envoy=loud", method="POST")
        assert bad.status == 400 and _envoy_log_levels(gateway) == {"debug"}
    finally:
        request(gateway.ports.diag, "/_internal/v0/loglevel?envoy=warning", method="POST")
    assert _envoy_log_levels(gateway) == {"warning"}
