"""Compiling cluster resources: Ingress details, annotation defaults, status updates, resolvers, the endpoints
fast path, and watt's source problems. (Whole inputs and outputs are in tests/golden/{ingress,service-annotations,
endpoint-resolver}.)"""

from __future__ import annotations

import copy
from typing import Any

from diagd.compile import compile, refresh_endpoints
from diagd.compile.ir.cluster import Discovery
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Location, Snapshot, SourceObject
from diagd.snapshot_reader import SnapshotReader
from tests.builders import host, listener, mapping
from tests.support.tls import CertificateAuthority, tls_secret
from watt.formats.atomic import atomic_write
from watt.formats.snapshot import encode_object, encode_snapshot

SETTINGS = CompileSettings(namespace="emissary")


def kube(body: dict[str, Any]) -> SourceObject:
    """An object as watt's Kubernetes source delivers it."""
    meta = body.setdefault("metadata", {})
    meta.setdefault("namespace", "default")
    return SourceObject(body, Location(kind=body["kind"], namespace=meta["namespace"], name=meta["name"]))


def base() -> list[SourceObject]:
    return [kube(listener("http", 8080)), kube(host("any", "*"))]


def ingress(name: str, spec: dict[str, Any], *, annotations: dict[str, str] | None = None,
            api_version: str = "networking.k8s.io/v1") -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": "Ingress",
            "metadata": {"name": name, "namespace": "shop", "annotations": annotations or {}}, "spec": spec}


def backend(service: str, port: int) -> dict[str, Any]:
    return {"service": {"name": service, "port": {"number": port}}}


def routes(result: Any) -> list[tuple[str, str]]:
    return sorted((vh["name"], str(r["match"].get("prefix") or r["match"].get("path")))
                  for rc in result.envoy.route_configs for vh in rc["virtual_hosts"] for r in vh["routes"]
                  if "/ambassador/v0/" not in str(r["match"].get("prefix")))


def test_ingress_tls_makes_hosts_that_select_its_mappings() -> None:
    spec = {"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-cert"}],
            "rules": [{"http": {"paths": [{"path": "/shop/", "pathType": "Prefix", "backend": backend("web", 80)}]}}]}
    secret = tls_secret("shop-cert", CertificateAuthority().issue("shop.example.com"), namespace="shop")
    result = compile(Snapshot(objects=(kube(ingress("store", spec, annotations={
        "kubernetes.io/ingress.class": "ambassador"})), kube(secret))), SETTINGS)
    hosts = {h.name: h for h in result.ir.hosts}
    assert set(hosts) == {"store-0-0"}
    assert hosts["store-0-0"].hostname == "shop.example.com" and hosts["store-0-0"].tls is not None
    (mapping_ir,) = [m for m in result.ir.mappings if not m.internal]
    assert mapping_ir.ref.name == "store-0-0" and mapping_ir.hostname is None
    assert mapping_ir.labels["a10r-k8s-ingress"] == "a10r-ingress-store-shop"
    assert dict(hosts["store-0-0"].mapping_selector or {}) == {"a10r-k8s-ingress": "a10r-ingress-store-shop"}
    assert mapping_ir.upstream.host == "web.shop" and mapping_ir.upstream.port == 80


def test_ingress_without_class_is_ours_only_under_our_default_ingress_class() -> None:
    spec = {"rules": [{"http": {"paths": [{"path": "/d/", "pathType": "Prefix", "backend": backend("web", 80)}]}}]}
    ours = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "emissary", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
            "spec": {"controller": "getambassador.io/ingress-controller"}}
    plain = kube(ingress("plain", spec))
    without_default = compile(Snapshot(objects=(*base(), plain)), SETTINGS)
    assert routes(without_default) == []
    with_default = compile(Snapshot(objects=(*base(), plain, kube(ours))), SETTINGS)
    assert routes(with_default) == [("any.default", "/d/")]


def test_v1beta1_ingress_backends() -> None:
    spec = {"backend": {"serviceName": "web", "servicePort": 8080},
            "rules": [{"host": "b.example.com", "http": {"paths": [
                {"path": "/b/", "backend": {"serviceName": "web", "servicePort": 81}}]}}]}
    obj = kube(ingress("old", spec, annotations={"kubernetes.io/ingress.class": "ambassador"},
                       api_version="networking.k8s.io/v1beta1"))
    result = compile(Snapshot(objects=(*base(), obj)), SETTINGS)
    services = {m.ref.name: m.upstream.service for m in result.ir.mappings if not m.internal}
    assert services == {"old-default-backend": "web.shop:8080", "old-0-0": "web.shop:81"}


def test_annotation_objects_take_the_parents_namespace_and_labels() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "svc", "namespace": "team", "labels": {"tier": "gold"}, "annotations": {
            "getambassador.io/config": "apiVersion: getambassador.io/v3alpha1\nkind: Mapping\nname: m\n"
                                       "hostname: '*'\nprefix: /m/\nservice: backend\n"}}, "spec": {"ports": []}}
    result = compile(Snapshot(objects=(*base(), kube(service))), SETTINGS)
    (m,) = [m for m in result.ir.mappings if not m.internal]
    assert (m.ref.namespace, m.ref.rkey, dict(m.labels)) == ("team", "svc.team.1", {"tier": "gold"})
    assert m.ref.location.parent == "svc.team"
    assert m.upstream.host == "backend.team"  # SPEC §5.4: another namespace's bare name is qualified


def _status(result: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(u.kind, u.name): dict(u.status) for u in result.status_updates}


