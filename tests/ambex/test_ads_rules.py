"""The SotW ADS rules of ambex.watches/ambex.stream, driven by a fake Envoy (no gRPC)."""

from pathlib import Path

from ambex.snapshot import CLUSTER, ENDPOINT, LISTENER, ROUTE
from ambex.watches import SMALL_ROUTE_CONFIG
from envoy.service.discovery.v3.discovery_pb2 import DiscoveryResponse
from tests.ambex.fake import FakeEnvoy, res, snap

S1 = snap(1, clusters=[res("c1")], listeners=[res("l1", refs=("r1",))], routes=[res("r1", refs=("c1",))])


def test_first_request_gets_every_resource_of_its_type(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    [cds] = envoy.request(CLUSTER, S1)
    assert cds.type_url == CLUSTER and envoy.names(cds) == ["c1"] and cds.version_info


def test_nothing_is_sent_before_there_is_a_snapshot(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    assert envoy.request(CLUSTER, None) == []
    [cds] = envoy.update(S1)
    assert envoy.names(cds) == ["c1"]


def test_an_ack_is_not_answered(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    [cds] = envoy.request(CLUSTER, S1)
    assert envoy.ack(cds, S1) == []
    assert envoy.stream.watches[CLUSTER].acked_version == cds.version_info


def test_a_stale_nonce_is_ignored(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    [old] = envoy.request(CLUSTER, S1)
    s2 = snap(2, clusters=[res("c1"), res("c2")])
    [new] = envoy.update(s2)
    assert envoy.ack(old, s2) == []  # Envoy acknowledging the superseded response: ignored
    assert envoy.stream.watches[CLUSTER].acked_version is None
    envoy.ack(new, s2)
    assert envoy.stream.watches[CLUSTER].acked_version == new.version_info


def test_a_nack_is_recorded_and_the_same_version_is_not_resent(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    [good] = envoy.request(CLUSTER, S1)
    envoy.ack(good, S1)
    bad = snap(2, clusters=[res("c1"), res("broken")])
    [sent] = envoy.update(bad)
    assert envoy.nack(sent, bad, "invalid cluster", accepted_version=good.version_info) == []
    status = envoy.reporter.snapshot_of_status()
    assert status["last_nack"]["message"] == "invalid cluster"
    assert status["last_nack"]["type"] == "CDS" and status["last_nack"]["snapshot_seq"] == 2
    assert envoy.update(bad) == []  # unchanged snapshot after a NACK: nothing sent
    assert envoy.stream.watches[CLUSTER].acked_version == good.version_info
    fixed = snap(3, clusters=[res("c1"), res("c2")])
    [again] = envoy.update(fixed)
    assert envoy.names(again) == ["c1", "c2"]


def test_an_unchanged_snapshot_pushes_nothing_and_counts_as_acknowledged(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    [cds] = envoy.request(CLUSTER, S1)
    envoy.ack(cds, S1)
    same_content = snap(7, clusters=[res("c1")], listeners=[res("l1", refs=("r1",))], routes=[res("r1", refs=("c1",))])
    assert envoy.update(same_content) == []
    assert "7" in envoy.reporter.snapshot_of_status()["acked_for"]


def test_updates_go_out_in_cds_eds_lds_rds_order(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    for type_url in (ROUTE, LISTENER, ENDPOINT, CLUSTER):
        envoy.request(type_url, None, names=("r1",) if type_url == ROUTE else ())
    s2 = snap(2, clusters=[res("c1")], endpoints=[res("e1")], listeners=[res("l1", refs=("r1",))],
              routes=[res("r1", refs=("c1",))])
    assert [r.type_url for r in envoy.update(s2)] == [CLUSTER, ENDPOINT, LISTENER, ROUTE]


def test_rds_answers_only_the_names_asked_for_and_answers_again_when_they_change(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    s = snap(1, routes=[res("r1"), res("r2")])
    [first] = envoy.request(ROUTE, s, names=("r1",))
    assert envoy.names(first) == ["r1"]
    [second] = envoy.ack(first, s, names=("r1", "r2"))
    assert envoy.names(second) == ["r2"]  # Envoy keeps r1: an RDS response carries what it does not have yet
    assert set(envoy.stream.watches[ROUTE].sent) == {"r1", "r2"}


def test_rds_responses_carry_only_the_route_configurations_that_changed(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    s1 = snap(1, routes=[res("r1"), res("r2"), res("r3")])
    [first] = envoy.request(ROUTE, s1, names=("r1", "r2", "r3"))
    assert envoy.names(first) == ["r1", "r2", "r3"]
    envoy.ack(first, s1, names=("r1", "r2", "r3"))
    s2 = snap(2, routes=[res("r1"), res("r2", body="r2 changed"), res("r3")])
    [update] = envoy.update(s2)
    assert envoy.names(update) == ["r2 changed"] and update.version_info != first.version_info
    envoy.ack(update, s2, names=("r1", "r2", "r3"))
    assert envoy.stream.watches[ROUTE].acked["r2"].digest == s2.of(ROUTE)["r2"].digest


def test_a_route_configuration_asked_for_again_is_sent_again_though_unchanged(tmp_path: Path) -> None:
    """Envoy drops a route configuration when it stops asking for it (a Listener removed); asked for again, it
    must come again, or the new Listener would wait for it."""
    envoy = FakeEnvoy(tmp_path)
    s = snap(1, routes=[res("r1"), res("r2")])
    [first] = envoy.request(ROUTE, s, names=("r1", "r2"))
    [fewer] = envoy.ack(first, s, names=("r1",))
    assert envoy.names(fewer) == []  # only r1 is asked for, and Envoy has it
    [again] = envoy.ack(fewer, s, names=("r1", "r2"))
    assert envoy.names(again) == ["r2"]


def test_small_changed_route_configurations_go_first_then_every_changed_one(tmp_path: Path) -> None:
    """A large route configuration (a catch-all Host's) must not hold up a small one: Envoy applies responses in
    order, so the small one is live before the large one is even parsed; the second response decides the ACK."""
    big = "big " + "x" * SMALL_ROUTE_CONFIG
    names = ("big", "small", "same")
    envoy = FakeEnvoy(tmp_path)
    s1 = snap(1, routes=[res("big", body=big), res("small"), res("same")])
    *_, first = envoy.request(ROUTE, s1, names=names)  # the first time too: small ones first, then all
    envoy.ack(first, s1, names=names)
    s2 = snap(2, routes=[res("big", body=big + "y"), res("small", body="small changed"), res("same")])
    quick, full = envoy.update(s2)
    assert _first_words(envoy, quick) == ["small"] and _first_words(envoy, full) == ["big", "small"]
    assert envoy.ack(quick, s2, names=names) == []  # superseded by the second: a stale nonce
    assert envoy.stream.watches[ROUTE].acked_version == first.version_info
    envoy.ack(full, s2, names=names)
    assert envoy.stream.watches[ROUTE].acked_version == full.version_info
    assert "2" in envoy.reporter.snapshot_of_status()["acked_for"]


def test_a_rejected_large_route_configuration_is_reported_once_and_not_resent(tmp_path: Path) -> None:
    big = "big " + "x" * SMALL_ROUTE_CONFIG
    names = ("big", "small")
    envoy = FakeEnvoy(tmp_path)
    s1 = snap(1, routes=[res("big", body=big), res("small")])
    *_, first = envoy.request(ROUTE, s1, names=names)
    envoy.ack(first, s1, names=names)
    s2 = snap(2, routes=[res("big", body=big + "bad"), res("small", body="small changed")])
    quick, full = envoy.update(s2)
    envoy.ack(quick, s2, names=names)
    assert envoy.nack(full, s2, "invalid route", accepted_version=first.version_info, names=names) == []
    assert envoy.reporter.snapshot_of_status()["last_nack"]["type"] == "RDS"
    s3 = snap(3, routes=[res("big", body=big + "bad"), res("small", body="small again")])
    [only] = envoy.update(s3)  # the rejected configuration is unchanged: not sent again
    assert _first_words(envoy, only) == ["small"]


def _first_words(envoy: FakeEnvoy, response: DiscoveryResponse) -> list[str]:
    return [body.split(" ", 1)[0] for body in envoy.names(response)]


def test_a_reconnecting_envoy_that_already_has_the_version_gets_nothing(tmp_path: Path) -> None:
    first = FakeEnvoy(tmp_path)
    [cds] = first.request(CLUSTER, S1)
    again = FakeEnvoy(tmp_path)  # a new stream, as after an ambex restart
    assert again.request(CLUSTER, S1, version=cds.version_info) == []
    s2 = snap(2, clusters=[res("c1"), res("c2")])
    [update] = again.update(s2)
    assert again.names(update) == ["c1", "c2"]


def test_a_cluster_in_use_by_acknowledged_routes_stays_until_the_new_routes_are_acknowledged(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    [cds] = envoy.request(CLUSTER, S1)
    envoy.ack(cds, S1)
    [rds] = envoy.request(ROUTE, S1, names=("r1",))
    envoy.ack(rds, S1, names=("r1",))
    moved = snap(2, clusters=[res("c2")], listeners=[res("l1", refs=("r1",))], routes=[res("r1", "r1-v2", ("c2",))])
    cds2, rds2 = envoy.update(moved)
    assert envoy.names(cds2) == ["c1", "c2"]  # make before break: c1 is still routed to
    envoy.ack(cds2, moved)
    [cds3] = envoy.ack(rds2, moved, names=("r1",))  # routes moved to c2 are in: c1 can go
    assert cds3.type_url == CLUSTER and envoy.names(cds3) == ["c2"]


def test_a_snapshot_is_acknowledged_when_every_type_sent_for_it_is(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    envoy.request(CLUSTER, None)
    envoy.request(LISTENER, None)
    cds, lds = envoy.update(S1)
    envoy.ack(cds, S1)
    assert "1" not in envoy.reporter.snapshot_of_status()["acked_for"]
    envoy.ack(lds, S1)
    assert "1" in envoy.reporter.snapshot_of_status()["acked_for"]


def test_requests_for_types_ambex_does_not_serve_are_ignored(tmp_path: Path) -> None:
    envoy = FakeEnvoy(tmp_path)
    assert envoy.request("type.googleapis.com/envoy.service.runtime.v3.Runtime", S1) == []
