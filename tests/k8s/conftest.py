"""Fixtures for the Kubernetes tests: one real etcd + kube-apiserver for the whole session, CRDs applied.

The apiserver binary is built by ``scripts/build-kube-apiserver.sh`` (``make deps`` runs it; here it is a no-op when
the cached binary is current). Nothing here skips: without the binary or etcd the tests fail and say why.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.k8s.apiserver import REPO, ApiServer, Etcd, build_apiserver, write_kubeconfig
from tests.k8s.kube import Kube

MANIFESTS = REPO / "manifests"
CRD_FILES = (MANIFESTS / "crds.yaml", MANIFESTS / "gateway-api" / "standard-install-k8s120.yaml")

_counter = itertools.count(1)


def install_crds(kube: Kube, files: tuple[Path, ...] = CRD_FILES) -> None:
    """Apply the project's CRDs (and the Gateway API's) and wait until each can be listed."""
    for path in files:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        kube.apply_all(docs)
        kube.wait_crds(docs)


@pytest.fixture(scope="session")
def apiserver_binary() -> str:
    return build_apiserver()


@pytest.fixture(scope="session")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Etcd]:
    server = Etcd(tmp_path_factory.mktemp("etcd")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def apiserver(tmp_path_factory: pytest.TempPathFactory, apiserver_binary: str, etcd: Etcd) -> Iterator[ApiServer]:
    """The session's API server (RBAC mode, watch cache on, as a real cluster runs), with every CRD installed."""
    server = ApiServer(tmp_path_factory.mktemp("apiserver"), apiserver_binary, etcd).start()
    install_crds(Kube(server.kubeconfig))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kube(apiserver: ApiServer) -> Kube:
    """Admin access to the session's API server."""
    return Kube(apiserver.kubeconfig)


@pytest.fixture
def namespace(kube: Kube, request: pytest.FixtureRequest) -> str:
    """A fresh namespace per test, so tests never see each other's objects."""
    name = f"t{next(_counter)}-{request.node.name.split('[')[0].replace('_', '-')[:40]}".lower().rstrip("-")
    return kube.namespace(name)


def kubeconfig_for(kube: Kube, apiserver: ApiServer, namespace: str, account: str, path: Path) -> Path:
    """A kubeconfig that acts as ServiceAccount ``namespace/account`` (a TokenRequest token)."""
    token = kube.service_account_token(namespace, account)
    return write_kubeconfig(path, server=apiserver.url, ca_file=apiserver.ca_file, token=token)


@pytest.fixture
def shipped_rbac_kubeconfig(kube: Kube, apiserver: ApiServer, tmp_path: Path) -> Path:
    """Credentials of the ServiceAccount that manifests/rbac.yaml creates and binds to the shipped ClusterRole."""
    kube.namespace("emissary")
    kube.apply_file(MANIFESTS / "rbac.yaml")
    return kubeconfig_for(kube, apiserver, "emissary", "emissary-py", tmp_path / "emissary-py.kubeconfig")


__all__ = ["MANIFESTS", "CRD_FILES", "install_crds", "kubeconfig_for"]
