"""watt against the real API server: every watched kind's create, modify and delete reach the snapshot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.k8s.apiserver import ApiServer
from tests.k8s.kube import Kube
from tests.k8s.samples import kind_named, sample
from tests.k8s.watt_process import WattProcess
from watt.kinds import KINDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def watt(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WattProcess]:
    process = WattProcess(tmp_path_factory.mktemp("watt"), apiserver.kubeconfig).start()
    yield process
    process.stop()


def test_first_snapshot_comes_after_every_kind_listed(watt: WattProcess) -> None:
    first = watt.wait(lambda s: s is not None, what="a snapshot")
    kinds = first.header["source"]["kinds"]
    assert set(kinds) == {k.kind for k in KINDS}
    assert {name: state["state"] for name, state in kinds.items() if state["state"] != "listed"} == {}
    assert kinds["EndpointSlice"]["version"] == "discovery.k8s.io/v1beta1"  # 1.20 serves no v1
    assert first.header["source"]["problems"] == []


@pytest.mark.parametrize("kind", [k.kind for k in KINDS])
def test_create_modify_delete(kind: str, kube: Kube, namespace: str, watt: WattProcess) -> None:
    watched = kind_named(kind)
    name = "obj" if watched.namespaced else f"{namespace}-obj"
    ns = namespace if watched.namespaced else ""
    obj = sample(kind, namespace, name, rev="1")
    kube.create(obj)
    created = watt.wait_object(kind, ns, name, lambda b: b is not None, what="created").get(kind, ns, name)
    assert created is not None
    assert created["apiVersion"] == obj["apiVersion"] and created["kind"] == kind
    assert "resourceVersion" not in created["metadata"] and "managedFields" not in created["metadata"]

    kube.patch(obj, {"metadata": {"labels": {"rev": "2"}}})
    watt.wait_object(kind, ns, name, lambda b: b is not None and b["metadata"]["labels"]["rev"] == "2",
                     what="modified")

    kube.delete(obj)
    watt.wait_object(kind, ns, name, lambda b: b is None, what="deleted")


def test_status_only_writes_make_no_snapshot(kube: Kube, namespace: str, watt: WattProcess) -> None:
    mapping = sample("Mapping", namespace, "m")
    kube.create(mapping)
    before = watt.wait_object("Mapping", namespace, "m", lambda b: b is not None, what="created")
    kube.patch(mapping, {"status": {"state": "Running"}}, subresource="status")
    kube.patch(mapping, {"metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}})
    marker = sample("Mapping", namespace, "marker")
    kube.create(marker)  # the next snapshot must be the marker's, with nothing in between
    after = watt.wait_object("Mapping", namespace, "marker", lambda b: b is not None, what="marker")
    assert after.seq == before.seq + 1
    assert after.get("Mapping", namespace, "m") == before.get("Mapping", namespace, "m")
    assert "status" not in (after.get("Mapping", namespace, "m") or {})


def test_only_tls_secrets_are_snapshotted(kube: Kube, namespace: str, watt: WattProcess) -> None:
    kube.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "opaque", "namespace": namespace},
                 "stringData": {"password": "hunter2"}})
    kube.create(sample("Secret", namespace, "tls"))
    snap = watt.wait_object("Secret", namespace, "tls", lambda b: b is not None, what="tls secret")
    assert snap.names("Secret", namespace) == {"tls"}


def test_other_ambassador_ids_are_not_snapshotted(kube: Kube, namespace: str, watt: WattProcess) -> None:
    for name, ids in (("mine", ["default"]), ("auto", ["_automatic_"]), ("other", ["other"]),
                      ("other-str", "other")):
        mapping = sample("Mapping", namespace, name)
        mapping["spec"] = {**mapping["spec"], "ambassador_id": ids}
        kube.create(mapping)
    kube.create(sample("Mapping", namespace, "unset"))
    snap = watt.wait(lambda s: s is not None and {"mine", "auto", "unset"} <= s.names("Mapping", namespace),
                     what="the Mappings for AMBASSADOR_ID default")
    assert snap.names("Mapping", namespace) == {"mine", "auto", "unset"}
    kube.patch(sample("Mapping", namespace, "mine"), {"spec": {"ambassador_id": ["other"]}})
    watt.wait(lambda s: s is not None and s.names("Mapping", namespace) == {"auto", "unset"},
              what="a Mapping moved to another ambassador_id to leave")


def test_kube_system_endpoints_are_not_watched(kube: Kube, namespace: str, watt: WattProcess) -> None:
    for kind in ("Endpoints", "EndpointSlice"):
        kube.create(sample(kind, "kube-system", f"{namespace}-leader"))
        kube.create(sample(kind, namespace, "marker"))
    snap = watt.wait(lambda s: s is not None and s.get("EndpointSlice", namespace, "marker") is not None and
                     s.get("Endpoints", namespace, "marker") is not None, what="the markers")
    assert snap.names("Endpoints", "kube-system") == set() and snap.names("EndpointSlice", "kube-system") == set()
