"""Test-side Kubernetes writes: create, apply (create or merge-patch), delete, for any kind, plus manifests.

Requests go through ``watt.k8s.client.KubeClient`` (plain REST with the official package's credential loading).
Paths come from ``watt.kinds`` for watched kinds and from a small table for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.support.processes import wait_until
from watt.k8s.client import ApiError, KubeClient, load_configuration
from watt.kinds import KINDS

__all__ = ["Kube", "ApiError"]

_OTHER: dict[str, tuple[str, str, bool]] = {  # kind: (api prefix, plural, namespaced)
    "Namespace": ("/api/v1", "namespaces", False),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "CustomResourceDefinition": ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions", False),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
}


def _prefix(api_version: str) -> str:
    return f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"


class Kube:
    def __init__(self, kubeconfig: str | Path) -> None:
        self.kubeconfig = str(kubeconfig)
        self.client = KubeClient(load_configuration(self.kubeconfig))

    # --- paths ----------------------------------------------------------------------------------------------
    def collection(self, kind: str, namespace: str | None, api_version: str | None = None) -> str:
        for watched in KINDS:
            if watched.kind == kind:
                version = api_version.rsplit("/", 1)[-1] if api_version else watched.versions[-1]
                return watched.path(version, namespace)
        prefix, plural, namespaced = _OTHER[kind]
        if api_version:
            prefix = _prefix(api_version)
        return f"{prefix}/namespaces/{namespace}/{plural}" if namespaced else f"{prefix}/{plural}"

    def _item(self, obj: Mapping[str, Any]) -> str:
        meta = obj["metadata"]
        return f"{self.collection(obj['kind'], meta.get('namespace'), obj.get('apiVersion'))}/{meta['name']}"

    # --- writes ---------------------------------------------------------------------------------------------
    def create(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        return self.client.request("POST", self.collection(obj["kind"], meta.get("namespace"), obj.get("apiVersion")),
                                   body=obj)

    def apply(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Create, or merge-patch what exists (what ``kubectl apply`` amounts to for these tests)."""
        try:
            return self.create(obj)
        except ApiError as exc:
            if exc.status != 409:
                raise
        return self.client.request("PATCH", self._item(obj), body=obj, content_type="application/merge-patch+json")

    def patch(self, obj: Mapping[str, Any], patch: Mapping[str, Any], *, subresource: str = "") -> dict[str, Any]:
        path = self._item(obj) + (f"/{subresource}" if subresource else "")
        return self.client.request("PATCH", path, body=patch, content_type="application/merge-patch+json")

    def get(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        return self.client.request("GET", self._item(obj))

    def delete(self, obj: Mapping[str, Any], *, missing_ok: bool = True) -> None:
        try:
            self.client.request("DELETE", self._item(obj))
        except ApiError as exc:
            if exc.status != 404 or not missing_ok:
                raise

    def namespace(self, name: str) -> str:
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        return name

    # --- manifests ------------------------------------------------------------------------------------------
    def apply_all(self, docs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.apply(doc) for doc in docs if doc]

    def apply_file(self, path: str | Path) -> list[dict[str, Any]]:
        return self.apply_all(yaml.safe_load_all(Path(path).read_text()))

    def wait_crds(self, crds: Iterable[Mapping[str, Any]], *, timeout: float = 60) -> None:
        """Wait until each CRD is Established and its resources can be listed."""
        for crd in crds:
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            served = next(v["name"] for v in spec["versions"] if v.get("served"))
            path = f"/apis/{spec['group']}/{served}/{spec['names']['plural']}"
            wait_until(lambda: self._established(crd) and self.client.request("GET", path, params={"limit": 1}),
                       timeout=timeout, interval=0.1, what=f"CRD {crd['metadata']['name']} established")

    def _established(self, crd: Mapping[str, Any]) -> bool:
        status = self.get(crd).get("status") or {}
        return any(c.get("type") == "Established" and c.get("status") == "True" for c in status.get("conditions", ()))

    def service_account_token(self, namespace: str, name: str, *, seconds: int = 3600) -> str:
        """A token for a ServiceAccount (TokenRequest; 1.20 has no token controller without the controller
        manager)."""
        answer = self.client.request(
            "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                  "spec": {"expirationSeconds": seconds}})
        return str(answer["status"]["token"])
