"""The whole gateway (`emissary-py run`) on cluster resources: watt watches the real API server as the shipped
ServiceAccount; writes through the official client reach Envoy; status is written back; endpoints go over EDS.

Traffic goes only to upstreams on 127.0.0.1 (``service: 127.0.0.1:<port>``). Cluster IPs and endpoint addresses
(10.x) are data: EDS is checked in Envoy's own config dump, never dialled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from tests.k8s.apiserver import ApiServer
from tests.k8s.kube import Kube
from tests.support.addresses import endpoint_ip
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.processes import wait_until
from tests.support.tls import CertificateAuthority, client_context, common_name, https_request, tls_secret
from tests.support.upstreams import EchoServer

pytestmark = [pytest.mark.slow, pytest.mark.envoy]

GROUP, VERSION = "getambassador.io", "v3alpha1"


class Cluster:
    """A test's namespace, written through the official ``kubernetes`` client (CustomObjectsApi, CoreV1Api)."""

    def __init__(self, apiserver: ApiServer, namespace: str) -> None:
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(apiserver.kubeconfig), client_configuration=configuration)
        api = client.ApiClient(configuration)
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)
        self.namespace = namespace

    def create(self, plural: str, kind: str, name: str, spec: dict[str, Any], **meta: Any) -> None:
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": kind, "metadata": {"name": name, **meta}, "spec": spec}
        self.custom.create_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, body)

    def delete(self, plural: str, name: str) -> None:
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, name)

    def status(self, plural: str, name: str) -> dict[str, Any]:
        obj = self.custom.get_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, name)
        return dict(obj.get("status") or {})


@pytest.fixture
def cluster(apiserver: ApiServer, namespace: str) -> Cluster:
    return Cluster(apiserver, namespace)


@pytest.fixture
def gateway(gateway_factory: Callable[..., Gateway], cluster: Cluster, shipped_rbac_kubeconfig: Path) -> Iterator[Gateway]:
    """A gateway watching the test's namespace as the shipped ServiceAccount, writing Mapping status too."""
    gw = gateway_factory(env={
        "KUBECONFIG": str(shipped_rbac_kubeconfig), "AMBASSADOR_CONFIG_DIR": "",
        "AMBASSADOR_NAMESPACE": cluster.namespace, "AMBASSADOR_SINGLE_NAMESPACE": "true",
        "AMBASSADOR_UPDATE_MAPPING_STATUS": "true", "AMBASSADOR_KUBE_RETRY": "1",
    })
    cluster.create("listeners", "Listener", "http", {
        "port": gw.ports.http, "protocol": "HTTP", "securityModel": "XFP", "hostBinding": {"namespace": {"from": "SELF"}}})
    cluster.create("hosts", "Host", "any", {"hostname": "*", "requestPolicy": {"insecure": {"action": "Route"}}})
    yield gw.start()


def _mapping(upstream: EchoServer, prefix: str, **spec: Any) -> dict[str, Any]:
    return {"hostname": "*", "prefix": prefix, "service": upstream.address, **spec}


def test_mappings_route_error_and_delete(gateway: Gateway, cluster: Cluster,
                                         echo_factory: Callable[[str], EchoServer]) -> None:
    echo = echo_factory("echo")
    cluster.create("mappings", "Mapping", "echo", _mapping(echo, "/echo/"))
    answer = gateway.wait_for("/echo/hello", 200, timeout=30)
    assert answer.json()["server"] == "echo" and answer.json()["path"] == "/hello"

    cluster.create("mappings", "Mapping", "broken", {"hostname": "*", "prefix": "/broken/",
                                                     "service": f"{echo.address}.invalid"})
    wait_until(lambda: any("broken" in str(key) for key, _ in gateway.diag()["errors"]), timeout=30,
               what="the invalid Mapping's error in diag")
    errors = [message for key, message in gateway.diag()["errors"] if "broken" in str(key)]
    assert any("invalid port" in m for m in errors), errors
    assert gateway.get("/echo/again").status == 200 and gateway.get("/broken/x").status == 404

    status = wait_until(lambda: (s := cluster.status("mappings", "broken")).get("state") == "Inactive" and s,
                        timeout=30, what="Inactive status on the invalid Mapping")
    assert "invalid port" in status["reason"]
    wait_until(lambda: cluster.status("mappings", "echo") == {"state": "Running"}, timeout=30,
               what="Running status on the good Mapping")
    wait_until(lambda: cluster.status("hosts", "any") == {"state": "Ready"}, timeout=30, what="Host Ready")

    cluster.delete("mappings", "echo")
    gateway.wait_for("/echo/hello", 404, timeout=30)


def test_host_error_status(gateway: Gateway, cluster: Cluster) -> None:
    selector = {"matchExpressions": [{"key": "team", "operator": "Exists"}]}  # only matchLabels is supported
    cluster.create("hosts", "Host", "wrong", {"hostname": "w.example.com", "mappingSelector": selector})
    status = wait_until(lambda: (s := cluster.status("hosts", "wrong")).get("state") == "Error" and s, timeout=30,
                        what="Error status on a Host the gateway rejects")
    assert "mappingSelector" in status["errorReason"]
    cluster.custom.patch_namespaced_custom_object(GROUP, VERSION, cluster.namespace, "hosts", "wrong",
                                                  {"spec": {"mappingSelector": {"matchLabels": {"team": "a"}}}})
    wait_until(lambda: cluster.status("hosts", "wrong") == {"state": "Ready"}, timeout=30,
               what="Ready (and the error gone) once fixed")