def test_host_and_mapping_status() -> None:
    bad_host = host("bad", "bad.example.com")
    bad_host["spec"]["requestPolicy"] = {"insecure": {"action": "Sideways"}}
    objects = (*base(), kube(bad_host), kube(mapping("good", "/g/", "g")), kube(mapping("bad", "/b/", "b:x")))
    without = compile(Snapshot(objects=objects), SETTINGS)
    assert _status(without) == {("Host", "any"): {"state": "Ready", "errorReason": None},
                                ("Host", "bad"): {"state": "Error", "errorReason": _status(without)[("Host", "bad")]
                                                  ["errorReason"]}}
    assert "Sideways" in _status(without)[("Host", "bad")]["errorReason"]
    with_mappings = compile(Snapshot(objects=objects), CompileSettings(namespace="emissary",
                                                                       update_mapping_status=True))
    statuses = _status(with_mappings)
    assert statuses[("Mapping", "good")] == {"state": "Running", "reason": None}
    assert statuses[("Mapping", "bad")]["state"] == "Inactive"
    assert "InvalidPort" in statuses[("Mapping", "bad")]["reason"]


def test_files_get_no_status() -> None:
    obj = SourceObject(mapping("m", "/m/", "m"), Location(file="a.yaml", line=1, index=1))
    assert compile(Snapshot(objects=(obj,)), CompileSettings(update_mapping_status=True)).status_updates == ()


def test_ingress_status_copies_our_services_load_balancer() -> None:
    own = {"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "gw", "namespace": "emissary", "labels": {"app.kubernetes.io/component": "ambassador-service"}},
        "spec": {"ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}}
    spec = {"rules": [{"http": {"paths": [{"path": "/i/", "pathType": "Prefix", "backend": backend("web", 80)}]}}]}
    ing = kube(ingress("i", spec, annotations={"kubernetes.io/ingress.class": "ambassador"}))
    result = compile(Snapshot(objects=(*base(), ing, kube(own))), SETTINGS)
    (update,) = [u for u in result.status_updates if u.kind == "Ingress"]
    assert (update.namespace, update.name, update.api_version) == ("shop", "i", "networking.k8s.io/v1")
    assert dict(update.status) == {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}


def _eds_objects(ports: list[int]) -> tuple[SourceObject, ...]:
    """A Mapping with the endpoint resolver, its Service, and Endpoints on 127.0.0.1 at ``ports``."""
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"}, "subsets": [
        {"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": port}]} for port in ports]}
    eds = mapping("eds", "/eds/", "web:80")
    eds["spec"]["resolver"] = "endpoint"
    return (*base(), kube(eds), kube(svc), kube(endpoints))


def test_module_resolver_is_the_default() -> None:
    module = {"apiVersion": "getambassador.io/v3alpha1", "kind": "Module", "metadata": {"name": "ambassador"},
              "spec": {"config": {"resolver": "kubernetes-endpoint"}}}
    result = compile(Snapshot(objects=(*base(), kube(mapping("m", "/m/", "web")), kube(module))), SETTINGS)
    (m,) = [m for m in result.ir.mappings if not m.internal]
    assert m.upstream.discovery is Discovery.EDS and m.upstream.host == "web.default"


def test_refresh_endpoints_gives_what_a_full_compile_gives() -> None:
    before = compile(Snapshot(objects=_eds_objects([8080])), SETTINGS)
    after = Snapshot(objects=_eds_objects([8080, 8087]))
    refreshed = refresh_endpoints(before, after, SETTINGS)
    assert refreshed.envoy.to_json() == compile(after, SETTINGS).envoy.to_json()
    assert refreshed.envoy.endpoints != before.envoy.endpoints
    assert refreshed.envoy.clusters == before.envoy.clusters and refreshed.ir is before.ir


def test_reader_reports_which_kinds_changed(tmp_path: Any) -> None:
    path = str(tmp_path / "snapshot.ndjson")
    reader = SnapshotReader(path)

    def write(objects: tuple[SourceObject, ...], seq: int) -> frozenset[str]:
        lines = [encode_object(o.body, {"kind": o.location.kind, "namespace": o.location.namespace,
                                        "name": o.location.name}) for o in objects]
        atomic_write(path, encode_snapshot({"format": 1, "seq": seq}, lines))
        reader.read()
        return reader.changed_kinds

    write(_eds_objects([8080]), 1)
    assert write(_eds_objects([8082]), 2) == {"Endpoints"}
    changed = copy.deepcopy(_eds_objects([8082]))
    changed[2].body["spec"]["prefix"] = "/other/"
    assert write(changed, 3) == {"Mapping"}


def test_source_problems_become_diag_problems() -> None:
    meta = {"source": {"kind": "kubernetes", "problems": [
        {"kind": "Mapping", "severity": "notice", "reason": "KindNotServed", "message": "no CRD"},
        {"kind": "Host", "severity": "error", "reason": "Forbidden", "message": "cannot watch"}]}}
    problems = compile(Snapshot(objects=tuple(base()), meta=meta), SETTINGS).problems
    found = {(p.severity.value, p.reason, p.message) for p in problems if p.rkey == "-global-"}
    assert {("notice", "KindNotServed", "no CRD"), ("error", "Forbidden", "cannot watch")} <= found


def test_gateway_api_objects_are_set_aside_with_one_notice() -> None:
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
             "spec": {"parentRefs": [{"name": "gw"}]}}
    gateway = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw"},
               "spec": {"gatewayClassName": "gc", "listeners": []}}
    problems = compile(Snapshot(objects=(*base(), kube(route), kube(gateway))), SETTINGS).problems
    assert [p.reason for p in problems if p.severity.value == "error"] == []
    (notice,) = [p for p in problems if p.reason == "GatewayAPINotCompiled"]
    assert "2 Gateway API objects (Gateway, HTTPRoute)" in notice.message
