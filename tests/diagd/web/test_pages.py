"""Every diagnostics page, as HTML and as JSON: what it shows for the sample configuration."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from diagd.state import CompiledState
from tests.diagd.sample import make_app, settings_for

SPEC_KEYS = ("system", "envoy_status", "loginfo", "notices", "banner_content", "cluster_stats", "cluster_info",
             "route_info", "active_elements", "ambassador_resources", "envoy_resources", "source_map",
             "ambassador_services", "ambassador_resolvers", "ambassador_elements", "envoy_elements", "errors",
             "groups", "tlscontexts")


def test_overview_json_has_emissarys_keys(get: Callable[..., Any]) -> None:
    doc = get("/ambassador/v0/diag/?json=true").get_json()
    assert set(SPEC_KEYS) <= set(doc)
    assert set(doc["envoy_status"]) >= {"alive", "ready", "uptime", "since_update"}
    assert ["config/gateway.yaml.13", "service: is required"] in doc["errors"]
    assert all(isinstance(e, list) and len(e) == 2 for e in doc["errors"] + doc["notices"])
    assert doc["system"]["ambassador_id"] == "default" and doc["system"]["source_kind"] == "directory"


def test_route_info_has_emissarys_shape_and_canary_split(get: Callable[..., Any]) -> None:
    routes = get("/ambassador/v0/diag/?json=true").get_json()["route_info"]
    for entry in routes:
        assert {"_route", "_source", "_group_id", "key", "prefix", "rewrite", "method", "headers", "clusters",
                "host"} <= set(entry)
    canary = next(r for r in routes if r["prefix"] == "/canary/")
    assert [(c["service"], c["percent"]) for c in canary["clusters"]] == [("127.0.0.1:10", 20), ("127.0.0.1:9", 80)]
    users = next(r for r in routes if r["prefix"] == "/users/")
    assert users["host"] == "api.example.com" and users["key"] == "http://api.example.com/users/"
    # Most specific first: the header-matched /versioned/ before the plain one.
    versioned = [r for r in routes if r["prefix"] == "/versioned/"]
    assert [bool(r["headers"]) for r in versioned] == [True, False]


def test_filter_returns_one_key_and_webui_trims(get: Callable[..., Any]) -> None:
    assert list(get("/ambassador/v0/diag/?json=true&filter=errors").get_json()) == ["errors"]
    webui = get("/ambassador/v0/diag/?json=true&filter=webui").get_json()
    assert "route_info" in webui and "ambassador_resources" not in webui


def test_overview_page_shows_status_counts_and_problems(get: Callable[..., Any]) -> None:
    html = get("/ambassador/v0/diag/").get_data(as_text=True)
    for text in ("Overview", "ambassador_id", "directory", "/config", "Envoy", "ready", "config #1", "compile",
                 "Mapping", "InvalidField", "service: is required", "http://*/canary/"):
        assert text in html, text


def test_errors_page_groups_problems_by_resource_with_location_and_link(get: Callable[..., Any]) -> None:
    html = get("/ambassador/v0/diag/errors").get_data(as_text=True)
    assert "default/no-service" in html and "config/gateway.yaml:" in html
    assert 'href="/ambassador/v0/diag/config/gateway.yaml.13"' in html
    data = get("/ambassador/v0/diag/errors?json=true&severity=error").get_json()
    assert {g["rkey"] for g in data["resources"]} == {"config/gateway.yaml.13", "config/gateway.yaml.14"}
    heavy = next(g for g in data["resources"] if g["name"] == "too-heavy")
    assert heavy["problems"][0]["reason"] == "InvalidWeight" and heavy["location"].startswith("config/gateway.yaml:")


@pytest.mark.parametrize(("query", "expected"), [
    ("", {"backend", "canary-main", "canary-next", "v2-only", "versioned", "api-users", "regex-items", "leaky"}),
    ("host=api.example.com&internal=0", {"backend", "canary-main", "canary-next", "v2-only", "versioned",
                                         "api-users", "regex-items", "leaky"}),
    ("host=other.example.com&internal=0", {"backend", "canary-main", "canary-next", "v2-only", "versioned",
                                           "regex-items", "leaky"}),
    ("path=/canary/x", {"canary-main", "canary-next"}),
    ("path=/items/42", {"regex-items"}),
    ("path=/items/abc", set()),
    ("resource=versioned", {"versioned"}),
    ("resource=v2", {"v2-only"}),
])
def test_route_table_filters(get: Callable[..., Any], query: str, expected: set[str]) -> None:
    data = get(f"/ambassador/v0/diag/routes?json=true&{query}").get_json()
    names = {r["source_name"].split("/")[1] for r in data["routes"] if not r["internal"]}
    assert names == expected
    assert data["matching"] == len(data["routes"]) <= data["total"]


def test_route_table_rows_carry_listener_host_match_target_and_source(get: Callable[..., Any]) -> None:
    rows = get("/ambassador/v0/diag/routes?json=true&resource=api-users").get_json()["routes"]
    assert {r["listener"] for r in rows} == {"http-listener", "https-listener"}
    row = rows[0]
    assert row["host"] == "*" and row["hostname"] == "api.example.com"
    assert row["rewrite"] == "/v1/users/" and row["timeout_ms"] == 1500
    assert row["options"] == {"host_rewrite": "users.internal"}  # what the user wrote beyond the columns
    assert row["cluster"].startswith("cluster_127_0_0_1_9") and row["source"] == "config/gateway.yaml.11"
    html = get("/ambassador/v0/diag/routes?resource=api-users").get_data(as_text=True)
    assert "host_rewrite: users.internal" in html and "/v1/users/" in html


def test_resource_page_shows_source_problems_routes_and_envoy_json(get: Callable[..., Any]) -> None:
    data = get("/ambassador/v0/diag/config/gateway.yaml.8?json=true").get_json()
    assert data["resource"]["kind"] == "Mapping" and data["resource"]["name"] == "canary-next"
    assert "weight: 20" in data["yaml"]
    assert data["routes"]["count"] == 5  # two listeners × two Hosts in cleartext, and the TLS chain of the secure one
    assert data["envoy_routes"][0]["name"] == "default.canary-next"
    assert data["envoy_clusters"][0]["name"] == data["clusters"][0]["name"]
    html = get("/ambassador/v0/diag/config/gateway.yaml.8").get_data(as_text=True)
    assert "canary-next" in html and "Envoy routes" in html and "runtime_fraction" in html


def test_resource_page_of_a_rejected_resource_shows_why(get: Callable[..., Any]) -> None:
    data = get("/ambassador/v0/diag/config/gateway.yaml.13?json=true").get_json()
    assert data["problems"][0]["message"] == "service: is required"
    assert data["routes"]["count"] == 0


def test_group_and_cluster_pages(get: Callable[..., Any]) -> None:
    info = get("/ambassador/v0/diag/?json=true").get_json()["route_info"]
    canary = next(r for r in info if r["prefix"] == "/canary/")
    group = get(f"/ambassador/v0/diag/grp-{canary['_group_id']}?json=true").get_json()
    assert [m["name"] for m in group["group"]["members"]] == ["default/canary-next", "default/canary-main"]
    cluster = canary["clusters"][0]["name"]
    page = get(f"/ambassador/v0/diag/{cluster}?json=true").get_json()
    assert page["cluster"]["service"] == "127.0.0.1:10" and page["envoy_answered"] is False
    assert get(f"/ambassador/v0/diag/{cluster}").status_code == 200


def test_unknown_key_is_404(get: Callable[..., Any]) -> None:
    response = get("/ambassador/v0/diag/no-such-thing.1")
    assert response.status_code == 404 and b"nothing is known" in response.data


def test_listeners_page_shows_chains_hosts_and_tls(get: Callable[..., Any]) -> None:
    data = get("/ambassador/v0/diag/listeners?json=true").get_json()
    assert [lst["port"] for lst in data["listeners"]] == [8080, 8443]
    assert {h["hostname"] for h in data["hosts"]} == {"*", "secure.example.com"}
    tls = next(c["tls"] for c in data["listeners"][1]["chains"] if c["tls"])
    assert tls["secret"] == "default/secure-cert" and len(tls["fingerprint"]) >= 16
    assert next(h for h in data["hosts"] if h["name"] == "secure")["tls"]["secret"] == "default/secure-cert"
    html = get("/ambassador/v0/diag/listeners").get_data(as_text=True)
    assert "securityModel XFP" in html and "secure.example.com" in html and "default/secure-cert" in html


def test_clusters_page_lists_every_cluster_with_its_users(get: Callable[..., Any]) -> None:
    data = get("/ambassador/v0/diag/clusters?json=true").get_json()
    services = {c["service"] for c in data["clusters"]}
    assert {"127.0.0.1:9", "127.0.0.1:10"} <= services
    assert all(c["health"]["hcolor"] == "orange" for c in data["clusters"])  # Envoy is not running here


def test_resources_page_counts_by_kind(get: Callable[..., Any]) -> None:
    data = get("/ambassador/v0/diag/resources?json=true").get_json()
    assert data["counts"] == {"Host": 2, "Listener": 2, "Mapping": 10, "Secret": 1}
    only = get("/ambassador/v0/diag/resources?json=true&kind=Listener").get_json()
    assert {r["name"] for r in only["resources"]} == {"http-listener", "https-listener"}


def test_history_shows_reconfigs_and_charts(get: Callable[..., Any]) -> None:
    data = get("/ambassador/v0/diag/history?json=true").get_json()
    assert data["reconfigs"][0]["seq"] == 1 and data["reconfigs"][0]["phases_ms"]["compile"] == pytest.approx(150)
    html = get("/ambassador/v0/diag/history").get_data(as_text=True)
    assert html.count("<svg") == 2 and "time spent in each phase" in html and "#1" in html


def test_explain_page_json(get: Callable[..., Any]) -> None:
    data = get("/ambassador/v0/diag/explain?json=true&host=x&path=/canary/a").get_json()
    assert data["explanation"]["matched"] is True
    assert [o["share"] for o in data["explanation"]["outcomes"]] == [20, 80]
    empty = get("/ambassador/v0/diag/explain?json=true").get_json()
    assert empty["asked"] is False and [lst["name"] for lst in empty["listeners"]] == ["http-listener",
                                                                                       "https-listener"]


def test_pages_answer_503_before_the_first_configuration(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    client = make_app(CompiledState(started=time.time()), settings)[0].test_client()
    for path in ("/ambassador/v0/diag/", "/ambassador/v0/diag/routes", "/ambassador/v0/diag/explain?path=/",
                 "/ambassador/v0/diag/x.1"):
        response = client.get(path, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert response.status_code == 503, path
    doc = client.get("/ambassador/v0/diag/?json=true").get_json()
    assert doc["route_info"] == [] and doc["system"]["config_seq"] is None
    assert client.get("/ambassador/v0/diag/history").status_code == 200


def test_nack_is_shown_on_the_overview(tmp_path: Path) -> None:
    from tests.diagd.sample import compiled_state, sample_yaml

    settings = settings_for(tmp_path)
    nack = {"type": "type.googleapis.com/envoy.config.listener.v3.Listener", "version": "v9",
            "message": "duplicate listener address", "at": time.time(), "snapshot_seq": 3}
    state = compiled_state(sample_yaml(), settings, seq=3, nack=nack)
    client = make_app(state, settings)[0].test_client()
    html = client.get("/ambassador/v0/diag/").get_data(as_text=True)
    assert "Envoy rejected configuration #3" in html and "duplicate listener address" in html
    assert client.get("/ambassador/v0/diag/?json=true").get_json()["envoy_status"]["last_nack"]["snapshot_seq"] == 3
    explain = client.get("/ambassador/v0/diag/explain?path=/").get_data(as_text=True)
    assert "Envoy rejected this configuration" in explain
