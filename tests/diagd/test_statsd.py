"""Envoy's statsd and DogStatsD sinks through the real gateway (SPEC §8 behaviour 45): with ``STATSD_ENABLED`` the
bootstrap diagd writes sends Envoy's statistics to a UDP receiver on 127.0.0.1 (``STATSD_PORT`` picks its port),
counted under each cluster's stats name (a Mapping's ``stats_name``, else the name derived from its service), and
the same counts are on diagd's ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.builders import host, listener, mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.processes import wait_until
from tests.support.statsd import StatsdReceiver
from tests.support.upstreams import EchoServer

pytestmark = [pytest.mark.envoy, pytest.mark.slow]

REQUESTS = 5


@pytest.fixture
def receiver() -> Iterator[StatsdReceiver]:
    sink = StatsdReceiver().start()
    yield sink
    sink.stop()


def _gateway(make: Callable[..., Gateway], echo: Callable[[str], EchoServer], sink: StatsdReceiver,
             **env: str) -> tuple[Gateway, str]:
    """A gateway with two Mappings, one named by ``stats_name``; also the stats name the other one gets."""
    named, plain = echo("statsdtest"), echo("plain")
    gw = make(env={"STATSD_ENABLED": "true", "STATSD_HOST": "127.0.0.1", "STATSD_PORT": str(sink.port),
                   "STATSD_FLUSH_INTERVAL": "1", **env})
    gw.write("routes.yaml", to_yaml(
        listener("http", gw.ports.http), host("any"),
        mapping("statsdtest", "/statsdtest/", named.address, stats_name="statsdtest_http"),
        mapping("plain", "/plain/", plain.address)))
    gw.start()
    for path in ("/statsdtest/", "/plain/"):
        gw.wait_for(path, 200, timeout=30)
        for _ in range(REQUESTS):
            assert gw.get(path).status == 200
    return gw, plain.address.replace(".", "_").replace(":", "_")


def _prometheus_rq_total(gw: Gateway, cluster: str) -> float:
    text = request(gw.ports.diag, "/metrics", timeout=10).text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "envoy_cluster_upstream_rq_total" and s.labels.get("envoy_cluster_name") == cluster)


def test_statsd_counts_per_cluster_stats_name_and_on_metrics(
        gateway_factory: Callable[..., Gateway], echo_factory: Callable[[str], EchoServer],
        receiver: StatsdReceiver) -> None:
    gw, plain_name = _gateway(gateway_factory, echo_factory, receiver)
    for name in ("statsdtest_http", plain_name):
        metric = f"envoy.cluster.{name}.upstream_rq_total"
        wait_until(lambda m=metric: receiver.counter(m) >= REQUESTS, timeout=20, interval=0.2,
                   what=f"{REQUESTS} requests counted in {metric} at the statsd receiver")
        assert _prometheus_rq_total(gw, name) >= REQUESTS
    assert all(not line.tags for line in receiver.lines()), "plain statsd lines carry no tags"


def test_dogstatsd_sends_tagged_counts_with_the_entity_id(
        gateway_factory: Callable[..., Gateway], echo_factory: Callable[[str], EchoServer],
        receiver: StatsdReceiver) -> None:
    gw, _ = _gateway(gateway_factory, echo_factory, receiver, DOGSTATSD="true", DD_ENTITY_ID="statsd-test-entity")
    entity = "dd.internal.entity_id:statsd-test-entity"

    def tagged() -> float:
        return sum(line.value for line in receiver.lines() if line.name == "envoy.cluster.upstream_rq_total"
                   and line.type == "c" and "envoy.cluster_name:statsdtest_http" in line.tags)

    wait_until(lambda: tagged() >= REQUESTS, timeout=20, interval=0.2,
               what="DogStatsD upstream_rq_total tagged with envoy.cluster_name:statsdtest_http")
    # Statistics Envoy creates before it reads stats_config (its filesystem ones) go out without the fixed tag.
    cluster_lines = [line for line in receiver.lines() if line.name.startswith("envoy.cluster.")]
    assert cluster_lines and all(entity in line.tags for line in cluster_lines), cluster_lines[:5]
    assert _prometheus_rq_total(gw, "statsdtest_http") >= REQUESTS
