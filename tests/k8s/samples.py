"""One valid object of every watched kind, as a user would write it (cluster IPs are data only, never dialled)."""

from __future__ import annotations

import base64
from typing import Any

from tests.support.addresses import endpoint_ip
from watt.kinds import KINDS, WatchedKind

__all__ = ["sample", "kind_named"]

_PEM = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()
_KEY = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n").decode()
_GW = "gateway.networking.k8s.io"


def kind_named(name: str) -> WatchedKind:
    return next(k for k in KINDS if k.kind == name)


def _parent(name: str = "gw") -> list[dict[str, Any]]:
    return [{"name": name}]


def _backend(port: int = 80) -> list[dict[str, Any]]:
    return [{"backendRefs": [{"name": "svc", "port": port}]}]


_SPECS: dict[str, Any] = {
    "AuthService": {"auth_service": "auth:3000"},
    "ConsulResolver": {"address": "consul:8500", "datacenter": "dc1"},
    "DevPortal": {"default": True},
    "Host": {"hostname": "a.example.com"},
    "KubernetesEndpointResolver": {},
    "KubernetesServiceResolver": {},
    "Listener": {"port": 8080, "protocol": "HTTP", "securityModel": "XFP", "hostBinding": {"namespace": {"from": "ALL"}}},
    "LogService": {"service": "logs:9000", "driver": "http"},
    "Mapping": {"prefix": "/a/", "service": "a:80"},
    "Module": {"config": {"diagnostics": {"enabled": True}}},
    "RateLimitService": {"service": "rls:8081", "protocol_version": "v3"},
    "TCPMapping": {"port": 9000, "service": "tcp:9000"},
    "TLSContext": {"hosts": ["a.example.com"], "secret": "tls"},
    "TracingService": {"service": "zipkin:9411", "driver": "zipkin"},
    "Service": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}], "selector": {"app": "a"}},
    "Ingress": {"ingressClassName": "ambassador", "rules": [{"http": {"paths": [
        {"path": "/i/", "pathType": "Prefix", "backend": {"service": {"name": "a", "port": {"number": 80}}}}]}}]},
    "IngressClass": {"controller": "getambassador.io/ingress-controller"},
    "GatewayClass": {"controllerName": "example.com/gateway-controller"},
    "Gateway": {"gatewayClassName": "gc", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
    "HTTPRoute": {"parentRefs": _parent(), "rules": _backend()},
    "GRPCRoute": {"parentRefs": _parent(), "rules": _backend(50051)},
    "ReferenceGrant": {"from": [{"group": _GW, "kind": "HTTPRoute", "namespace": "other"}],
                       "to": [{"group": "", "kind": "Service"}]},
    "TCPRoute": {"parentRefs": _parent(), "rules": _backend(9000)},
    "TLSRoute": {"parentRefs": _parent(), "hostnames": ["t.example.com"], "rules": _backend(443)},
    "UDPRoute": {"parentRefs": _parent(), "rules": _backend(53)},
    "BackendTLSPolicy": {"targetRefs": [{"group": "", "kind": "Service", "name": "svc"}],
                         "validation": {"hostname": "svc.example.com", "wellKnownCACertificates": "System"}},
    "ListenerSet": {"parentRef": {"name": "gw"}, "listeners": [{"name": "extra", "port": 81, "protocol": "HTTP"}]},
}


def sample(kind: str, namespace: str, name: str, **labels: str) -> dict[str, Any]:
    """A valid object of ``kind``; cluster-scoped kinds ignore ``namespace``."""
    watched = kind_named(kind)
    meta: dict[str, Any] = {"name": name, "labels": dict(labels)}
    if watched.namespaced:
        meta["namespace"] = namespace
    body: dict[str, Any] = {"apiVersion": watched.api_version(_version(watched)), "kind": kind, "metadata": meta}
    if kind == "Endpoints":
        body["subsets"] = [{"addresses": [{"ip": endpoint_ip(1)}], "ports": [{"name": "http", "port": 8080}]}]
    elif kind == "EndpointSlice":
        meta["labels"]["kubernetes.io/service-name"] = name
        body.update(addressType="IPv4", endpoints=[{"addresses": [endpoint_ip(1)], "conditions": {"ready": True}}],
                    ports=[{"name": "http", "port": 8080, "protocol": "TCP"}])
    elif kind == "Secret":
        body.update(type="kubernetes.io/tls", data={"tls.crt": _PEM, "tls.key": _KEY})
    else:
        body["spec"] = _SPECS[kind]
    return body


def _version(watched: WatchedKind) -> str:
    """The version the test apiserver (1.20, Gateway API 1.6.1) serves."""
    return "v1beta1" if watched.kind == "EndpointSlice" else watched.versions[0]
