"""The whole pipeline, end to end: files → watt → diagd → ambex → real Envoy → real upstreams."""

from __future__ import annotations

import time
import uuid

from tests.builders import mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.upstreams import EchoServer


def test_a_route_answers_through_envoy(gateway: Gateway) -> None:
    response = gateway.get("/backend/hello")
    assert response.status == 200
    assert response.json()["server"] == "alpha" and response.json()["path"] == "/hello"


def test_a_new_mapping_file_answers_within_seconds(gateway: Gateway, upstreams: tuple[EchoServer, EchoServer]) -> None:
    _, beta = upstreams
    name = f"new-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    gateway.write(f"{name}.yaml", to_yaml(mapping(name, f"/{name}/", beta.address)))
    response = gateway.wait_for(f"/{name}/x", 200, timeout=10)
    assert response.json()["server"] == "beta"
    assert time.monotonic() - started < 10
    gateway.remove(f"{name}.yaml")


def test_changing_rewrite_changes_the_upstream_path(gateway: Gateway, upstreams: tuple[EchoServer, EchoServer]) -> None:
    alpha, _ = upstreams
    gateway.write("rewrite.yaml", to_yaml(mapping("rw", "/rw/", alpha.address, rewrite="/one/")))
    assert gateway.wait_for("/rw/x", 200).json()["path"] == "/one/x"
    gateway.write("rewrite.yaml", to_yaml(mapping("rw", "/rw/", alpha.address, rewrite="/two/")))
    from tests.support.processes import wait_until

    wait_until(lambda: gateway.get("/rw/x").json()["path"] == "/two/x", timeout=10, what="new rewrite")
    gateway.remove("rewrite.yaml")


def test_deleting_a_mapping_gives_404(gateway: Gateway, upstreams: tuple[EchoServer, EchoServer]) -> None:
    alpha, _ = upstreams
    gateway.write("gone.yaml", to_yaml(mapping("gone", "/gone/", alpha.address)))
    gateway.wait_for("/gone/", 200)
    gateway.remove("gone.yaml")
    gateway.wait_for("/gone/", 404)
    assert gateway.get("/backend/").status == 200


def test_a_broken_yaml_file_is_reported_with_its_path_and_line_while_routes_keep_serving(gateway: Gateway) -> None:
    gateway.write("broken.yaml", "apiVersion: getambassador.io/v3alpha1\nkind: Mapping\nmetadata: {name: x\n")
    from tests.support.processes import wait_until

    problem = wait_until(lambda: next((p for p in gateway.diag()["problems"]
                                       if p["location"] and p["location"].startswith("broken.yaml")), None),
                         timeout=10, what="parse error in diag")
    assert problem["severity"] == "error" and problem["reason"] == "YAMLParseError"
    assert problem["location"] == "broken.yaml:4"
    assert ["broken.yaml.1", problem["message"]] in gateway.diag()["errors"]
    assert gateway.get("/backend/").status == 200
    gateway.remove("broken.yaml")
    wait_until(lambda: not any(e[0].startswith("broken.yaml") for e in gateway.diag()["errors"]), timeout=10,
               what="error cleared")


def test_diag_json_reports_resources_routes_and_reconfig_timings(gateway: Gateway) -> None:
    doc = gateway.diag()
    assert {"Listener", "Host", "Mapping"} <= set(doc["resource_counts"])
    assert any(r["prefix"] == "/backend/" and r["source"].endswith("base.yaml.3") for r in doc["route_info"])
    last = doc["reconfig"]["last"]
    assert set(last["phases_ms"]) == {"snapshot", "compile", "write", "push", "ack", "total"}
    assert doc["envoy_status"]["ready"] is True and doc["envoy_status"]["config_applied"] is True
