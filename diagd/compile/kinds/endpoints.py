"""From Services, Endpoints and EndpointSlices to the load assignments of EDS clusters.

A key ``k8s/<ns>/<svc>/<port>`` names a Service port (the port a Mapping's ``service`` names). Its endpoints are
the ready addresses of the Service's EndpointSlices (``kubernetes.io/service-name``), or of its Endpoints when it
has no slices, on the endpoint port whose name matches that Service port. Without a Service object the endpoint
port with that number (or the only one) is used.

This reads raw snapshot objects of three kinds only, so that diagd can re-derive the assignments when nothing but
endpoints changed, without compiling again; a full compile uses the same function and gets the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diagd.compile.ir.cluster import Cluster, Discovery
from diagd.compile.ir.endpoints import Endpoint, LoadAssignment, endpoint_key
from diagd.compile.model.raw import as_list, as_mapping
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Snapshot

__all__ = ["ENDPOINT_KINDS", "EndpointData", "load_assignments", "eds_keys"]

ENDPOINT_KINDS = frozenset({"Endpoints", "EndpointSlice"})
_INPUT_KINDS = ENDPOINT_KINDS | {"Service"}
SERVICE_NAME_LABEL = "kubernetes.io/service-name"

_Key = tuple[str, str]  # (namespace, name)


def _meta(body: Mapping[str, Any], default_namespace: str) -> tuple[_Key, Mapping[str, Any]]:
    meta = as_mapping(body.get("metadata"))
    return (str(meta.get("namespace") or default_namespace), str(meta.get("name") or "")), meta


@dataclass(slots=True)
class EndpointData:
    services: dict[_Key, Sequence[Any]] = field(default_factory=dict)  # Service ports
    endpoints: dict[_Key, Sequence[Any]] = field(default_factory=dict)  # Endpoints subsets
    slices: dict[_Key, list[Mapping[str, Any]]] = field(default_factory=dict)  # by owning Service

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, default_namespace: str) -> EndpointData:
        data = cls()
        for obj in snapshot.objects:
            body = obj.body
            if isinstance(body, Mapping) and body.get("kind") in _INPUT_KINDS:
                data.add(body, default_namespace)
        return data

    def add(self, body: Mapping[str, Any], default_namespace: str) -> None:
        key, meta = _meta(body, default_namespace)
        kind = body.get("kind")
        if kind == "Service":
            self.services[key] = as_list(as_mapping(body.get("spec")).get("ports"))
        elif kind == "Endpoints":
            self.endpoints[key] = as_list(body.get("subsets"))
        elif kind == "EndpointSlice":
            owner = as_mapping(meta.get("labels")).get(SERVICE_NAME_LABEL)
            if isinstance(owner, str):
                self.slices.setdefault((key[0], owner), []).append(body)

    def resolve(self, namespace: str, service: str, port: int) -> tuple[Endpoint, ...]:
        ports = self.services.get((namespace, service))
        wanted: _PortChoice = _PortChoice(number=port)
        if ports is not None:
            match = next((p for p in ports if isinstance(p, Mapping) and p.get("port") == port), None)
            if match is None:
                return ()
            wanted = _PortChoice(name=str(match.get("name") or ""))
        slices = self.slices.get((namespace, service))
        found = _from_slices(slices, wanted) if slices else _from_subsets(self.endpoints.get((namespace, service)), wanted)
        return tuple(sorted(set(found)))


@dataclass(frozen=True, slots=True)
class _PortChoice:
    """The endpoint port to use: by Service port name, else by number (or the only port)."""

    name: str | None = None
    number: int | None = None

    def pick(self, ports: Sequence[Any]) -> int | None:
        candidates = [p for p in ports if isinstance(p, Mapping) and isinstance(p.get("port"), int)]
        if self.name is not None:
            chosen = [p for p in candidates if str(p.get("name") or "") == self.name]
        else:
            chosen = [p for p in candidates if p.get("port") == self.number] or (
                candidates if len(candidates) == 1 else [])
        return int(chosen[0]["port"]) if chosen else None


def _from_slices(slices: Iterable[Mapping[str, Any]], wanted: _PortChoice) -> Iterable[Endpoint]:
    for slc in slices:
        port = wanted.pick(as_list(slc.get("ports")))
        if port is None:
            continue
        for endpoint in map(as_mapping, as_list(slc.get("endpoints"))):
            if as_mapping(endpoint.get("conditions")).get("ready") is False:
                continue
            yield from (Endpoint(str(a), port) for a in as_list(endpoint.get("addresses")))


def _from_subsets(subsets: Sequence[Any] | None, wanted: _PortChoice) -> Iterable[Endpoint]:
    for subset in subsets or ():
        if not isinstance(subset, Mapping):
            continue
        port = wanted.pick(as_list(subset.get("ports")))
        if port is None:
            continue
        for address in as_list(subset.get("addresses")):
            if isinstance(address, Mapping) and address.get("ip"):
                yield Endpoint(str(address["ip"]), port)


def eds_keys(clusters: Iterable[Cluster]) -> tuple[str, ...]:
    return tuple(sorted({endpoint_key(c.upstream) for c in clusters if c.upstream.discovery is Discovery.EDS}))


def load_assignments(clusters: Iterable[Cluster], snapshot: Snapshot, settings: CompileSettings) -> tuple[
        LoadAssignment, ...]:
    """One assignment per EDS key the clusters use, sorted by key."""
    keys = eds_keys(clusters)
    if not keys:
        return ()
    data = EndpointData.from_snapshot(snapshot, settings.namespace)
    out = []
    for key in keys:
        _, namespace, service, port = key.split("/")
        out.append(LoadAssignment(key=key, endpoints=data.resolve(namespace, service, int(port))))
    return tuple(out)
