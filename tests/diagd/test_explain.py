"""Explain a request: which route matches and why, which are passed over and why, and what goes upstream.

Most cases compile a real configuration and explain requests against the compiled Envoy output; Envoy rules the
compiler does not emit yet (redirect variants, weighted clusters, header mutations) are checked on hand-written
Envoy JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from diagd.compile import compile
from diagd.diag_index import build_index
from diagd.envoy_match import match_header, match_query, normalize_path, pick_domain, runtime_share
from diagd.explain import EnvoyView, ExplainRequest, Explanation, Sources, explain
from diagd.explain_request import parse_header_lines
from tests.builders import host, listener, mapping, to_yaml
from tests.diagd.sample import sample_yaml, settings_for
from tests.support.snapshots import snapshot_from_text


def _explainer(text: str, tmp: Path) -> Any:
    snapshot = snapshot_from_text(text, "cfg.yaml")
    result = compile(snapshot, settings_for(tmp).compile)
    index = build_index(result, snapshot)
    view = EnvoyView(result.envoy.listeners, result.envoy.route_configs, result.envoy.clusters)
    sources = Sources(routes=index.route_sources, vhosts=index.vhost_sources)

    def run(path: str, host: str = "example.com", headers: str = "", **kwargs: Any) -> Explanation:
        return explain(ExplainRequest(host=host, path=path, headers=parse_header_lines(headers), **kwargs), view,
                       sources)

    return run


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return _explainer(sample_yaml(), tmp_path_factory.mktemp("explain"))


def _only(x: Explanation) -> Any:
    assert len(x.outcomes) == 1, x.verdict
    return x.outcomes[0]


def _passed_over(x: Explanation, name: str) -> str:
    return next(r.why_not for r in x.routes if r.name == name)


def test_prefix_rewrite_host_rewrite_and_timeout(sample: Any) -> None:
    out = _only(sample("/users/7?full=1", host="api.example.com"))
    assert out.kind == "route" and out.route_name == "default.api-users" and out.source == "cfg.yaml.11"
    assert out.path == "/v1/users/7?full=1" and out.host_header == "users.internal" and out.timeout == "1500 ms"
    headers = {h["name"]: h["value"] for h in out.headers}
    assert headers["x-envoy-expected-rq-timeout-ms"] == "1500" and headers["x-envoy-original-path"] == "/users/7?full=1"
    assert headers["x-forwarded-proto"] == "http" and headers["host"] == "users.internal"
    assert out.clusters[0]["endpoints"] == ["127.0.0.1:9"]


def test_host_mismatch_is_explained(sample: Any) -> None:
    x = sample("/users/7", host="www.example.com")
    assert not x.matched and _only(x).status == 404
    why = _passed_over(x, "default.api-users")
    assert ":authority must match exact 'api.example.com'" in why and "'www.example.com'" in why


def test_header_match_chooses_and_passes_over(sample: Any) -> None:
    with_header = sample("/versioned/a", headers="X-Version: 2")
    assert _only(with_header).route_name == "default.v2-only"
    without = sample("/versioned/a")
    assert _only(without).route_name == "default.versioned"
    assert _passed_over(without, "default.v2-only") == "header x-version must match exact '2'; the request has none"
    wrong = sample("/versioned/a", headers="x-version: 3")
    assert _passed_over(wrong, "default.v2-only") == "header x-version must match exact '2'; it is '3'"


def test_canary_is_explained_as_a_split(sample: Any) -> None:
    x = sample("/canary/page")
    assert [(o.route_name, o.share) for o in x.outcomes] == [("default.canary-next", 20), ("default.canary-main", 80)]
    assert [o.path for o in x.outcomes] == ["/page", "/page"]
    assert x.matched and "20% →" in x.verdict and "80% →" in x.verdict


def test_regex_route(sample: Any) -> None:
    assert _only(sample("/items/42")).route_name == "default.regex-items"
    miss = sample("/items/abc")
    assert not miss.matched
    assert _passed_over(miss, "default.regex-items") == "path must match regex '^/items/[0-9]+$'; it is '/items/abc'"


def test_path_is_normalised_before_matching(sample: Any) -> None:
    x = sample("/x/../backend/./q")
    assert _only(x).route_name == "default.backend" and x.request.path == "/backend/q"
    assert any("normalises the path" in s.why for s in x.steps)


def test_routes_after_a_full_match_are_not_tried(sample: Any) -> None:
    x = sample("/backend/q")
    chosen = next(r for r in x.routes if r.takes)
    assert all(not r.reached for r in x.routes[chosen.index + 1:]) and all(r.reached for r in x.routes[:chosen.index])


def test_listener_and_scheme_selection(sample: Any) -> None:
    assert sample("/backend/", listener="8443").listener == "https-listener"
    assert sample("/backend/", listener="https-listener").chain == "httphost-shared"
    missing = sample("/backend/", listener="9999")
    assert not missing.outcomes and "no listener is named or listens on '9999'" in missing.verdict
    tls = sample("/backend/", scheme="https")
    assert tls.chain is None and "no TLS filter chain takes SNI 'example.com'" in tls.verdict


def _redirecting(tmp: Path, l7_depth: int = 0) -> Any:
    text = to_yaml(listener("l", 8080, protocol="HTTPS", security_model="XFP", l7Depth=l7_depth) if l7_depth
                   else listener("l", 8080, protocol="HTTPS", security_model="XFP"),
                   host("h", "*", action="Redirect"), mapping("m", "/app/", "127.0.0.1:9"))
    return _explainer(text, tmp)


def test_cleartext_redirect_and_untrusted_forwarded_proto(tmp_path: Path) -> None:
    run = _redirecting(tmp_path)
    out = _only(run("/app/x?q=1", headers="x-forwarded-proto: https"))
    assert out.kind == "redirect" and out.status == 301 and out.location == "https://example.com/app/x?q=1"
    x = run("/app/x", headers="x-forwarded-proto: https")
    assert any("the client's 'https' is not trusted" in s.why for s in x.steps)
    assert _only(x).kind == "redirect"  # with l7Depth 0 the cleartext chain has only the redirect variant


def test_trusted_forwarded_proto_with_l7_depth(tmp_path: Path) -> None:
    run = _redirecting(tmp_path, l7_depth=1)
    assert _only(run("/app/x", headers="x-forwarded-proto: https")).kind == "route"
    assert _only(run("/app/x")).kind == "redirect"


def test_no_listener(tmp_path: Path) -> None:
    x = _explainer(to_yaml(mapping("m", "/", "127.0.0.1:9")), tmp_path)("/")
    assert x.outcomes == [] and "no Listener" in x.verdict


# --- Envoy rules on hand-written configuration -------------------------------------------------------------------

def _view(routes: list[dict[str, Any]], **vhost: Any) -> EnvoyView:
    hcm = {"name": "envoy.filters.network.http_connection_manager",
           "typed_config": {"rds": {"route_config_name": "rc"}, "normalize_path": True}}
    listener_json = {"name": "l", "address": {"socket_address": {"address": "0.0.0.0", "port_value": 8080}},
                     "filter_chains": [{"name": "c", "filters": [hcm]}]}
    config = {"name": "rc", "virtual_hosts": [{"name": "v", "domains": ["*"], "routes": routes, **vhost}],
              "request_headers_to_add": [{"header": {"key": "x-global", "value": "g"}}]}
    clusters = [{"name": n, "type": "STRICT_DNS", "load_assignment": {"endpoints": [{"lb_endpoints": [
        {"endpoint": {"address": {"socket_address": {"address": f"{n}.svc", "port_value": 80}}}}]}]}}
        for n in ("a", "b")]
    return EnvoyView([listener_json], [config], clusters)


@pytest.mark.parametrize(("redirect", "location", "status"), [
    ({"https_redirect": True}, "https://h.test/old/p?q=1", 301),
    ({"host_redirect": "new.test", "prefix_rewrite": "/new/", "response_code": "TEMPORARY_REDIRECT"},
     "http://new.test/new/p?q=1", 307),
    ({"path_redirect": "/elsewhere", "strip_query": True, "response_code": "FOUND"}, "http://h.test/elsewhere", 302),
    ({"regex_rewrite": {"pattern": {"regex": "^/old/(.*)$"}, "substitution": "/v2/\\1"},
      "response_code": "PERMANENT_REDIRECT"}, "http://h.test/v2/p?q=1", 308),
])
def test_redirects(redirect: dict[str, Any], location: str, status: int) -> None:
    view = _view([{"name": "r", "match": {"prefix": "/old/"}, "redirect": redirect}])
    out = _only(explain(ExplainRequest(host="h.test", path="/old/p?q=1"), view))
    assert (out.kind, out.status, out.location) == ("redirect", status, location)


def test_weighted_clusters_auto_host_rewrite_and_header_mutations() -> None:
    route = {"name": "r", "match": {"prefix": "/"},
             "route": {"weighted_clusters": {"clusters": [{"name": "a", "weight": 3}, {"name": "b", "weight": 1}]},
                       "auto_host_rewrite": True, "timeout": "0s"},
             "request_headers_to_add": [{"header": {"key": "x-route", "value": "r"},
                                         "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"},
                                        {"header": {"key": "x-multi", "value": "2"}}],
             "request_headers_to_remove": ["x-drop"]}
    view = _view([route], request_headers_to_add=[{"header": {"key": "x-route", "value": "vhost"},
                                                   "append_action": "ADD_IF_ABSENT"}])
    out = _only(explain(ExplainRequest(host="h", path="/p", headers=parse_header_lines(
        "x-drop: 1\nx-multi: 1\nx-route: client")), view))
    assert [(c["name"], c["weight"]) for c in out.clusters] == [("a", 75), ("b", 25)]
    assert out.host_header == "a.svc" and out.timeout == "none (disabled)"
    headers = {h["name"]: h["value"] for h in out.headers}
    assert headers["x-route"] == "r" and headers["x-multi"] == "1,2" and headers["x-global"] == "g"
    assert "x-drop" not in headers and "x-envoy-expected-rq-timeout-ms" not in headers
    assert {"name": "x-drop", "action": "removed", "value": "", "by": "route"} in out.changes


def test_direct_response_and_partial_fractions() -> None:
    view = _view([{"name": "half", "match": {"prefix": "/", "runtime_fraction": {
        "default_value": {"numerator": 5000, "denominator": "TEN_THOUSAND"}}}, "direct_response": {
        "status": 418, "body": {"inline_string": "teapot"}}}])
    x = explain(ExplainRequest(host="h", path="/"), view)
    assert [(o.kind, o.share, o.status) for o in x.outcomes] == [("direct_response", 50, 418), ("no_route", 50, 404)]
    assert x.outcomes[0].body == "teapot"


def test_envoy_matchers() -> None:
    headers = {"x-a": "Hello", ":authority": "api.example.com"}
    assert match_header({"name": "x-a", "string_match": {"prefix": "he", "ignore_case": True}}, headers).ok
    assert not match_header({"name": "x-a", "string_match": {"exact": "hello"}}, headers).ok
    assert match_header({"name": "x-b", "present_match": True, "invert_match": True}, headers).ok
    assert match_header({"name": "X-A", "safe_regex_match": {"regex": "H.*o"}}, headers).ok
    assert match_header({"name": ":authority", "string_match": {"suffix": ".example.com"}}, headers).ok
    assert match_query({"name": "v", "present_match": True}, [("v", "")]).ok
    assert not match_query({"name": "v", "string_match": {"exact": "1"}}, [("v", "2")]).ok
    assert runtime_share({"runtime_fraction": {"default_value": {"numerator": 30}}}) == 30
    assert normalize_path("/a/./b/../c//d/", normalize=True, merge_slashes=True) == "/a/c/d/"
    assert normalize_path("/a//b?x=/../", normalize=True, merge_slashes=False) == "/a//b?x=/../"


@pytest.mark.parametrize(("host", "domain"), [
    ("api.example.com", "api.example.com"), ("www.example.com", "*.example.com"),
    ("foo.example.org", "foo.*"), ("other.net", "*"), ("API.EXAMPLE.COM", "api.example.com"),
])
def test_virtual_host_order(host: str, domain: str) -> None:
    vhosts = [{"domains": ["*"]}, {"domains": ["foo.*"]}, {"domains": ["*.com"]}, {"domains": ["*.example.com"]},
              {"domains": ["api.example.com"]}]
    index, picked, _why = pick_domain(vhosts, host)
    assert picked == domain and vhosts[index or 0]["domains"] == [domain]
