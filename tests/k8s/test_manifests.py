"""The shipped manifests: generated files up to date, accepted by a real API server, probes where diagd serves."""

from __future__ import annotations

import importlib.util
from typing import Any

import yaml

from tests.k8s.conftest import MANIFESTS
from tests.k8s.kube import Kube
from watt.kinds import AMBASSADOR_GROUP, KINDS, required_rules


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("manifests_generate", MANIFESTS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((MANIFESTS / name).read_text()) if d]


def test_generated_manifests_are_up_to_date() -> None:
    for name, text in _generator().outputs().items():
        assert (MANIFESTS / name).read_text() == text, f"manifests/{name} is stale: run python manifests/generate.py"


def test_one_crd_per_ambassador_kind_with_status_where_the_gateway_writes_it() -> None:
    crds = {d["spec"]["names"]["kind"]: d for d in _docs("crds.yaml")}
    assert set(crds) == {k.kind for k in KINDS if k.group == AMBASSADOR_GROUP}
    with_status = {k for k, d in crds.items() if d["spec"]["versions"][0].get("subresources", {}).get("status") == {}}
    assert with_status == {"Mapping", "Host"}


def test_cluster_role_has_exactly_the_required_rules() -> None:
    role = next(d for d in _docs("rbac.yaml") if d["kind"] == "ClusterRole")
    granted = {(g, r, v) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
               for v in rule["verbs"]}
    needed = {(rule.group, r, v) for rule in required_rules(single_namespace=False) for r in rule.resources
              for v in rule.verbs}
    assert granted == needed
    assert {v for (_, _, v) in granted} == {"list", "watch", "patch"}
    assert {r for (_, r, v) in granted if v == "patch"} == {"mappings/status", "hosts/status", "ingresses/status"}


def test_deployment_probes_and_service() -> None:
    docs = {(d["kind"], d["metadata"]["name"]): d for d in _docs("deployment.yaml")}
    pod = docs[("Deployment", "emissary-py")]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/ambassador/v0/check_alive", "port": "admin"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ambassador/v0/check_ready", "port": "admin"}
    assert ports["admin"] == 8877
    account = next(d for d in _docs("rbac.yaml") if d["kind"] == "ServiceAccount")
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    service = docs[("Service", "emissary-py")]
    assert service["metadata"]["labels"]["app.kubernetes.io/component"] == "ambassador-service"


def test_every_manifest_is_accepted_by_the_api_server(kube: Kube) -> None:
    for name in ("namespace.yaml", "crds.yaml", "rbac.yaml", "rbac-namespaced.yaml", "deployment.yaml"):
        for doc in _docs(name):
            created = kube.apply(doc)
            assert created["metadata"]["name"] == doc["metadata"]["name"], name
