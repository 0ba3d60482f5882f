"""Property: whatever resources arrive, ``compile`` never raises; every problem has a stable reason code and names
its resource; valid resources in the same snapshot still compile to routes; the Envoy output parses as Envoy's
protobuf types."""

from __future__ import annotations

import json
import re
from typing import Any

from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ambex.protos import ensure_types, message_class
from diagd.compile import compile
from diagd.compile.model.problems import GLOBAL_KEY
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Location, Snapshot, SourceObject
from tests.builders import host, listener, mapping

REASON = re.compile(r"^[A-Z][A-Za-z0-9]+$")
KINDS = ["Mapping", "Host", "Listener", "TLSContext", "TCPMapping", "Module", "Secret", "Gizmo"]
FIELDS = [
    "prefix", "service", "hostname", "host", "host_regex", "headers", "regex_headers", "query_parameters",
    "method", "rewrite", "regex_rewrite", "weight", "precedence", "timeout_ms", "cors", "retry_policy",
    "circuit_breakers", "load_balancer", "add_request_headers", "remove_response_headers", "host_redirect",
    "path_redirect", "redirect_response_code", "shadow", "tls", "grpc", "labels", "allow_upgrade", "port",
    "protocol", "securityModel", "hostBinding", "tlsSecret", "tlsContext", "requestPolicy", "mappingSelector",
    "secret", "hosts", "min_tls_version", "ca_secret", "cert_required", "config", "ambassador_id", "address",
    "stats_name", "docs", "keepalive", "dns_type", "data", "prefix_regex", "prefix_exact", "case_sensitive",
]
API_VERSIONS = ["getambassador.io/v3alpha1", "getambassador.io/v2", "v1", "example.com/v1", None, 5]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False, width=32),
                    st.text(max_size=12), st.sampled_from(["*", "/", "x:80", "https://a", "v1.2", "ring_hash", "5xx",
                                                           "websocket", "a.example.com", "HTTPS", "XFP", "ALL"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(FIELDS + ["name", "value",
                                                                                                 "policy", "from"]),
                                                                       inner, max_size=3)), max_leaves=8)
specs = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)


@st.composite
def resources(draw: st.DrawFn) -> Any:
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return draw(values)
    body: dict[str, Any] = {"apiVersion": draw(st.sampled_from(API_VERSIONS)), "kind": draw(st.sampled_from(KINDS))}
    name = draw(st.one_of(st.text(min_size=1, max_size=8).map(lambda t: "r-" + t), st.none(), st.integers()))
    if shape == 1:  # the flat (annotation) form
        body.update(draw(specs))
        body["name"] = name
        return body
    body["metadata"] = {"name": name, "namespace": draw(st.sampled_from([None, "default", "other", 3]))}
    body["spec"] = draw(specs) if shape < 9 else draw(values)
    return body


BASES = {
    "Mapping": {"prefix": "/p/", "service": "svc", "hostname": "*"},
    "Host": {"hostname": "h.example.com", "requestPolicy": {"insecure": {"action": "Route"}}},
    "Listener": {"port": 8443, "protocol": "HTTPS", "securityModel": "XFP", "hostBinding": {"namespace": {"from": "ALL"}}},
    "TCPMapping": {"port": 9000, "service": "db:5432"},
    "TLSContext": {"hosts": ["h.example.com"], "secret": "s"},
    "Module": {"config": {}},
}


@st.composite
def near_valid(draw: st.DrawFn) -> Any:
    """A valid resource with a few fields replaced by random values: reaches the deeper checks."""
    kind = draw(st.sampled_from(sorted(BASES)))
    spec = dict(BASES[kind])
    target = spec["config"] if kind == "Module" else spec
    target.update(draw(st.dictionaries(st.sampled_from(FIELDS), values, min_size=1, max_size=3)))
    name = "ambassador" if kind == "Module" else "r-" + draw(st.text(min_size=1, max_size=6))
    return {"apiVersion": "getambassador.io/v3alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec}


VALID = [listener("http", 8080), host("any"), mapping("valid-probe", "/valid-probe/", "valid-upstream")]


def _snapshot(raw: list[Any]) -> Snapshot:
    objects = [SourceObject(doc, Location(file="a-valid.yaml", index=i + 1, line=1)) for i, doc in enumerate(VALID)]
    objects += [SourceObject(doc, Location(file="random.yaml", index=i + 1, line=i + 1)) for i, doc in enumerate(raw)]
    return Snapshot(objects=tuple(objects))


def _parses_as_envoy(resource: Any, type_name: str) -> None:
    text = json.dumps(resource)
    ensure_types(text)
    json_format.Parse(text, message_class(type_name)())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(resources(), near_valid()), max_size=12))
def test_compile_never_raises_and_valid_resources_still_route(raw: list[Any]) -> None:
    result = compile(_snapshot(raw), CompileSettings())
    keys = {ref.rkey for ref in result.resources}
    for problem in result.problems:
        assert REASON.match(problem.reason), problem
        assert problem.message
        assert problem.rkey == GLOBAL_KEY or problem.rkey.startswith(("a-valid.yaml.", "random.yaml.")) \
            or problem.rkey in keys, problem
    assert not any(p.rkey.startswith("a-valid.yaml.") and p.severity.value == "error" for p in result.problems)
    names = {r["name"] for rc in result.envoy.route_configs for vh in rc["virtual_hosts"] for r in vh["routes"]}
    assert "default.valid-probe" in names
    for cluster in result.envoy.clusters:
        _parses_as_envoy(cluster, "envoy.config.cluster.v3.Cluster")
    for rc in result.envoy.route_configs:
        _parses_as_envoy(rc, "envoy.config.route.v3.RouteConfiguration")
    for lst in result.envoy.listeners:
        _parses_as_envoy(lst, "envoy.config.listener.v3.Listener")
