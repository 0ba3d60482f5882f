"""Unit tests of single compiler rules, next to the golden files and the behaviour suite that cover them end to end."""

from __future__ import annotations

import base64

import pytest

from diagd.compile import compile
from diagd.compile.envoy.http_filters import HttpFilter, http_filters, register, registered
from diagd.compile.ir.matches import glob_compatible
from diagd.compile.kinds.policies import duration_ms
from diagd.compile.model.regex import header_name_problem, re2_problem
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Location, Snapshot, SourceObject
from diagd.compile.ir.serialize import to_json
from tests.builders import host, listener, mapping
from tests.support.tls import CertificateAuthority, tls_secret


def _compile(*docs: dict, settings: CompileSettings | None = None):  # type: ignore[no-untyped-def]
    objects = tuple(SourceObject(d, Location(file="t.yaml", index=i + 1)) for i, d in enumerate(docs))
    return compile(Snapshot(objects=objects), settings or CompileSettings())


def _fractions(result, prefix: str) -> list[tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    group = next(g for g in result.ir.groups if g.members[0].mapping.path.value == prefix)
    return [(m.mapping.ref.name, m.fraction) for m in group.members]


@pytest.mark.parametrize(("weights", "expected"), [
    ((None, 10), [("m1", 10), ("m0", 100)]),
    ((30, None, None), [("m0", 30), ("m1", 65), ("m2", 100)]),
    ((20, 30), [("m0", 20), ("m1", 50)]),  # falls through for the other half
    ((None, 100), [("m1", 100), ("m0", 100)]),
    ((50,), [("m0", None)]),  # a group of one takes everything, whatever its weight
])
def test_canary_shares_are_cumulative_with_the_remainder_split(weights: tuple, expected: list) -> None:
    docs = [mapping(f"m{i}", "/c/", f"s{i}", **({} if w is None else {"weight": w})) for i, w in enumerate(weights)]
    assert _fractions(_compile(listener("l", 8080), host("h"), *docs), "/c/") == expected


@pytest.mark.parametrize(("a", "b", "compatible"), [
    ("*", "x.com", True), ("*.example.com", "a.example.com", True), ("*.example.com", "example.com", False),
    ("foo.*", "*.com", True), ("a.com", "b.com", False), ("*.a.example.com", "*.example.com", True),
])
def test_hostname_globs_are_compatible_when_some_name_matches_both(a: str, b: str, compatible: bool) -> None:
    assert glob_compatible(a, b) is compatible and glob_compatible(b, a) is compatible


def test_re2_check_rejects_lookaround_and_backreferences_but_not_unicode_classes() -> None:
    assert re2_problem("^/(?!x)") and re2_problem(r"(a)\1") and re2_problem("(open")
    assert re2_problem(r"^/\pL+$") is None and re2_problem(r"^/[[:word:]]*") is None
    assert re2_problem(r"\\1") is None


def test_header_names_allow_pseudo_headers_and_reject_spaces() -> None:
    assert header_name_problem(":authority") is None and header_name_problem("x-ok_1") is None
    assert header_name_problem("bad header") and header_name_problem("")


@pytest.mark.parametrize(("text", "ms"), [("1.5s", 1500), ("250ms", 250), ("2m", 120_000), (3, 3000),
                                           ("soon", None), (True, None), (-1, None)])
def test_durations_read_as_milliseconds(text: object, ms: int | None) -> None:
    assert duration_ms(text) == ms


def test_private_key_bytes_never_reach_ir_or_envoy_output() -> None:
    issued = CertificateAuthority().issue("tls.example.com")
    secret = tls_secret("cert", issued)
    result = _compile(listener("l", 8443, protocol="HTTPS"), secret,
                      host("h", "tls.example.com", action=None, tlsSecret={"name": "cert"}),
                      settings=CompileSettings(secrets_dir="/s"))
    key_b64 = base64.b64encode(issued.key_pem).decode()
    text = repr(to_json(result.ir)) + repr(result.envoy.to_json()) + repr(result.problems)
    assert issued.key_pem.decode().splitlines()[1] not in text and key_b64 not in text
    assert issued.key_pem in result.secret_files.values()
    assert all(path.startswith("/s/") for path in result.secret_files)


def test_http_filter_registry_keeps_router_last_and_orders_by_band() -> None:
    names = [f.name for f in registered()]
    assert names[-1] == "envoy.filters.http.router" and "envoy.filters.http.cors" in names
    extra = register(HttpFilter("test.filter", 150, lambda g, lst: True, lambda g, lst: {"@type": "x"}))
    try:
        result = _compile(listener("l", 8080), host("h"))
        order = [f["name"] for f in http_filters(result.ir, result.ir.listeners[0].listener)]
        assert order.index("envoy.filters.http.cors") < order.index("test.filter") < order.index(
            "envoy.filters.http.router")
    finally:
        from diagd.compile.envoy import http_filters as module
        module._REGISTRY.pop(extra.name)


def test_one_cluster_serves_every_mapping_with_the_same_upstream_settings() -> None:
    docs = [mapping(f"m{i}", f"/p{i}/", "shared") for i in range(20)]
    docs.append(mapping("slow", "/slow/", "shared", connect_timeout_ms=9000))
    result = _compile(listener("l", 8080), host("h"), *docs)
    shared = [c for c in result.ir.clusters if c.upstream.service == "shared"]
    assert len(shared) == 2
    assert sorted(len(c.sources) for c in shared) == [1, 20]


def test_a_mapping_that_spells_out_every_default_compiles_as_one_that_leaves_them_out() -> None:
    """Mappings that name no cluster or route option are read without probing each field (kinds/upstream.py,
    kinds/route_options.py): the result must be what reading every field gives."""
    from diagd.compile import compile as compile_snapshot
    from diagd.compile.ir.serialize import to_json
    from diagd.compile.model.settings import CompileSettings
    from tests.builders import host, listener, mapping, module, to_yaml
    from tests.support.snapshots import snapshot_from_text

    spelled = {"grpc": False, "connect_timeout_ms": 3000, "respect_dns_ttl": False, "dns_type": "strict_dns",
               "use_websocket": False, "allow_upgrade": [], "cluster_tag": "", "enable_ipv4": True,
               "enable_ipv6": False}
    for modules in ([], [module({"add_linkerd_headers": True, "cluster_idle_timeout_ms": 5000})]):
        for service in ("svc.ns:8080", "127.0.0.1:9000"):
            out = []
            for spec in ({}, spelled):
                text = to_yaml(listener("l", 8080), host("h"), *modules, mapping("m", "/m/", service, **spec))
                ir = to_json(compile_snapshot(snapshot_from_text(text), CompileSettings()).ir)
                out.append([{**m, "ref": None} for m in ir["mappings"] if m["ref"]["name"] == "m"])
            assert out[0] == out[1] and out[0], (modules, service)
