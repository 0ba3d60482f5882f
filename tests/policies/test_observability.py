"""Tracing and access logs through real Envoy (SPEC §8 behaviour 46): spans reach a real Zipkin collector (and,
after switching drivers, a real OTLP collector) without restarting Envoy; access-log entries reach a real gRPC
access log service; the Module's JSON file log is JSON.

The gateway runs with ``AMBASSADOR_ID=tracer``, so spans carry the service name ``tracer-default``.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.builders import host, listener, mapping, module, resource, to_yaml
from tests.policies.conftest import service
from tests.support.collectors import AccessLogServer, LogEntry, OtlpCollector, ZipkinCollector
from tests.support.gateway import Gateway
from tests.support.ports import free_port
from tests.support.processes import wait_until
from tests.support.upstreams import EchoServer

pytestmark = pytest.mark.envoy

AMBASSADOR_ID = "tracer"
TAGS = {"custom_tags": [{"tag": "ltag", "literal": {"value": "lvalue"}},
                        {"tag": "etag", "environment": {"name": "NO_SUCH_VARIABLE_HERE", "default_value": "efallback"}},
                        {"tag": "htag", "request_header": {"name": "x-marker", "default_value": "hfallback"}}],
        "tag_headers": ["x-watsup"]}


def _ours(doc: dict[str, Any]) -> dict[str, Any]:
    doc["spec"]["ambassador_id"] = [AMBASSADOR_ID]
    return doc


@pytest.fixture(scope="module")
def servers(upstreams: Callable[..., EchoServer]) -> Iterator[dict[str, Any]]:
    found: dict[str, Any] = {"app": upstreams("app"), "tcp-app": upstreams("tcp-app"),
                             "zipkin": ZipkinCollector().start(), "otlp": OtlpCollector().start(),
                             "als": AccessLogServer().start()}
    yield found
    for name in ("zipkin", "otlp", "als"):
        found[name].stop()


@pytest.fixture(scope="module")
def tcp_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def gw(gateway_for_module: Callable[..., Gateway], servers: dict[str, Any], tcp_port: int) -> Gateway:
    gateway = gateway_for_module(env={"AMBASSADOR_ID": AMBASSADOR_ID})
    log_path = gateway.root / "access.json"
    gateway.write("routes.yaml", to_yaml(*map(_ours, [
        listener("http", gateway.ports.http), host("any"),
        module({"envoy_log_type": "json", "envoy_log_path": str(log_path),
                "envoy_log_format": {"method": "%REQ(:METHOD)%", "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
                                     "status": "%RESPONSE_CODE%",
                                     "marker": "%REQ(X-MARKER)%"}}),
        mapping("app", "/app/", servers["app"].address),
        resource("TCPMapping", "tcp", {"port": tcp_port, "service": servers["tcp-app"].address}),
        service("LogService", "als-http", {"service": servers["als"].address, "driver": "http",
                                           "protocol_version": "v3", "flush_interval_time": 1,
                                           "driver_config": {"additional_log_headers": [{"header_name": "x-marker"}]}}),
        service("LogService", "als-tcp", {"service": servers["als"].address, "driver": "tcp",
                                          "protocol_version": "v3", "flush_interval_time": 1}),
    ])))
    gateway.start()
    gateway.wait_for("/app/", 200)
    return gateway


def _tracing(gw: Gateway, spec: dict[str, Any]) -> None:
    gw.write("tracing.yaml", to_yaml(_ours(service("TracingService", "tracing", spec))))


def _traffic(gw: Gateway, count: int, marker: str) -> None:
    for _ in range(count):
        assert gw.get("/app/", headers={"x-marker": marker, "x-watsup": "nothin"}).status == 200


def _marked(spans: list[dict[str, Any]], marker: str) -> list[dict[str, Any]]:
    return [s for s in spans if s.get("tags", {}).get("htag") == marker]


def _both_spans(gw: Gateway, zipkin: ZipkinCollector, marker: str) -> list[dict[str, Any]] | None:
    """Send a few marked requests; the marked spans once both the ingress and the router span have arrived."""
    _traffic(gw, 5, marker)
    spans = _marked(zipkin.spans(), marker)
    return spans if len({s["name"] for s in spans}) >= 2 else None


def test_spans_reach_zipkin_with_the_service_name_tags_and_128_bit_ids(gw: Gateway, servers: dict[str, Any]) -> None:
    envoy_pid = gw.children()["envoy"].pid
    marker = uuid.uuid4().hex
    _tracing(gw, {"service": servers["zipkin"].address, "driver": "zipkin", **TAGS})
    spans = wait_until(lambda: _both_spans(gw, servers["zipkin"], marker), timeout=30, interval=0.5,
                       what="ingress and router spans for this test's requests at the Zipkin collector")
    assert gw.children()["envoy"].pid == envoy_pid, "adding a TracingService needs no Envoy restart"
    assert {s["localEndpoint"]["serviceName"] for s in spans} == {f"{AMBASSADOR_ID}-default"}
    stat_name = servers["app"].address.replace(".", "_").replace(":", "_")
    assert f"router {stat_name} egress" in {s["name"] for s in spans}
    assert all(len(s["traceId"]) == 32 for s in spans)
    tags = spans[0]["tags"]
    assert (tags["ltag"], tags["etag"], tags["x-watsup"]) == ("lvalue", "efallback", "nothin")


def test_sampling_traces_about_the_configured_share(gw: Gateway, servers: dict[str, Any]) -> None:
    _tracing(gw, {"service": servers["zipkin"].address, "driver": "zipkin", "sampling": {"random": 10},
                  "config": {"trace_id_128bit": False}, **TAGS})
    probe = uuid.uuid4().hex
    wait_until(lambda: (_traffic(gw, 1, probe), any(len(s["traceId"]) == 16 for s in _marked(
        servers["zipkin"].spans(), probe)))[1], timeout=60, interval=0.2, what="the sampled configuration live")
    marker = uuid.uuid4().hex
    _traffic(gw, 100, marker)
    wait_until(lambda: _marked(servers["zipkin"].spans(), marker), timeout=30, interval=0.5,
               what="at least one sampled trace")
    time.sleep(6)  # Envoy's Zipkin reporter flushes at least every 5 s: let the rest arrive before counting
    traces = {s["traceId"] for s in _marked(servers["zipkin"].spans(), marker)}
    assert 1 <= len(traces) <= 50, f"{len(traces)} of 100 requests traced at 10 % sampling"
    assert all(len(t) == 16 for t in traces), "trace_id_128bit: false gives 64-bit trace IDs"


def test_switching_to_opentelemetry_sends_otlp_spans_without_a_restart(gw: Gateway, servers: dict[str, Any]) -> None:
    envoy_pid = gw.children()["envoy"].pid
    marker = uuid.uuid4().hex
    _tracing(gw, {"service": servers["otlp"].address, "driver": "opentelemetry", **TAGS})
    spans = wait_until(lambda: (_traffic(gw, 5, marker), [s for s in servers["otlp"].spans()
                                                         if s.attributes.get("htag") == marker])[1],
                       timeout=30, interval=0.5, what="OTLP spans for this test's requests")
    assert gw.children()["envoy"].pid == envoy_pid
    assert {s.service for s in spans} == {"ambassador"}
    assert spans[0].attributes["ltag"] == "lvalue"


def _log_entries(servers: dict[str, Any], kind: str) -> list[LogEntry]:
    return [e for e in servers["als"].entries() if e.kind == kind]


def test_http_access_log_entries_reach_the_log_service(gw: Gateway, servers: dict[str, Any]) -> None:
    marker = uuid.uuid4().hex
    assert gw.get("/app/logged", headers={"x-marker": marker}).status == 200
    entries = wait_until(lambda: [e for e in _log_entries(servers, "http") if ("x-marker", marker)
                                  in e.request_headers], timeout=20, interval=0.2, what="the request's log entry")
    (entry,) = entries
    assert (entry.log_name, entry.method, entry.status) == ("default/als-http", "GET", 200)
    assert (entry.original_path, entry.path) == ("/app/logged", "/logged")
    assert entry.upstream_cluster.startswith("cluster_127_0_0_1_")


def test_tcp_connections_reach_the_tcp_log_service(gw: Gateway, servers: dict[str, Any], tcp_port: int) -> None:
    before = len(_log_entries(servers, "tcp"))
    response = wait_until(lambda: _raw_get(tcp_port), timeout=20, what="the TCPMapping passing HTTP through")
    assert b'"server": "tcp-app"' in response
    wait_until(lambda: len(_log_entries(servers, "tcp")) > before, timeout=20, interval=0.2,
               what="a TCP access-log entry")
    assert any(e.log_name == "default/als-tcp" for e in _log_entries(servers, "tcp"))


def test_the_file_access_log_is_json_in_the_modules_format(gw: Gateway) -> None:
    marker = uuid.uuid4().hex
    assert gw.get("/app/json", headers={"x-marker": marker}).status == 200
    log_path = gw.root / "access.json"
    line = wait_until(lambda: _json_line(log_path, marker), timeout=20, interval=0.2, what="the JSON log line")
    assert line == {"method": "GET", "path": "/app/json", "status": 200, "marker": marker}


def _json_line(path: Path, marker: str) -> dict[str, Any] | None:
    if not path.exists():
        return None
    for text in path.read_text().splitlines():
        entry = json.loads(text)
        if entry.get("marker") == marker:
            return dict(entry)
    return None


def _raw_get(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: tcp\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)
