"""Ingress and IngressClass (SPEC §4.6): our Ingresses become Mapping and Host resources.

An Ingress is ours when it has ``kubernetes.io/ingress.class: ambassador``, or names (in ``ingressClassName``)
an IngressClass whose controller is ``getambassador.io/ingress-controller``, or names no class while such an
IngressClass is the cluster default. Its ``getambassador.io/ambassador-id`` annotation (default ``default``) must
be ours.

* each rule path → Mapping ``<ingress>-<rule#>-<path#>``: ``prefix`` = path, ``service`` = ``<svc>.<ns>:<port>``
  (a named port is looked up in the Service), ``pathType: Exact`` → ``prefix_exact`` and precedence 1; a rule
  host ``*.x`` → ``host`` regex, another host → ``hostname``, no host (and no TLS) → ``hostname: "*"``;
* ``defaultBackend`` → Mapping ``<ingress>-default-backend`` on ``/``;
* each ``tls`` host → Host ``<ingress>-<tls#>-<host#>`` with that Secret, cleartext routed, selecting the
  Ingress's Mappings by the label ``a10r-k8s-ingress: a10r-ingress-<ingress>-<ns>``.

The generated resources are compiled like any others; a problem (an unknown port name, say) is reported on the
Ingress. ``ingress_statuses`` gives each of our Ingresses the load balancer status of our own Service.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diagd.compile.kinds.resources import Resource
from diagd.compile.kinds.status import from_kubernetes
from diagd.compile.model.problems import Diagnostics, ResourceRef
from diagd.compile.model.raw import as_mapping
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.status import StatusUpdate

__all__ = ["IngressOutput", "translate_ingresses", "ingress_statuses", "CONTROLLER", "OWN_SERVICE_LABEL"]

CONTROLLER = "getambassador.io/ingress-controller"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
ID_ANNOTATION = "getambassador.io/ambassador-id"
INGRESS_LABEL = "a10r-k8s-ingress"
OWN_SERVICE_LABEL = ("app.kubernetes.io/component", "ambassador-service")
_CURRENT = "getambassador.io/v3alpha1"


@dataclass(frozen=True, slots=True)
class IngressOutput:
    ingresses: tuple[Resource, ...]  # ours, in input order
    mappings: tuple[Resource, ...]
    hosts: tuple[Resource, ...]


def _our_classes(classes: Sequence[Resource]) -> tuple[frozenset[str], bool]:
    """Names of IngressClasses with our controller, and whether one of them is the cluster default."""
    ours = [c for c in classes if str(c.spec.get("controller", "")).lower() == CONTROLLER]
    default = any(c.annotations.get(DEFAULT_CLASS_ANNOTATION) == "true" for c in ours)
    return frozenset(c.name for c in ours), default


def _is_ours(ingress: Resource, classes: frozenset[str], default: bool, ambassador_id: str) -> bool:
    if ingress.annotations.get(ID_ANNOTATION, "default") != ambassador_id:
        return False
    annotated = ingress.annotations.get(CLASS_ANNOTATION)
    if annotated is not None:
        return annotated.lower() == "ambassador"
    class_name = ingress.spec.get("ingressClassName")
    return class_name in classes if isinstance(class_name, str) else default


def translate_ingresses(*, ingresses: Sequence[Resource], classes: Sequence[Resource], services: Sequence[Resource],
                        settings: CompileSettings, diag: Diagnostics) -> IngressOutput:
    our_classes, default = _our_classes(classes)
    ports = _named_ports(services)
    ours: list[Resource] = []
    mappings: list[Resource] = []
    hosts: list[Resource] = []
    for ingress in ingresses:
        if not _is_ours(ingress, our_classes, default, settings.ambassador_id):
            continue
        ours.append(ingress)
        label = f"a10r-ingress-{ingress.name}-{ingress.namespace}" if ingress.spec.get("tls") else None
        hosts.extend(_hosts(ingress, label, settings))
        mappings.extend(_mappings(ingress, label, ports, settings, diag))
    return IngressOutput(tuple(ours), tuple(mappings), tuple(hosts))


def _named_ports(services: Sequence[Resource]) -> dict[tuple[str, str, str], int]:
    """(namespace, service, port name) → port number."""
    table: dict[tuple[str, str, str], int] = {}
    for svc in services:
        for port in svc.spec.get("ports") or ():
            if isinstance(port, Mapping) and port.get("name") and isinstance(port.get("port"), int):
                table[(svc.namespace, svc.name, str(port["name"]))] = port["port"]
    return table


def _generated(ingress: Resource, kind: str, name: str, spec: dict[str, Any], labels: Mapping[str, str]) -> Resource:
    ref = ResourceRef(kind=kind, name=name, namespace=ingress.namespace, rkey=f"{name}.{ingress.namespace}.1",
                      location=ingress.ref.location)
    body = {"apiVersion": _CURRENT, "kind": kind, "metadata": {"name": name, "namespace": ingress.namespace,
                                                                "labels": dict(labels)}, "spec": spec}
    return Resource(ref=ref, api_version=_CURRENT, spec=spec, body=body, labels=dict(labels))


def _hosts(ingress: Resource, label: str | None, settings: CompileSettings) -> Iterator[Resource]:
    for t, tls in enumerate(ingress.spec.get("tls") or ()):
        if not isinstance(tls, Mapping) or not isinstance(tls.get("secretName"), str) or label is None:
            continue
        for h, hostname in enumerate(tls.get("hosts") or ["*"]):
            spec = {"ambassador_id": [settings.ambassador_id], "hostname": str(hostname),
                    "tlsSecret": {"name": tls["secretName"]}, "requestPolicy": {"insecure": {"action": "Route"}},
                    "mappingSelector": {"matchLabels": {INGRESS_LABEL: label}}}
            yield _generated(ingress, "Host", f"{ingress.name}-{t}-{h}", spec, ingress.labels)


def _mappings(ingress: Resource, label: str | None, ports: Mapping[tuple[str, str, str], int],
              settings: CompileSettings, diag: Diagnostics) -> Iterator[Resource]:
    labels = {**ingress.labels, **({INGRESS_LABEL: label} if label else {})}
    default = ingress.spec.get("defaultBackend") or ingress.spec.get("backend")
    if isinstance(default, Mapping):
        service = _service(ingress, default, ports, diag)
        if service is not None:
            spec = {"ambassador_id": [settings.ambassador_id], "hostname": "*", "prefix": "/", "service": service}
            yield _generated(ingress, "Mapping", f"{ingress.name}-default-backend", spec, labels)
    for r, rule in enumerate(ingress.spec.get("rules") or ()):
        if not isinstance(rule, Mapping):
            continue
        paths = (rule.get("http") or {}).get("paths") or ()
        for p, path in enumerate(paths):
            if not isinstance(path, Mapping) or not isinstance(path.get("backend"), Mapping):
                continue
            service = _service(ingress, path["backend"], ports, diag)
            if service is None:
                continue
            spec = {"ambassador_id": [settings.ambassador_id], "prefix": str(path.get("path") or "/"),
                    "service": service, **_match(path, rule.get("host"), label)}
            yield _generated(ingress, "Mapping", f"{ingress.name}-{r}-{p}", spec, labels)


def _match(path: Mapping[str, Any], host: Any, label: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if path.get("pathType") == "Exact":
        spec.update(prefix_exact=True, precedence=1)
    if isinstance(host, str) and host.startswith("*."):
        spec.update(host="^[a-z0-9]([-a-z0-9]*[a-z0-9])?" + re.escape(host[1:]) + "$", host_regex=True)
    elif isinstance(host, str) and host:
        spec["hostname"] = host
    elif label is None:
        spec["hostname"] = "*"
    return spec


def _service(ingress: Resource, backend: Mapping[str, Any], ports: Mapping[tuple[str, str, str], int],
             diag: Diagnostics) -> str | None:
    """``<svc>.<ns>:<port>`` from a v1 (``service.name/port``) or v1beta1 (``serviceName/servicePort``) backend."""
    if isinstance(backend.get("service"), Mapping):
        name, port_spec = backend["service"].get("name"), backend["service"].get("port") or {}
        port: Any = port_spec.get("number", port_spec.get("name")) if isinstance(port_spec, Mapping) else None
    else:
        name, port = backend.get("serviceName"), backend.get("servicePort")
    if not isinstance(name, str) or not name or port in (None, ""):
        if backend.get("resource") is not None:
            diag.error(ingress.ref, "UnsupportedIngressBackend", "resource backends are not supported")
        return None
    if isinstance(port, str) and not port.isdigit():
        number = ports.get((ingress.namespace, name, port))
        if number is None:
            diag.error(ingress.ref, "NoSuchServicePort",
                       f"Service {ingress.namespace}/{name} has no port named {port!r}; that path is not routed")
            return None
        port = number
    return f"{name}.{ingress.namespace}:{port}"


def own_service(services: Sequence[Resource], settings: CompileSettings) -> Resource | None:
    """Our own Service: in our namespace, labelled ``app.kubernetes.io/component: ambassador-service``."""
    key, value = OWN_SERVICE_LABEL
    candidates = [s for s in services if s.namespace == settings.namespace and s.labels.get(key) == value]
    return min(candidates, key=lambda s: s.name) if candidates else None


def ingress_statuses(ingresses: Sequence[Resource], services: Sequence[Resource], settings: CompileSettings,
                     diag: Diagnostics) -> tuple[StatusUpdate, ...]:
    ingresses = [i for i in ingresses if from_kubernetes(i)]
    if not ingresses:
        return ()
    service = own_service(services, settings)
    if service is None:
        diag.notice(None, "NoOwnService", f"no Service labelled {'='.join(OWN_SERVICE_LABEL)} in namespace "
                    f"{settings.namespace}: Ingress status is not updated")
        return ()
    balancer = as_mapping(as_mapping(service.body.get("status")).get("loadBalancer"))
    return tuple(StatusUpdate(kind="Ingress", api_version=i.api_version, namespace=i.namespace, name=i.name,
                              status={"loadBalancer": dict(balancer)}) for i in ingresses)
