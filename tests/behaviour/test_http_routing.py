"""Request matching, rewriting and header handling through real Envoy (SPEC §8 behaviours 2–8, 10, 13–17, 19, 35,
36). One gateway (AMBASSADOR_ID=me) with every Mapping below; each test is one kind of request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import host, listener, mapping, module, resource, to_yaml
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.upstreams import EchoServer

pytestmark = pytest.mark.envoy

ME = {"ambassador_id": ["me"]}


def _mine(doc: dict[str, Any]) -> dict[str, Any]:
    doc["spec"] = {**doc["spec"], **ME}
    return doc


def _config(gw: Gateway, up: dict[str, EchoServer]) -> str:
    a, b, c = up["a"].address, up["b"].address, up["c"].address
    m = mapping
    docs = [
        listener("http", gw.ports.http), host("any"),
        module({"server_name": "test-server", "merge_slashes": True, "strip_matching_host_port": True,
                "reject_requests_with_escaped_slashes": True, "max_request_headers_kb": 8,
                "headers_with_underscores_action": "REJECT_REQUEST", "add_linkerd_headers": True,
                "preserve_external_request_id": True,
                "defaults": {"httpmapping": {"add_response_headers": {"x-default": "from-module"}}}}),
        m("basic", "/basic/", a, add_linkerd_headers=False),
        m("plain-prefix", "/foo", b),
        m("exact", "/exact", a, prefix_exact=True),
        m("regex", r"^/regex/[0-9]+$", a, hostname=None, prefix_regex=True, host=r"^re\.example\.com$",
          host_regex=True, regex_headers={"x-token": "^t-[a-z]+$"}),
        m("ci", "/MiXeD/", a, case_sensitive=False),
        m("exact-host", "/host/", a, hostname=None, host="exact.example.com"),
        m("target1", "/choose/", a), m("target2", "/choose/", b, headers={"x-route": "target2"}),
        m("query", "/query/", a, query_parameters={"mode": "exact"}),
        m("query-re", "/query/", b, regex_query_parameters={"id": "^[0-9]+$"}),
        m("query-any", "/query/", c, query_parameters={"flag": True}),
        m("post-only", "/method/", a, method="POST"),
        m("rewrite", "/rw/", a, rewrite="/foo/"), m("keep", "/keep/", a, rewrite=""),
        m("regex-rewrite", "/rr/", a, regex_rewrite={"pattern": "^/rr/([a-z]+)/([0-9]+)$",
                                                      "substitution": "/items/\\2/\\1"}),
        m("host-rewrite", "/hr/", a, host_rewrite="rewritten.example.com"),
        m("auto-host", "/auto/", f"localhost:{up['a'].port}", auto_host_rewrite=True),
        m("add-headers", "/hdr/", a, add_request_headers={"zoo": "zooz", "replaced": {"value": "new", "append": False}},
          remove_request_headers=["x-remove-me"], add_response_headers={"x-added": "yes"},
          remove_response_headers=["x-upstream"]),
        m("no-defaults", "/nodefault/", a, add_response_headers={}),
        m("precedence-low", "/prec/specific/", a), m("precedence-high", "/prec/", b, precedence=5),
        m("timeout", "/timeout/", a, timeout_ms=4321),
        m("twin", "/twin-default/", a), m("twin", "/twin-other/", b, namespace="other"),
        m("bad-port", "/badport/", "svc:80.invalid"),
        resource("Mapping", "not-mine", {"prefix": "/not-mine/", "service": a, "hostname": "*",
                                         "ambassador_id": ["x"]}),
    ]
    mine = [_mine(d) for d in docs if d["metadata"]["name"] != "not-mine"]
    for ids, prefix in ((["me", "x"], "/id-me-x/"), (["x", "me"], "/id-x-me/"), (["x1", "x2"], "/id-x1-x2/")):
        mine.append(resource("Mapping", prefix.strip("/"), {"prefix": prefix, "service": a, "hostname": "*",
                                                             "ambassador_id": ids}))
    return to_yaml(*mine, docs[-1])


@pytest.fixture(scope="module")
def gw(gateway_for_module: Callable[..., Gateway], upstreams: Callable[..., EchoServer]) -> Gateway:
    up = {name: upstreams(name) for name in ("a", "b", "c")}
    gateway = gateway_for_module(env={"AMBASSADOR_ID": "me"})
    gateway.write("all.yaml", _config(gateway, up))
    gateway.start()
    gateway.wait_for("/basic/", 200, host="any.example.com")
    return gateway


def get(gw: Gateway, path: str, host_name: str = "any.example.com", **kwargs: Any) -> Any:
    return gw.get(path, host=host_name, **kwargs)


def test_prefix_mapping_forwards_to_its_service_with_the_prefix_rewritten_to_slash(gw: Gateway) -> None:
    resp = get(gw, "/basic/some/thing?x=1")
    assert resp.status == 200
    assert resp.json()["server"] == "a" and resp.json()["path"] == "/some/thing?x=1"


def test_path_no_mapping_matches_gets_404(gw: Gateway) -> None:
    assert get(gw, "/nothing-here/").status == 404


def test_prefix_is_a_plain_string_prefix_so_foobar_matches_foo(gw: Gateway) -> None:
    resp = get(gw, "/foobar")
    assert resp.status == 200 and resp.json()["server"] == "b"


def test_prefix_exact_matches_only_the_exact_path(gw: Gateway) -> None:
    assert get(gw, "/exact").status == 200
    assert get(gw, "/exact/more").status == 404


def test_regex_prefix_with_regex_host_routes_only_with_the_regex_header(gw: Gateway) -> None:
    ok = {"x-token": "t-abc"}
    assert get(gw, "/regex/42", "re.example.com", headers=ok).status == 200
    assert get(gw, "/x/../regex/42", "re.example.com", headers=ok).status == 200
    assert get(gw, "/regex/42", "re.example.com").status == 404
    assert get(gw, "/regex/42", "other.example.com", headers=ok).status == 404


def test_case_insensitive_mapping_routes_an_upper_case_url(gw: Gateway) -> None:
    assert get(gw, "/MIXED/x").status == 200
    assert get(gw, "/mixed/x").status == 200


def test_exact_host_routes_only_that_host_and_strips_only_the_listener_port(gw: Gateway) -> None:
    assert get(gw, "/host/", "exact.example.com").status == 200
    assert get(gw, "/host/", "other.example.com").status == 404
    assert get(gw, "/host/", f"exact.example.com:{gw.ports.http}").status == 200  # strip_matching_host_port
    assert get(gw, "/host/", "exact.example.com:9999").status == 404


def test_header_match_sends_x_route_target2_to_target2_and_the_rest_to_target1(gw: Gateway) -> None:
    assert get(gw, "/choose/", headers={"x-route": "target2"}).json()["server"] == "b"
    assert get(gw, "/choose/").json()["server"] == "a"
    assert get(gw, "/choose/", headers={"x-route": "other"}).json()["server"] == "a"


def test_query_parameters_match_exactly_by_regex_and_by_presence(gw: Gateway) -> None:
    assert get(gw, "/query/?mode=exact").json()["server"] == "a"
    assert get(gw, "/query/?id=123").json()["server"] == "b"
    assert get(gw, "/query/?flag").json()["server"] == "c"
    assert get(gw, "/query/?mode=EXACT").status == 404
    assert get(gw, "/query/?id=abc").status == 404


def test_method_mapping_routes_post_and_not_get(gw: Gateway) -> None:
    assert get(gw, "/method/", method="POST").status == 200
    assert get(gw, "/method/").status == 404


def test_rewrite_foo_makes_the_upstream_path_start_with_foo(gw: Gateway) -> None:
    assert get(gw, "/rw/bar").json()["path"] == "/foo/bar"


def test_empty_rewrite_leaves_the_path_alone(gw: Gateway) -> None:
    assert get(gw, "/keep/bar").json()["path"] == "/keep/bar"


def test_regex_rewrite_rewrites_the_path_and_a_non_matching_prefix_gets_404(gw: Gateway) -> None:
    assert get(gw, "/rr/apple/7").json()["path"] == "/items/7/apple"
    assert get(gw, "/rx/apple/7").status == 404


def test_host_rewrite_sends_the_literal_host_upstream(gw: Gateway) -> None:
    assert get(gw, "/hr/").json()["host"] == "rewritten.example.com"


def test_auto_host_rewrite_sends_the_service_host_upstream(gw: Gateway) -> None:
    assert get(gw, "/auto/").json()["host"].startswith("localhost")


def test_added_request_headers_append_or_replace_and_removed_ones_are_gone(gw: Gateway) -> None:
    resp = request(gw.ports.http, "/hdr/", host="any.example.com",
                   headers={"zoo": "zoo", "replaced": "old", "x-remove-me": "secret"})
    seen = resp.json()["headers"]
    assert seen["zoo"] == "zoo,zooz"
    assert seen["replaced"] == "new"
    assert "x-remove-me" not in seen
    assert resp.headers.get("x-added") == "yes"
    assert "x-upstream" not in resp.headers


def test_module_default_response_header_applies_unless_the_mapping_disables_it(gw: Gateway) -> None:
    assert get(gw, "/basic/").headers.get("x-default") == "from-module"
    assert "x-default" not in get(gw, "/nodefault/").headers


def test_linkerd_header_names_the_upstream_unless_the_mapping_turns_it_off(gw: Gateway) -> None:
    assert get(gw, "/foo").json()["headers"]["l5d-dst-override"].startswith("127.0.0.1:")
    assert "l5d-dst-override" not in get(gw, "/basic/").json()["headers"]


def test_higher_precedence_wins_over_a_longer_prefix(gw: Gateway) -> None:
    assert get(gw, "/prec/specific/x").json()["server"] == "b"


def test_server_header_is_the_module_server_name(gw: Gateway) -> None:
    assert get(gw, "/basic/").headers.get("server") == "test-server"


def test_upstream_sees_the_original_path_and_the_expected_timeout(gw: Gateway) -> None:
    seen = get(gw, "/timeout/x").json()["headers"]
    assert seen["x-envoy-original-path"] == "/timeout/x"
    assert seen["x-envoy-expected-rq-timeout-ms"] == "4321"


def test_client_request_id_reaches_the_upstream_unchanged(gw: Gateway) -> None:
    assert get(gw, "/basic/", headers={"x-request-id": "client-id-42"}).json()["headers"]["x-request-id"] == \
        "client-id-42"


def test_dot_dot_segments_are_normalised_before_matching(gw: Gateway) -> None:
    resp = get(gw, "/need-normalization/../basic/name/")
    assert resp.status == 200 and resp.json()["path"] == "/name/"


def test_merged_slashes_route_when_merge_slashes_is_on(gw: Gateway) -> None:
    assert get(gw, "//basic//x").status == 200


def test_escaped_slash_is_rejected_with_400(gw: Gateway) -> None:
    assert get(gw, "/basic/a%2Fb").status == 400


def test_oversized_request_headers_get_431(gw: Gateway) -> None:
    assert get(gw, "/basic/", headers={"x-big": "y" * 10_000}).status == 431


def test_header_with_underscore_is_rejected_with_400(gw: Gateway) -> None:
    assert get(gw, "/basic/", headers={"x_under": "1"}).status == 400


def test_ambassador_id_selects_only_resources_for_this_gateway(gw: Gateway) -> None:
    assert get(gw, "/id-me-x/").status == 200
    assert get(gw, "/id-x-me/").status == 200
    assert get(gw, "/id-x1-x2/").status == 404
    assert get(gw, "/not-mine/").status == 404


def test_same_mapping_name_in_two_namespaces_both_route(gw: Gateway) -> None:
    assert get(gw, "/twin-default/").json()["server"] == "a"
    assert get(gw, "/twin-other/").json()["server"] == "b"


def test_invalid_port_is_a_diag_error_and_its_siblings_still_route(gw: Gateway) -> None:
    errors = gw.diag()["errors"]
    assert any("found invalid port for service" in message for _, message in errors), errors
    assert get(gw, "/badport/").status == 404
    assert get(gw, "/basic/").status == 200


def test_liveness_probe_answers_through_envoy(gw: Gateway) -> None:
    assert get(gw, "/ambassador/v0/check_alive").status == 200
