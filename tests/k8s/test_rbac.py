"""The shipped RBAC is enough for watt, and a missing verb is reported clearly (apiserver in RBAC mode)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.k8s.apiserver import ApiServer
from tests.k8s.conftest import MANIFESTS, kubeconfig_for
from tests.k8s.kube import Kube
from tests.k8s.samples import sample
from tests.k8s.watt_process import WattProcess
from watt.kinds import AMBASSADOR_GROUP, KINDS, kinds_for

pytestmark = pytest.mark.slow

NAMESPACE = "emissary"


def _docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((MANIFESTS / name).read_text()) if d]


def _renamed(docs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The shipped ServiceAccount, role and binding under another name."""
    out = copy.deepcopy(docs)
    for doc in out:
        doc["metadata"]["name"] = name
        if "roleRef" in doc:
            doc["roleRef"]["name"] = name
            doc["subjects"][0]["name"] = name
    return out


def test_the_cluster_role_is_enough(kube: Kube, shipped_rbac_kubeconfig: Path, tmp_path: Path) -> None:
    watt = WattProcess(tmp_path / "watt", shipped_rbac_kubeconfig).start()
    try:
        first = watt.wait(lambda s: s is not None, what="a snapshot")
        states = {k: v["state"] for k, v in first.header["source"]["kinds"].items()}
        assert states == {k.kind: "listed" for k in KINDS}
        assert first.header["source"]["problems"] == []
        ns = kube.namespace("rbac-ok")
        kube.create(sample("Mapping", ns, "m"))
        watt.wait_object("Mapping", ns, "m", lambda b: b is not None, what="seen through the ServiceAccount")
        assert first.header["source"]["problems"] == [] and "Forbidden" not in watt.log_text()
    finally:
        watt.stop()


def test_the_namespaced_role_is_enough_in_single_namespace_mode(kube: Kube, apiserver: ApiServer,
                                                               tmp_path: Path) -> None:
    kube.namespace(NAMESPACE)
    kube.apply_all(_renamed(_docs("rbac-namespaced.yaml"), "emissary-py-ns"))
    config = kubeconfig_for(kube, apiserver, NAMESPACE, "emissary-py-ns", tmp_path / "sa.kubeconfig")
    env = {"AMBASSADOR_SINGLE_NAMESPACE": "true", "AMBASSADOR_NAMESPACE": NAMESPACE}
    watt = WattProcess(tmp_path / "watt", config, env=env).start()
    try:
        first = watt.wait(lambda s: s is not None, what="a snapshot")
        states = {k: v["state"] for k, v in first.header["source"]["kinds"].items()}
        assert states == {k.kind: "listed" for k in kinds_for(single_namespace=True)}
        assert first.header["source"]["problems"] == []
    finally:
        watt.stop()


@pytest.mark.parametrize("verb", ["list", "watch"])
def test_a_missing_verb_is_a_clear_permission_error(verb: str, kube: Kube, apiserver: ApiServer,
                                                    tmp_path: Path) -> None:
    kube.namespace(NAMESPACE)
    account = f"emissary-py-no-{verb}"
    docs = _renamed(_docs("rbac.yaml"), account)
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    rule = next(r for r in role["rules"] if r["apiGroups"] == [AMBASSADOR_GROUP] and verb in r["verbs"])
    rule["verbs"].remove(verb)
    kube.apply_all(docs)
    config = kubeconfig_for(kube, apiserver, NAMESPACE, account, tmp_path / "sa.kubeconfig")
    watt = WattProcess(tmp_path / "watt", config).start()
    try:
        snap = watt.wait(lambda s: s is not None and any(p["kind"] == "Mapping" and p["reason"] == "Forbidden"
                                                         for p in s.header["source"]["problems"]),
                         what=f"a Forbidden problem for Mappings without {verb!r}")
        problem = next(p for p in snap.header["source"]["problems"] if p["kind"] == "Mapping")
        assert problem["severity"] == "error"
        assert f"cannot {verb} mappings.getambassador.io in all namespaces" in problem["message"]
        assert f"system:serviceaccount:{NAMESPACE}:{account}" in problem["message"]
        assert {p["kind"] for p in snap.header["source"]["problems"]} == {
            k.kind for k in KINDS if k.group == AMBASSADOR_GROUP}
        assert f"cannot {verb} mappings.getambassador.io" in watt.log_text()
    finally:
        watt.stop()
