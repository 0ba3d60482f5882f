"""The reflector's protocol against real API servers: resume after a watch timeout, re-list on 410, absent CRDs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.k8s.apiserver import ApiServer, Etcd
from tests.k8s.conftest import MANIFESTS, install_crds
from tests.k8s.kube import Kube
from tests.k8s.samples import sample
from tests.k8s.watt_process import WattProcess
from tests.support.processes import wait_until
from watt.k8s.client import ApiError
from watt.k8s.reflector import Reflector, Scope
from watt.kinds import AMBASSADOR_GROUP, KINDS, WatchedKind

pytestmark = pytest.mark.slow


class Running:
    """Reflectors running their real loop in threads; stopped at the end."""

    def __init__(self) -> None:
        self.threads: list[tuple[Reflector, threading.Thread]] = []

    def start(self, reflector: Reflector) -> Reflector:
        thread = threading.Thread(target=reflector.run, daemon=True)
        thread.start()
        self.threads.append((reflector, thread))
        return reflector

    def stop(self) -> None:
        for reflector, thread in self.threads:
            reflector.stop()
            thread.join(timeout=10)
            assert not thread.is_alive(), f"{reflector.kind.resource} reflector did not stop"


def _names(reflector: Reflector) -> set[str]:
    return {json.loads(line)["object"]["location"]["name"] for line in reflector.lines()}


@pytest.fixture(scope="module")
def resumed(kube: Kube) -> Iterator[dict[str, Reflector]]:
    """Every kind watched with a 1 s server timeout; once each has watched three times, one object of each kind is
    created."""
    namespace = kube.namespace("resume")
    threads = Running()
    reflectors = {kind.kind: threads.start(Reflector(kube.client, kind, Scope(namespace=namespace), watch_timeout=1,
                                                     on_change=lambda: None)) for kind in KINDS}
    wait_until(lambda: all(r.stats.watches >= 3 for r in reflectors.values()), timeout=60,
               what="three watches per kind, each ended by the server")
    for kind in KINDS:
        kube.create(sample(kind.kind, namespace, _resume_name(kind)))
    yield reflectors
    threads.stop()


def _resume_name(kind: WatchedKind) -> str:
    return "late" if kind.namespaced else "resume-late"


@pytest.mark.parametrize("kind", [k.kind for k in KINDS])
def test_watch_timeout_resumes_without_a_relist(kind: str, resumed: dict[str, Reflector]) -> None:
    reflector = resumed[kind]
    name = _resume_name(reflector.kind)
    wait_until(lambda: name in _names(reflector), timeout=20, what=f"an object created after three {kind} watches")
    assert reflector.stats.lists == 1 and reflector.stats.gone == 0 and reflector.stats.errors == 0


# --- 410 Gone: a server without watch cache and with etcd compaction every 2 s ----------------------------------
@dataclass
class Gap:
    reflector: Reflector
    changes: list[int]


@pytest.fixture(scope="module")
def compacting(tmp_path_factory: pytest.TempPathFactory, apiserver_binary: str) -> Iterator[Kube]:
    root = tmp_path_factory.mktemp("compacting")
    etcd = Etcd(root / "etcd").start()
    server = ApiServer(root / "api", apiserver_binary, etcd,
                       extra_flags=("--watch-cache=false", "--etcd-compaction-interval=2s")).start()
    kube = Kube(server.kubeconfig)
    install_crds(kube)
    yield kube
    server.stop()
    etcd.stop()


def _gap_name(kind: WatchedKind, name: str) -> str:
    return name if kind.namespaced else f"gap-{name}"


@pytest.fixture(scope="module")
def gaps(compacting: Kube) -> Iterator[dict[str, Gap]]:
    """For every kind: list, then (with no watch open) delete one object and add another, let etcd compact the
    listed revision away, and only then run the reflector's loop, which must meet 410 and list again."""
    kube = compacting
    kube.namespace("gap")
    result: dict[str, Gap] = {}
    for kind in KINDS:
        for name in ("keep", "gone"):
            kube.create(sample(kind.kind, "gap", _gap_name(kind, name)))
        changes: list[int] = []
        reflector = Reflector(kube.client, kind, Scope(namespace="gap"), on_change=lambda c=changes: c.append(1))
        reflector.relist()
        result[kind.kind] = Gap(reflector, changes)
    before = kube.client.request("GET", "/api/v1/namespaces/gap/configmaps")["metadata"]["resourceVersion"]
    for kind in KINDS:
        kube.delete(sample(kind.kind, "gap", _gap_name(kind, "gone")))  # Endpoints go with their Service
        kube.create(sample(kind.kind, "gap", _gap_name(kind, "new")))
    wait_until(lambda: _compacted(kube, before), timeout=60, interval=0.5, what="etcd compaction past the lists")
    threads = Running()
    for gap in result.values():
        threads.start(gap.reflector)
    yield result
    threads.stop()


