"""Unit tests of single rules of the external-service kinds, next to their golden cases and the policy suites
that run them through real Envoy."""

from __future__ import annotations

from typing import Any

from diagd.compile import compile
from diagd.compile.envoy.ext_authz import _lua_string
from diagd.compile.envoy.ratelimit import rate_limit_action
from diagd.compile.ir.cluster import Discovery
from diagd.compile.ir.policies import LabelGroup, LabelSpecifier
from diagd.compile.ir.ratelimit import label_groups_for
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Location, Snapshot, SourceObject
from tests.builders import host, listener, mapping, module, resource


def _compile(*docs: dict[str, Any]) -> Any:
    objects = tuple(SourceObject(d, Location(file="t.yaml", index=i + 1)) for i, d in enumerate(docs))
    return compile(Snapshot(objects=objects), CompileSettings())


def _base() -> list[dict[str, Any]]:
    return [listener("l", 8080), host("h"), mapping("m", "/m/", "app")]


REMOTE = LabelSpecifier(kind="remote_address")
KEY = LabelSpecifier(kind="generic_key", value="k")


def test_default_labels_are_prepended_to_each_group_of_the_domain_only() -> None:
    labels = (LabelGroup("edge", "a", (KEY,)), LabelGroup("other", "b", (KEY,)), LabelGroup("edge", "c", ()))
    assert label_groups_for(labels, "edge", (REMOTE,)) == (LabelGroup("edge", "a", (REMOTE, KEY)),
                                                           LabelGroup("edge", "c", (REMOTE,)))


def test_without_groups_of_the_domain_the_defaults_form_a_group_named_default() -> None:
    assert label_groups_for((LabelGroup("other", "b", (KEY,)),), "edge", (REMOTE,)) == (
        LabelGroup("edge", "default", (REMOTE,)),)
    assert label_groups_for((), "edge", ()) == ()


def test_label_specifiers_become_envoy_actions() -> None:
    assert rate_limit_action(REMOTE) == {"remote_address": {}}
    assert rate_limit_action(KEY) == {"generic_key": {"descriptor_value": "k"}}
    assert rate_limit_action(LabelSpecifier(kind="generic_key", key="tier", value="gold")) == {
        "generic_key": {"descriptor_value": "gold", "descriptor_key": "tier"}}
    assert rate_limit_action(LabelSpecifier(kind="request_headers", key="u", header_name="x-u",
                                            omit_if_not_present=True)) == {
        "request_headers": {"header_name": "x-u", "descriptor_key": "u", "skip_if_absent": True}}


def test_compatible_auth_services_become_one_cluster_over_all_addresses() -> None:
    spec = {"path_prefix": "/auth", "proto": "http"}
    result = _compile(*_base(), resource("AuthService", "a", {"auth_service": "127.0.0.1:80", **spec}),
                      resource("AuthService", "b", {"auth_service": "auth-b:80", **spec}),
                      resource("AuthService", "c", {"auth_service": "127.0.0.1:80", **spec}))
    auth = result.ir.services.auth
    assert [s.name for s in auth.sources] == ["a", "b", "c"]
    assert auth.upstream.more_endpoints == (("auth-b", 80),), "a repeated address is one endpoint"
    assert auth.upstream.discovery is Discovery.STRICT_DNS, "a DNS name among IPs needs DNS"
    cluster = next(c for c in result.envoy.clusters if c["name"] == auth.cluster)
    addresses = [e["endpoint"]["address"]["socket_address"] for e in cluster["load_assignment"]["endpoints"][0]
                 ["lb_endpoints"]]
    assert addresses == [{"address": "127.0.0.1", "port_value": 80}, {"address": "auth-b", "port_value": 80}]


def test_an_auth_service_that_disagrees_is_rejected_and_the_first_wins() -> None:
    result = _compile(*_base(), resource("AuthService", "a", {"auth_service": "a:80", "timeout_ms": 100}),
                      resource("AuthService", "b", {"auth_service": "b:80", "proto": "grpc",
                                                    "protocol_version": "v3"}))
    assert [s.name for s in result.ir.services.auth.sources] == ["a"]
    (problem,) = [p for p in result.problems if p.name == "b"]
    assert problem.reason == "ConflictingAuthService" and "proto" in problem.message and "timeout_ms" in problem.message


def test_an_unusable_auth_service_never_leaves_requests_unchecked() -> None:
    result = _compile(*_base(), resource("AuthService", "a", {"auth_service": "a:80", "proto": "grpc"}))
    assert result.ir.services.auth is None
    assert [r.name for r in result.ir.services.auth_failure.sources] == ["a"]
    listener_json = next(lst for lst in result.envoy.listeners if lst["name"] == "l")
    filters = listener_json["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]
    assert [f["name"] for f in filters][1] == "envoy.filters.http.lua.authservice_misconfigured"


def test_no_rate_limiting_without_a_usable_rate_limit_service() -> None:
    labelled = mapping("m", "/m/", "app")
    labelled["spec"]["labels"] = {"ambassador": [{"g": ["remote_address"]}]}
    for spec in ({"service": "rls:81"}, {"service": "rls:81", "protocol_version": "v2"}):
        result = _compile(listener("l", 8080), host("h"), labelled, resource("RateLimitService", "r", spec))
        assert result.ir.services.ratelimit is None
        assert "rate_limits" not in str(result.envoy.route_configs)
    result = _compile(listener("l", 8080), host("h"), labelled,
                      resource("RateLimitService", "r", {"service": "rls:81", "protocol_version": "v3"}))
    assert "rate_limits" in str(result.envoy.route_configs)


def test_module_default_label_domain_is_the_services_domain() -> None:
    result = _compile(*_base(), module({"default_label_domain": "edge"}),
                      resource("RateLimitService", "r", {"service": "rls:81", "protocol_version": "v3"}))
    assert result.ir.services.ratelimit.domain == "edge"


def test_lua_long_strings_survive_any_closing_bracket() -> None:
    for text in ("plain", "a]]b", "x]=]y]]", "ends with ]"):
        literal = _lua_string(text)
        equals = "=" * (literal.index("[", 1) - 1)
        closing = f"]{equals}]"
        assert literal == f"[{equals}[{text}{closing}"
        assert (text + closing).index(closing) == len(text), "Lua ends the string at the first closing bracket"


def test_a_memo_never_serves_routes_rendered_for_other_external_services() -> None:
    from diagd.compile import CompileMemo
    from tests.diagd.compile.test_memo import _out, _snapshot

    labelled = mapping("limited", "/limited/", "127.0.0.1:9000", bypass_auth=True)
    labelled["spec"]["labels"] = {"ambassador": [{"g": ["remote_address"]}]}
    base = [listener("l", 8080), host("h"), labelled, mapping("m", "/m/", "127.0.0.1:9000")]
    auth = resource("AuthService", "a", {"auth_service": "127.0.0.1:9001"})
    rls = resource("RateLimitService", "r", {"service": "127.0.0.1:9002", "protocol_version": "v3"})
    memo, settings = CompileMemo(), CompileSettings()
    for docs in (base, [*base, auth], [*base, auth, rls], [*base, rls], base):
        snapshot = _snapshot(*docs)
        assert _out(compile(snapshot, settings, memo)) == _out(compile(snapshot, settings))
