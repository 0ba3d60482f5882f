"""The Kubernetes source: client setup, one reflector per watched kind (``watt.kinds``), the ``Source``."""

from __future__ import annotations

from watt.k8s.client import KubeClient, load_configuration
from watt.k8s.reflector import Scope
from watt.k8s.source import KubernetesSource
from watt.kinds import kinds_for
from watt.settings import KubeSettings

__all__ = ["kubernetes_source"]


def kubernetes_source(settings: KubeSettings) -> KubernetesSource:
    """Raises whatever the configuration loader raises when KUBECONFIG or the pod's credentials are unusable."""
    client = KubeClient(load_configuration(settings.kubeconfig))
    scope = Scope(namespace=settings.watch_namespace, label_selector=settings.label_selector,
                  field_selector=settings.field_selector, ambassador_id=settings.ambassador_id)
    return KubernetesSource(client, kinds_for(single_namespace=settings.single_namespace), scope,
                            watch_timeout=settings.watch_timeout, retry=settings.retry)
