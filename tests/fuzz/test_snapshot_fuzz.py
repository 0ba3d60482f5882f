"""Fuzzing at the snapshot level: random, truncated and hostile documents never crash watt's loader or the
compiler, every problem is tied to a resource, and valid resources beside them still compile."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagd.compile import compile
from diagd.compile.model.problems import GLOBAL_KEY
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Snapshot
from diagd.snapshot_reader import SnapshotReader
from tests.builders import host, listener, mapping, to_yaml
from tests.support.snapshots import snapshot_from_text
from watt.files.loader import parse_text
from watt.formats.snapshot import encode_object

KINDS = ["Mapping", "Host", "Listener", "Module", "TLSContext", "TCPMapping", "Secret", "AuthService", "Gizmo", ""]
API_VERSIONS = ["getambassador.io/v3alpha1", "getambassador.io/v2", "getambassador.io/v1", "v1", "x/y", ""]
FIELDS = ["prefix", "service", "hostname", "host", "host_regex", "prefix_regex", "prefix_exact", "headers",
          "regex_headers", "query_parameters", "method", "rewrite", "regex_rewrite", "weight", "timeout_ms",
          "precedence", "port", "protocol", "securityModel", "hostBinding", "requestPolicy", "mappingSelector",
          "config", "ambassador_id", "tls", "tlsSecret", "cors", "retry_policy", "load_balancer", "labels",
          "add_request_headers", "circuit_breakers", "shadow", "host_redirect", "grpc", "case_sensitive"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.text(alphabet=st.characters(min_codepoint=0x80), max_size=10),
    st.sampled_from(["*", "/", "^/[a-z", "127.0.0.1:1", "https://x", "Route", "HTTP", "XFP", "ALL", "0"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
specs = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
metas = st.one_of(values, st.fixed_dictionaries({"name": st.one_of(st.text(max_size=20), values)},
                                                optional={"namespace": st.one_of(st.text(max_size=10), values),
                                                          "labels": values}))
documents = st.one_of(
    values,
    st.fixed_dictionaries({"apiVersion": st.sampled_from(API_VERSIONS), "kind": st.sampled_from(KINDS),
                           "metadata": metas, "spec": st.one_of(specs, values)}),
)

VALID = to_yaml(listener("l", 8080), host("h"), mapping("anchor", "/anchor/", "127.0.0.1:9000"))


def _snapshot(docs: list[Any]) -> Snapshot:
    base = snapshot_from_text(VALID, filename="0-valid.yaml")  # sorts first: wins duplicate names
    lines = [encode_object(doc, {"file": "fuzz.yaml", "line": i + 1, "index": i + 1}) for i, doc in enumerate(docs)]
    fuzzed = tuple(SnapshotReader._decode(line) for line in lines)
    return Snapshot(objects=base.objects + tuple(f for f in fuzzed if hasattr(f, "body")), invalid=base.invalid)


def _anchor_routed(result: Any) -> bool:
    return any(r.get("match", {}).get("prefix") == "/anchor/"
               for rc in result.envoy.route_configs for vh in rc["virtual_hosts"] for r in vh["routes"])


GLOBAL_REASONS = {"NoListeners", "DefaultHost"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents, max_size=6))
def test_hostile_documents_never_crash_the_compiler_and_valid_ones_still_route(docs: list[Any]) -> None:
    snapshot = _snapshot(docs)
    result = compile(snapshot, CompileSettings())
    for problem in result.problems:
        assert problem.reason and problem.reason[0].isupper() and " " not in problem.reason
        assert problem.rkey != GLOBAL_KEY or problem.reason in GLOBAL_REASONS, problem
    assert _anchor_routed(result), "a valid Mapping stopped routing because of other documents"
    json.dumps(result.envoy.to_json())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_random_text_never_crashes_the_file_loader(text: str) -> None:
    result = parse_text(text, is_json=False)
    assert (result.error is None) or (result.documents == () and result.error.message)
    json_result = parse_text(text, is_json=True)
    assert (json_result.error is None) or json_result.documents == ()


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(VALID)))
def test_a_truncated_file_loads_or_is_reported_and_never_crashes_the_compiler(cut: int) -> None:
    snapshot = snapshot_from_text(VALID[:cut], filename="cut.yaml")
    result = compile(snapshot, CompileSettings())
    assert all(p.rkey for p in result.problems)


def test_deep_nesting_is_a_parse_error_not_a_crash() -> None:
    for text in ("[" * 20000 + "]" * 20000, "a:\n" + "".join(" " * i + "- \n" for i in range(1, 3000))):
        result = parse_text(text, is_json=False)
        assert result.error is not None or result.documents
    deep: Any = "x"
    for _ in range(200):
        deep = {"k": deep}
    result = compile(_snapshot([{"apiVersion": "getambassador.io/v3alpha1", "kind": "Mapping",
                                 "metadata": {"name": "deep"}, "spec": {"prefix": "/d/", "service": "s",
                                                                        "headers": deep}}]), CompileSettings())
    assert any(p.name == "deep" and p.severity.value == "error" for p in result.problems)


def test_huge_strings_and_duplicate_keys_are_handled() -> None:
    huge = "a" * 1_000_000
    text = f"apiVersion: getambassador.io/v3alpha1\nkind: Mapping\nmetadata: {{name: big}}\nspec:\n" \
           f"  prefix: /{huge}/\n  service: s\n  service: t\n  hostname: '*'\n"
    [doc] = parse_text(text, is_json=False).documents
    assert doc.body["spec"]["service"] == "t"  # the last duplicate wins, as in Kubernetes' YAML decoding
    result = compile(snapshot_from_text(text), CompileSettings())
    assert result.problems is not None


header_names = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)
mapping_specs = st.fixed_dictionaries(
    {"prefix": st.text(min_size=1, max_size=20).map(lambda s: "/" + s), "service": st.just("127.0.0.1:9000")},
    optional={
        "hostname": st.sampled_from(["*", "a.example.com", "*.example.com", "a.*", "UPPER.example.com"]),
        "headers": st.dictionaries(header_names, st.one_of(st.text(max_size=10), st.just(True)), max_size=2),
        "query_parameters": st.dictionaries(header_names, st.text(max_size=10), max_size=2),
        "method": st.sampled_from(["GET", "post", "PUT", "BREW"]),
        "rewrite": st.text(max_size=10),
        "timeout_ms": st.integers(min_value=0, max_value=10**12),
        "weight": st.integers(min_value=0, max_value=100),
        "precedence": st.integers(min_value=-(2**40), max_value=2**40),
        "case_sensitive": st.booleans(),
        "prefix_exact": st.booleans(),
    })


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mapping_specs, min_size=1, max_size=3))
def test_what_the_compiler_accepts_the_real_envoy_accepts(specs_: list[dict[str, Any]]) -> None:
    from diagd.envoy_validate import validate_envoy

    docs = [{"apiVersion": "getambassador.io/v3alpha1", "kind": "Mapping", "metadata": {"name": f"f{i}"},
             "spec": spec} for i, spec in enumerate(specs_)]
    result = compile(_snapshot(docs), CompileSettings())
    outcome = validate_envoy(result.envoy)
    assert outcome.ok, f"compiler output rejected by Envoy: {outcome.output[-600:]}\nproblems: {result.problems}"