def _compacted(kube: Kube, resource_version: str) -> bool:
    try:
        stream = kube.client.watch("/api/v1/namespaces/gap/configmaps",
                                   {"resourceVersion": resource_version, "timeoutSeconds": 1}, read_timeout=10)
    except ApiError as exc:
        return exc.status == 410
    try:
        return any(e.get("type") == "ERROR" and e["object"].get("code") == 410 for e in stream)
    finally:
        stream.close()


@pytest.mark.parametrize("kind", [k.kind for k in KINDS])
def test_410_relists_and_reports_the_gap(kind: str, gaps: dict[str, Gap]) -> None:
    gap = gaps[kind]
    reflector = gap.reflector
    watched = reflector.kind
    wait_until(lambda: reflector.stats.lists >= 2, timeout=30, what=f"{watched.resource} to list again")
    assert reflector.stats.gone >= 1, "the second list must come from a 410"
    assert _names(reflector) == {_gap_name(watched, "keep"), _gap_name(watched, "new")}
    assert len(gap.changes) >= 2  # the first list, then the list that found the gap


# --- a kind whose CRD is absent ------------------------------------------------------------------------------
@pytest.fixture
def bare_cluster(tmp_path: Path, apiserver_binary: str, etcd: Etcd) -> Iterator[Kube]:
    """An API server with no CRDs (its own etcd prefix on the session's etcd)."""
    server = ApiServer(tmp_path / "bare", apiserver_binary, etcd,
                       extra_flags=(f"--etcd-prefix=/bare-{tmp_path.name}",)).start()
    yield Kube(server.kubeconfig)
    server.stop()


def test_absent_crd_is_reported_once_and_watched_when_it_appears(bare_cluster: Kube, tmp_path: Path) -> None:
    kube = bare_cluster
    watt = WattProcess(tmp_path / "watt", kube.kubeconfig).start()
    try:
        first = watt.wait(lambda s: s is not None, what="a first snapshot without the CRDs")
        problems = {p["kind"]: p for p in first.header["source"]["problems"]}
        ambassador = {k.kind for k in KINDS if k.group == AMBASSADOR_GROUP}
        assert ambassador <= set(problems)
        assert problems["Mapping"]["severity"] == "notice" and problems["Mapping"]["reason"] == "KindNotServed"
        assert "Service" not in problems

        install_crds(kube, (MANIFESTS / "crds.yaml",))
        kube.namespace("late")
        kube.create(sample("Mapping", "late", "m"))
        snap = watt.wait_object("Mapping", "late", "m", lambda b: b is not None, what="watched after its CRD appeared")
        remaining = {p["kind"] for p in snap.header["source"]["problems"]}
        assert "Mapping" not in remaining
        assert watt.log_text().count(" Mapping (mappings.getambassador.io, v3alpha1) is not served") == 1, \
            "reported once, not at every retry"
    finally:
        watt.stop()