def test_annotations_and_ingress(gateway: Gateway, cluster: Cluster, kube: Kube,
                                 echo_factory: Callable[[str], EchoServer]) -> None:
    echo = echo_factory("annotated")
    ns = cluster.namespace
    annotation = (f"apiVersion: getambassador.io/v3alpha1\nkind: Mapping\nname: from-service\nhostname: '*'\n"
                  f"prefix: /annotated/\nservice: {echo.address}\n")
    kube.create({"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "annotated", "namespace": ns, "annotations": {"getambassador.io/config": annotation}},
        "spec": {"ports": [{"port": 80}]}})
    assert gateway.wait_for("/annotated/x", 200, timeout=30).json()["server"] == "annotated"

    own = {"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "gateway", "namespace": ns, "labels": {"app.kubernetes.io/component": "ambassador-service"}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}
    kube.create(own)
    kube.patch(own, {"status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}},
               subresource="status")
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {
        "name": "shop", "namespace": ns, "annotations": {"kubernetes.io/ingress.class": "ambassador"}},
        "spec": {"rules": [{"http": {"paths": [{"path": "/shop/", "pathType": "Prefix", "backend": {
            "service": {"name": "web", "port": {"number": 80}}}}]}}]}}
    kube.create(ingress)
    # The Ingress's backend is a Service name that only cluster DNS resolves: routed (503), unlike an unknown path.
    gateway.wait_for("/shop/", 503, timeout=30)
    assert gateway.get("/elsewhere/").status == 404
    wait_until(lambda: kube.get(ingress).get("status", {}).get("loadBalancer") ==
               {"ingress": [{"hostname": "lb.example.com"}]}, timeout=30, what="Ingress status from our Service")


def test_ingress_tls_is_served_with_its_secret(gateway: Gateway, cluster: Cluster, kube: Kube) -> None:
    ns = cluster.namespace
    cluster.create("listeners", "Listener", "https", {"port": gateway.ports.https, "protocol": "HTTPS",
                                                      "securityModel": "XFP",
                                                      "hostBinding": {"namespace": {"from": "SELF"}}})
    ca = CertificateAuthority()
    kube.create(tls_secret("shop-cert", ca.issue("shop.example.com"), namespace=ns))
    path = {"path": "/tls/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}
    kube.create({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {
        "name": "shop", "namespace": ns, "annotations": {"kubernetes.io/ingress.class": "ambassador"}},
        "spec": {"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-cert"}],
                 "rules": [{"host": "shop.example.com", "http": {"paths": [path]}}]}})

    def served() -> tuple[int, str | None]:
        status, _, _, peer = https_request(gateway.ports.https, "/tls/", sni="shop.example.com",
                                           context=client_context(ca))
        return status, common_name(peer)

    # The certificate is the Ingress's Secret; 503: routed to a Service only cluster DNS resolves.
    wait_until(lambda: served() == (503, "shop.example.com"), timeout=30, what="HTTPS with the Ingress's cert")


def _load_assignment(gateway: Gateway, key: str) -> list[str] | None:
    dump = request(gateway.ports.admin, "/config_dump?include_eds").json()
    for section in dump["configs"]:
        for entry in section.get("dynamic_endpoint_configs", ()):
            assignment = entry.get("endpoint_config", {})
            if assignment.get("cluster_name") == key:
                return sorted(f"{lb['endpoint']['address']['socket_address']['address']}/"
                              f"{lb['endpoint']['address']['socket_address']['port_value']}"
                              for group in assignment.get("endpoints", ()) for lb in group.get("lb_endpoints", ()))
    return None


def test_endpoints_reach_envoy_over_eds_without_a_compile(gateway: Gateway, cluster: Cluster, kube: Kube) -> None:
    ns = cluster.namespace
    kube.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": ns},
                 "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": ns},
                 "subsets": [{"addresses": [{"ip": endpoint_ip(1)}], "ports": [{"name": "http", "port": 8080}]}]}
    kube.create(endpoints)
    cluster.create("mappings", "Mapping", "eds", {"hostname": "*", "prefix": "/eds/", "service": "web:80",
                                                  "resolver": "endpoint"})
    key = f"k8s/{ns}/web/80"
    wait_until(lambda: _load_assignment(gateway, key) == [f"{endpoint_ip(1)}/8080"], timeout=30, what="EDS in Envoy")

    kube.patch(endpoints, {"subsets": [{"addresses": [{"ip": endpoint_ip(1)}, {"ip": endpoint_ip(2)}],
                                        "ports": [{"name": "http", "port": 8080}]}]})
    both = [f"{endpoint_ip(1)}/8080", f"{endpoint_ip(2)}/8080"]
    wait_until(lambda: _load_assignment(gateway, key) == both, timeout=30,
               what="the new endpoint in Envoy")
    last = gateway.diag()["reconfig"]["last"]
    assert last["endpoints_only"] is True, json.dumps(last)
