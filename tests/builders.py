"""Builders for test resources: plain dicts in the exact shape users write, and YAML for files."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["listener", "host", "mapping", "module", "to_yaml", "resource"]

API = "getambassador.io/v3alpha1"


def resource(kind: str, name: str, spec: dict[str, Any], *, namespace: str | None = None,
             labels: dict[str, str] | None = None, api_version: str = API) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}


def listener(name: str, port: int, *, protocol: str = "HTTP", security_model: str = "XFP",
             from_: str = "ALL", **spec: Any) -> dict[str, Any]:
    return resource("Listener", name, {"port": port, "protocol": protocol, "securityModel": security_model,
                                       "hostBinding": {"namespace": {"from": from_}}, **spec})


def host(name: str, hostname: str = "*", *, action: str | None = "Route", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"hostname": hostname, **spec}
    if action is not None:
        body["requestPolicy"] = {"insecure": {"action": action}}
    return resource("Host", name, body)


def mapping(name: str, prefix: str, service: str, *, hostname: str | None = "*", namespace: str | None = None,
            labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"prefix": prefix, "service": service, **spec}
    if hostname is not None:
        body["hostname"] = hostname
    return resource("Mapping", name, body, namespace=namespace, labels=labels)


def module(config: dict[str, Any]) -> dict[str, Any]:
    return resource("Module", "ambassador", {"config": config})


def to_yaml(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(list(docs), sort_keys=False)
