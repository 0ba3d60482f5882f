"""AMBASSADOR_LABEL_SELECTOR, AMBASSADOR_FIELD_SELECTOR and AMBASSADOR_SINGLE_NAMESPACE select exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.k8s.apiserver import ApiServer
from tests.k8s.kube import Kube
from tests.k8s.samples import sample
from tests.k8s.watt_process import WattProcess
from watt.kinds import kinds_for

pytestmark = pytest.mark.slow

KINDS_TRIED = ("Mapping", "Host", "Service", "Secret", "Ingress", "HTTPRoute")


def _run(apiserver: ApiServer, tmp_path: Path, env: dict[str, str]) -> WattProcess:
    return WattProcess(tmp_path / "watt", apiserver.kubeconfig, env=env).start()


def test_label_selector(kube: Kube, apiserver: ApiServer, namespace: str, tmp_path: Path) -> None:
    for kind in KINDS_TRIED:
        kube.create(sample(kind, namespace, "yes", team="a"))
        kube.create(sample(kind, namespace, "no", team="b"))
        kube.create(sample(kind, namespace, "unlabelled"))
    watt = _run(apiserver, tmp_path, {"AMBASSADOR_LABEL_SELECTOR": "team=a"})
    try:
        snap = watt.wait(lambda s: s is not None and all(s.names(k, namespace) for k in KINDS_TRIED),
                         what="the labelled objects")
        assert {k: snap.names(k, namespace) for k in KINDS_TRIED} == {k: {"yes"} for k in KINDS_TRIED}
        assert all(body["metadata"]["labels"]["team"] == "a" for body in snap.objects.values())
        kube.patch(sample("Mapping", namespace, "no"), {"metadata": {"labels": {"team": "a"}}})
        kube.patch(sample("Mapping", namespace, "yes"), {"metadata": {"labels": {"team": "c"}}})
        watt.wait(lambda s: s is not None and s.names("Mapping", namespace) == {"no"},
                  what="relabelled Mappings to move in and out")
    finally:
        watt.stop()


def test_field_selector(kube: Kube, apiserver: ApiServer, namespace: str, tmp_path: Path) -> None:
    for kind in KINDS_TRIED:
        kube.create(sample(kind, namespace, "shown"))
        kube.create(sample(kind, namespace, "hidden"))
    watt = _run(apiserver, tmp_path, {"AMBASSADOR_FIELD_SELECTOR": "metadata.name!=hidden"})
    try:
        snap = watt.wait(lambda s: s is not None and all(s.names(k, namespace) for k in KINDS_TRIED),
                         what="the selected objects")
        assert {k: snap.names(k, namespace) for k in KINDS_TRIED} == {k: {"shown"} for k in KINDS_TRIED}
        assert not any(name == "hidden" for (_, _, name) in snap.objects)
    finally:
        watt.stop()


def test_single_namespace(kube: Kube, apiserver: ApiServer, namespace: str, tmp_path: Path) -> None:
    other = kube.namespace(f"{namespace}-other")
    for kind in KINDS_TRIED:
        kube.create(sample(kind, namespace, "here"))
        kube.create(sample(kind, other, "there"))
    kube.create(sample("IngressClass", "", f"{namespace}-class"))
    env = {"AMBASSADOR_SINGLE_NAMESPACE": "yes", "AMBASSADOR_NAMESPACE": namespace}
    watt = _run(apiserver, tmp_path, env)
    try:
        snap = watt.wait(lambda s: s is not None and all(s.names(k) for k in KINDS_TRIED), what="a snapshot")
        assert {ns for (_, ns, _) in snap.objects} == {namespace}
        assert {k: snap.names(k) for k in KINDS_TRIED} == {k: {"here"} for k in KINDS_TRIED}
        watched = set(snap.header["source"]["kinds"])
        assert watched == {k.kind for k in kinds_for(single_namespace=True)}
        assert "IngressClass" not in watched and "GatewayClass" not in watched
        assert snap.header["source"]["namespace"] == namespace
    finally:
        watt.stop()
