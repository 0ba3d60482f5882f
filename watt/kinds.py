"""Every Kubernetes kind watt watches, in one declarative table.

One ``WatchedKind`` per kind: its API group, the versions to try in order (the first one the API server serves is
used; 1.20 has EndpointSlice only as v1beta1), its plural, whether it is namespaced, and what watt keeps of it.
The reflectors, the snapshot order, the RBAC manifests (``manifests/rbac*.yaml``, checked by a test against
``required_rules``) and the diag notices all derive from this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["WatchedKind", "KINDS", "AMBASSADOR_GROUP", "STATUS_WRITES", "kinds_for", "required_rules", "Rule"]

AMBASSADOR_GROUP = "getambassador.io"
GATEWAY_GROUP = "gateway.networking.k8s.io"

_SA_TOKEN = "kubernetes.io/service-account-token"
_TLS_KEYS = frozenset({"tls.crt", "tls.key", "ca.crt", "cert-chain.pem", "user.key", "crl.pem"})


# kube-system's endpoints change constantly (leader election) and are never a gateway's upstream.
_NOT_KUBE_SYSTEM = "metadata.namespace!=kube-system"


def _useful_secret(body: Mapping[str, Any]) -> bool:
    """Only Secrets that can hold TLS material: never ServiceAccount tokens, Helm releases or opaque app data."""
    if body.get("type") == _SA_TOKEN:
        return False
    data = body.get("data")
    return isinstance(data, Mapping) and not _TLS_KEYS.isdisjoint(data)


@dataclass(frozen=True, slots=True)
class WatchedKind:
    kind: str
    group: str  # "" for the core API
    versions: tuple[str, ...]
    plural: str
    namespaced: bool = True
    keep_status: bool = False  # status feeds the compiler (our own Service's load balancer)
    accept: Callable[[Mapping[str, Any]], bool] | None = None  # objects that fail are not snapshotted
    field_selector: str = ""  # added to AMBASSADOR_FIELD_SELECTOR for this kind

    @property
    def resource(self) -> str:
        """``plural.group`` as RBAC and error messages name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    def path(self, version: str, namespace: str | None) -> str:
        """The collection URL: all namespaces when ``namespace`` is None."""
        base = f"/apis/{self.group}/{version}" if self.group else f"/api/{version}"
        if self.namespaced and namespace is not None:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


def _ambassador(kind: str, plural: str) -> WatchedKind:
    return WatchedKind(kind, AMBASSADOR_GROUP, ("v3alpha1",), plural)


def _gateway(kind: str, plural: str, *older: str, namespaced: bool = True) -> WatchedKind:
    return WatchedKind(kind, GATEWAY_GROUP, ("v1", *older), plural, namespaced=namespaced)


KINDS: tuple[WatchedKind, ...] = (
    _ambassador("AuthService", "authservices"),
    _ambassador("ConsulResolver", "consulresolvers"),
    _ambassador("DevPortal", "devportals"),
    _ambassador("Host", "hosts"),
    _ambassador("KubernetesEndpointResolver", "kubernetesendpointresolvers"),
    _ambassador("KubernetesServiceResolver", "kubernetesserviceresolvers"),
    _ambassador("Listener", "listeners"),
    _ambassador("LogService", "logservices"),
    _ambassador("Mapping", "mappings"),
    _ambassador("Module", "modules"),
    _ambassador("RateLimitService", "ratelimitservices"),
    _ambassador("TCPMapping", "tcpmappings"),
    _ambassador("TLSContext", "tlscontexts"),
    _ambassador("TracingService", "tracingservices"),
    WatchedKind("Service", "", ("v1",), "services", keep_status=True),
    WatchedKind("Endpoints", "", ("v1",), "endpoints", field_selector=_NOT_KUBE_SYSTEM),
    WatchedKind("EndpointSlice", "discovery.k8s.io", ("v1", "v1beta1"), "endpointslices",
                field_selector=_NOT_KUBE_SYSTEM),
    WatchedKind("Secret", "", ("v1",), "secrets", accept=_useful_secret),
    WatchedKind("Ingress", "networking.k8s.io", ("v1", "v1beta1"), "ingresses"),
    WatchedKind("IngressClass", "networking.k8s.io", ("v1", "v1beta1"), "ingressclasses", namespaced=False),
    _gateway("GatewayClass", "gatewayclasses", "v1beta1", namespaced=False),
    _gateway("Gateway", "gateways", "v1beta1"),
    _gateway("HTTPRoute", "httproutes", "v1beta1"),
    _gateway("GRPCRoute", "grpcroutes"),
    _gateway("ReferenceGrant", "referencegrants", "v1beta1"),
    _gateway("TCPRoute", "tcproutes", "v1alpha2"),
    _gateway("TLSRoute", "tlsroutes", "v1alpha3", "v1alpha2"),
    _gateway("UDPRoute", "udproutes", "v1alpha2"),
    _gateway("BackendTLSPolicy", "backendtlspolicies", "v1alpha3"),
    _gateway("ListenerSet", "listenersets"),
)

# Status subresources diagd writes (merge patches), by kind.
STATUS_WRITES: Mapping[str, str] = {"Mapping": "mappings", "Host": "hosts", "Ingress": "ingresses"}


def kinds_for(*, single_namespace: bool) -> tuple[WatchedKind, ...]:
    """In single-namespace mode cluster-scoped kinds (IngressClass, GatewayClass) are not watched."""
    return tuple(k for k in KINDS if k.namespaced or not single_namespace)


@dataclass(frozen=True, slots=True)
class Rule:
    group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]


def required_rules(*, single_namespace: bool) -> tuple[Rule, ...]:
    """The RBAC rules watt (list, watch) and diagd's status writes (patch) need, grouped by API group."""
    by_group: dict[str, list[str]] = {}
    for kind in kinds_for(single_namespace=single_namespace):
        by_group.setdefault(kind.group, []).append(kind.plural)
    rules = [Rule(group, tuple(sorted(plurals)), ("list", "watch")) for group, plurals in sorted(by_group.items())]
    status: dict[str, list[str]] = {}
    for kind in kinds_for(single_namespace=single_namespace):
        if kind.kind in STATUS_WRITES:
            status.setdefault(kind.group, []).append(f"{kind.plural}/status")
    rules += [Rule(group, tuple(sorted(res)), ("patch",)) for group, res in sorted(status.items())]
    return tuple(rules)
