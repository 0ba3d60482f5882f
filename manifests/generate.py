"""Write ``crds.yaml``, ``rbac.yaml`` and ``rbac-namespaced.yaml`` in this directory.

CRDs: one per getambassador.io kind, served and stored as v3alpha1, with a structural schema. The fields the
gateway reads are typed (the API server rejects a wrong type, with Kubernetes' own message); the rest of ``spec``
is preserved, so a field this version does not know yet reaches the gateway, which reports it. ``ambassador_id``
(a string or a list) and fields with several shapes are preserved as written. Mapping and Host have a status
subresource, which the gateway writes.

RBAC: the rules are ``watt.kinds.required_rules`` (list and watch every watched kind; patch the status the gateway
writes), once as a ClusterRole and once, for AMBASSADOR_SINGLE_NAMESPACE, as a Role.

Run ``python manifests/generate.py`` after changing a schema or ``watt/kinds.py``; a test fails while the committed
files differ from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watt.kinds import AMBASSADOR_GROUP, KINDS, required_rules  # noqa: E402

__all__ = ["crds", "rbac", "render", "NAME", "NAMESPACE"]

HERE = Path(__file__).resolve().parent
NAME = "emissary-py"
NAMESPACE = "emissary"

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
BOOL: dict[str, Any] = {"type": "boolean"}
ANY: dict[str, Any] = {"x-kubernetes-preserve-unknown-fields": True}
OBJ: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
STRINGS: dict[str, Any] = {"type": "array", "items": STR}
STRING_MAP: dict[str, Any] = {"type": "object", "additionalProperties": STR}


def _enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _ref(*fields: str) -> dict[str, Any]:
    return {"type": "object", "properties": {f: STR for f in fields}}


_MAPPING = {
    "prefix": STR, "prefix_regex": BOOL, "prefix_exact": BOOL, "case_sensitive": BOOL, "service": STR,
    "hostname": STR, "host": STR, "host_regex": BOOL, "method": STR, "method_regex": BOOL, "rewrite": STR,
    "host_rewrite": STR, "auto_host_rewrite": BOOL, "timeout_ms": INT, "idle_timeout_ms": INT,
    "connect_timeout_ms": INT, "weight": INT, "precedence": INT, "grpc": BOOL, "resolver": STR, "shadow": BOOL,
    "headers": OBJ, "regex_headers": STRING_MAP, "query_parameters": OBJ, "regex_query_parameters": STRING_MAP,
    "add_request_headers": OBJ, "add_response_headers": OBJ, "remove_request_headers": ANY,
    "remove_response_headers": ANY, "cors": OBJ, "retry_policy": OBJ, "load_balancer": OBJ,
    "circuit_breakers": {"type": "array", "items": OBJ}, "labels": OBJ, "tls": ANY, "stats_name": STR,
    "cluster_tag": STR, "bypass_auth": BOOL, "host_redirect": BOOL, "path_redirect": STR, "prefix_redirect": STR,
    "regex_redirect": OBJ, "redirect_response_code": INT, "regex_rewrite": _ref("pattern", "substitution"),
    "allow_upgrade": STRINGS, "use_websocket": BOOL, "docs": OBJ,
}
_HOST = {
    "hostname": STR, "tlsSecret": _ref("name", "namespace"), "tlsContext": _ref("name"), "tls": OBJ,
    "mappingSelector": {"type": "object", "properties": {"matchLabels": STRING_MAP}, **ANY},
    "selector": OBJ, "acmeProvider": OBJ, "previewUrl": OBJ,
    "requestPolicy": {"type": "object", "properties": {"insecure": {"type": "object", "properties": {
        "action": _enum("Redirect", "Reject", "Route"), "additionalPort": INT}}}},
}
_LISTENER = {
    "port": INT, "protocol": _enum("HTTP", "HTTPS", "HTTPPROXY", "HTTPSPROXY", "TCP", "TLS", "UDP"),
    "protocolStack": STRINGS, "securityModel": _enum("XFP", "SECURE", "INSECURE"), "hostBinding": OBJ,
    "l7Depth": INT, "statsPrefix": STR, "http2MaxConcurrentStreams": INT,
}
_TCPMAPPING = {"port": INT, "service": STR, "host": STR, "address": STR, "weight": INT, "idle_timeout_ms": INT,
               "resolver": STR, "tls": ANY, "cluster_tag": STR, "stats_name": STR, "circuit_breakers": ANY}
_TLSCONTEXT = {"hosts": STRINGS, "secret": STR, "ca_secret": STR, "crl_secret": STR, "cert_required": BOOL,
               "alpn_protocols": STR, "min_tls_version": STR, "max_tls_version": STR, "cipher_suites": STRINGS,
               "ecdh_curves": STRINGS, "sni": STR, "secret_namespacing": BOOL, "redirect_cleartext_from": INT}
_SERVICE = {"service": STR, "protocol_version": STR, "timeout_ms": INT, "tls": ANY, "stats_name": STR}

SCHEMAS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "Mapping": (_MAPPING, ("prefix", "service")),
    "Host": (_HOST, ()),
    "Listener": (_LISTENER, ("port", "securityModel")),
    "TCPMapping": (_TCPMAPPING, ("port", "service")),
    "TLSContext": (_TLSCONTEXT, ()),
    "Module": ({"config": OBJ}, ()),
    "AuthService": ({**_SERVICE, "auth_service": STR, "proto": _enum("http", "grpc"), "path_prefix": STR},
                    ("auth_service",)),
    "RateLimitService": ({**_SERVICE, "domain": STR, "failure_mode_deny": BOOL}, ("service",)),
    "TracingService": ({**_SERVICE, "driver": STR, "config": OBJ, "sampling": OBJ}, ("service", "driver")),
    "LogService": ({**_SERVICE, "driver": STR, "driver_config": OBJ, "flush_interval_time": INT}, ("service",)),
    "KubernetesServiceResolver": ({}, ()),
    "KubernetesEndpointResolver": ({}, ()),
    "ConsulResolver": ({"address": STR, "datacenter": STR}, ()),
    "DevPortal": ({}, ()),
}

STATUS: dict[str, dict[str, Any]] = {
    "Mapping": {"state": _enum("", "Inactive", "Running"), "reason": STR},
    "Host": {"state": _enum("Initial", "Pending", "Ready", "Error"), "reason": STR, "errorReason": STR,
             "phaseCompleted": STR, "phasePending": STR, "tlsCertificateSource": STR},
}

COLUMNS: dict[str, list[dict[str, str]]] = {
    "Mapping": [{"name": "Prefix", "type": "string", "jsonPath": ".spec.prefix"},
                {"name": "Service", "type": "string", "jsonPath": ".spec.service"},
                {"name": "State", "type": "string", "jsonPath": ".status.state"},
                {"name": "Reason", "type": "string", "jsonPath": ".status.reason"}],
    "Host": [{"name": "Hostname", "type": "string", "jsonPath": ".spec.hostname"},
             {"name": "State", "type": "string", "jsonPath": ".status.state"},
             {"name": "Reason", "type": "string", "jsonPath": ".status.errorReason"}],
    "Listener": [{"name": "Port", "type": "integer", "jsonPath": ".spec.port"},
                 {"name": "Protocol", "type": "string", "jsonPath": ".spec.protocol"}],
}


def _crd(kind: str, plural: str) -> dict[str, Any]:
    properties, required = SCHEMAS[kind]
    spec: dict[str, Any] = {"type": "object", "properties": {"ambassador_id": ANY, "ambassadorId": ANY,
                                                            **properties}, **ANY}
    if required:
        spec["required"] = list(required)
    schema: dict[str, Any] = {"type": "object", "properties": {
        "apiVersion": STR, "kind": STR, "metadata": {"type": "object"}, "spec": spec}}
    version: dict[str, Any] = {"name": "v3alpha1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": schema}}
    if kind in STATUS:
        schema["properties"]["status"] = {"type": "object", "properties": STATUS[kind], **ANY}
        version["subresources"] = {"status": {}}
    if kind in COLUMNS:
        version["additionalPrinterColumns"] = COLUMNS[kind]
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{AMBASSADOR_GROUP}", "labels": {"app.kubernetes.io/part-of": NAME}},
        "spec": {"group": AMBASSADOR_GROUP, "scope": "Namespaced", "versions": [version], "names": {
            "kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower(),
            "categories": ["ambassador-crds"]}},
    }


def crds() -> list[dict[str, Any]]:
    return [_crd(k.kind, k.plural) for k in KINDS if k.group == AMBASSADOR_GROUP]


def _rules(*, single_namespace: bool) -> list[dict[str, Any]]:
    return [{"apiGroups": [r.group], "resources": list(r.resources), "verbs": list(r.verbs)}
            for r in required_rules(single_namespace=single_namespace)]


def rbac(*, single_namespace: bool) -> list[dict[str, Any]]:
    """ServiceAccount, (Cluster)Role and its binding."""
    meta = {"name": NAME, "labels": {"app.kubernetes.io/name": NAME}}
    role_kind = "Role" if single_namespace else "ClusterRole"
    role_meta = {**meta, "namespace": NAMESPACE} if single_namespace else meta
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {**meta, "namespace": NAMESPACE}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": role_kind, "metadata": role_meta,
         "rules": _rules(single_namespace=single_namespace)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": f"{role_kind}Binding", "metadata": role_meta,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": NAME},
         "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]},
    ]


class _Dumper(yaml.SafeDumper):
    """Writes shared schema pieces out in full: no anchors or aliases in a manifest."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(docs: list[dict[str, Any]], header: str) -> str:
    body = "---\n".join(yaml.dump(d, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)
                         for d in docs)
    return f"# {header}\n# Generated by manifests/generate.py; edit that file, not this one.\n---\n{body}"


def outputs() -> dict[str, str]:
    return {
        "crds.yaml": render(crds(), "getambassador.io/v3alpha1 CustomResourceDefinitions"),
        "rbac.yaml": render(rbac(single_namespace=False),
                            f"RBAC for watching every namespace (ServiceAccount {NAMESPACE}/{NAME})"),
        "rbac-namespaced.yaml": render(rbac(single_namespace=True),
                                       f"RBAC for AMBASSADOR_SINGLE_NAMESPACE: namespace {NAMESPACE} only"),
    }


def main() -> int:
    for name, text in outputs().items():
        (HERE / name).write_text(text)
        print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
