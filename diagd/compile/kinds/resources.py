"""From snapshot objects to normalised resources: apiVersion, kind, flat form, namespace, key, ambassador_id.

This is where SPEC §4.0's common rules live. What comes out is every resource this gateway should consider,
deduplicated, in a canonical order (by where it came from), so that input order never changes the output.
"""

from __future__ import annotations

import operator

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from diagd.compile.kinds.fields import type_name
from diagd.compile.model.problems import Diagnostics, ResourceRef
from diagd.compile.model.records import direct_init
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Location, Snapshot, SourceObject
from diagd.compile.splice import ItemMap

__all__ = ["Resource", "Collected", "collect_resources", "AMBASSADOR_KINDS", "CORE_KINDS"]

AMBASSADOR_GROUP = "getambassador.io"
CURRENT_VERSION = "getambassador.io/v3alpha1"

AMBASSADOR_KINDS = frozenset({
    "Mapping", "Host", "Listener", "TLSContext", "TCPMapping", "Module", "AuthService", "RateLimitService",
    "TracingService", "LogService", "KubernetesServiceResolver", "KubernetesEndpointResolver", "ConsulResolver",
    "DevPortal",
})

CORE_KINDS = {
    "Secret": ("v1",),
    "Service": ("v1",),
    "Endpoints": ("v1",),
    "EndpointSlice": ("discovery.k8s.io/v1", "discovery.k8s.io/v1beta1"),
    "Ingress": ("networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"),
    "IngressClass": ("networking.k8s.io/v1", "networking.k8s.io/v1beta1"),
    "ConfigMap": ("v1",),
}


@direct_init
@dataclass(frozen=True, slots=True)
class Resource:
    ref: ResourceRef
    api_version: str
    spec: Mapping[str, Any]
    body: Mapping[str, Any]
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    key: str | None = None  # the source object's content key (see SourceObject.key)
    # The ref's, as attributes: read for every resource of every compile.
    kind: str = field(init=False, repr=False, compare=False)
    name: str = field(init=False, repr=False, compare=False)
    namespace: str = field(init=False, repr=False, compare=False)
    identity: tuple[str, str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ref = self.ref
        object.__setattr__(self, "kind", ref.kind)
        object.__setattr__(self, "name", ref.name)
        object.__setattr__(self, "namespace", ref.namespace)
        object.__setattr__(self, "identity", (ref.kind, ref.namespace, ref.name))


_ORDER = operator.attrgetter("ref.location.order")
_IDENTITY = operator.attrgetter("identity")
_KEY = operator.attrgetter("key")


@dataclass
class Collected:
    """What ``collect_resources`` keeps between compiles: the per-object results, and where each object's resource
    landed in the output (-1: dropped as a duplicate, or no resource), so that an edit in place that keeps each
    changed resource's identity and location replaces it where it was, with no sort and no duplicate check."""

    objects: ItemMap[SourceObject, Resource | None] = field(default_factory=ItemMap)
    output: tuple[Resource, ...] = ()
    slots: list[int] = field(default_factory=list)
    duplicates: bool = True  # whether the output dropped any (then it is made again on every compile)

    def begin(self, settings: CompileSettings) -> None:
        self.objects.begin(settings)


def collect_resources(snapshot: Snapshot, settings: CompileSettings, diag: Diagnostics,
                      memo: Collected | None = None) -> tuple[Resource, ...]:
    """Normalise every object, report the invalid ones, keep those for this AMBASSADOR_ID, drop duplicates."""
    for invalid in snapshot.invalid:
        ref = _ref_for(invalid.location, kind="File", name=invalid.location.file or "?", namespace="")
        diag.error(ref, invalid.reason, invalid.message)

    def select(obj: SourceObject, child: Diagnostics) -> Resource | None:
        return _selected_resource(obj, settings, child)
    if memo is None:
        return _ordered([select(obj, diag) for obj in snapshot.objects], diag)
    results = memo.objects.map(snapshot.objects, diag, select, key=_KEY)
    output = _replaced_in_place(memo, results)
    if output is None:
        checked = Diagnostics()
        output = _ordered(results, checked)
        duplicates = checked.collected()
        diag.extend(duplicates)
        where = {id(res): i for i, res in enumerate(output)}
        memo.slots, memo.duplicates = [where.get(id(res), -1) for res in results], bool(duplicates)
    memo.output = output
    return output


def _ordered(results: list[Resource | None], diag: Diagnostics) -> tuple[Resource, ...]:
    resources = sorted(filter(None, results), key=_ORDER)  # by where each came from (stable)
    identities = list(map(_IDENTITY, resources))
    if len(set(identities)) == len(identities):
        return tuple(resources)
    return _first_of_each(resources, diag)


def _replaced_in_place(memo: Collected, results: list[Resource | None]) -> tuple[Resource, ...] | None:
    before = memo.objects.before
    if before is None or memo.duplicates:
        return None
    output = list(memo.output)
    for i in memo.objects.recomputed:
        old, new, slot = before[i], results[i], memo.slots[i]
        if old is None or new is None or slot < 0 or old.identity != new.identity or \
                old.ref.location.order != new.ref.location.order:
            return None
        output[slot] = new
    return tuple(output)


def _first_of_each(resources: list[Resource], diag: Diagnostics) -> tuple[Resource, ...]:
    kept: dict[tuple[str, str, str], Resource] = {}
    for resource in resources:
        first = kept.get(resource.identity)
        if first is not None:
            diag.error(resource.ref, "DuplicateName",
                       f"{resource.kind} {resource.namespace}/{resource.name} is already defined at "
                       f"{first.ref.location.describe()}; this one is ignored")
            continue
        kept[resource.identity] = resource
    return tuple(kept.values())


def _selected_resource(obj: SourceObject, settings: CompileSettings, diag: Diagnostics) -> Resource | None:
    resource = _normalise(obj, settings, diag)
    return resource if resource is not None and _selected(resource, settings, diag) else None


def _ref_for(location: Location, *, kind: str, name: str, namespace: str) -> ResourceRef:
    if location.file is not None:
        rkey = f"{location.file}.{location.index or 1}"
    elif location.parent is not None:
        rkey = f"{location.parent}.{location.index or 1}"
    else:
        rkey = f"{name}.{namespace}.1"
    return ResourceRef(kind=kind, name=name, namespace=namespace, rkey=rkey, location=location)


def _anonymous(obj: SourceObject) -> ResourceRef:
    return _ref_for(obj.location, kind="Object", name="?", namespace="")


def _normalise(obj: SourceObject, settings: CompileSettings, diag: Diagnostics) -> Resource | None:
    body = obj.body
    if not _is_object(body):
        diag.error(_anonymous(obj), "NotAnObject", f"a resource must be an object, not {type_name(body)}")
        return None
    kind, api_version = obj.kind, obj.api_version  # the body's, when strings
    if not kind:
        diag.error(_anonymous(obj), "MissingKind", "kind in body is required")
        return None
    flat = "metadata" not in body and "spec" not in body and "name" in body
    meta = _flat_metadata(body) if flat else body.get("metadata")
    if not _is_object(meta) or not isinstance(meta.get("name"), str) or not meta.get("name"):
        diag.error(_ref_for(obj.location, kind=kind, name="?", namespace=""), "MissingName",
                   "metadata.name in body is required")
        return None
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
    ref = _ref_for(obj.location, kind=kind, name=meta["name"], namespace=namespace or settings.namespace)
    if not _api_version_ok(kind, api_version, ref, diag):
        return None
    spec = _flat_spec(body) if flat else body.get("spec", {})
    if spec is None and kind in AMBASSADOR_KINDS:
        spec = {}
    if not _is_object(spec):
        diag.error(ref, "InvalidSpec", f"spec in body must be of type object: \"{type_name(spec)}\"")
        return None
    return Resource(ref=ref, api_version=str(api_version), spec=spec, body=body,
                    labels=_string_map(meta.get("labels")), annotations=_string_map(meta.get("annotations")),
                    key=obj.key)


def _flat_metadata(body: Mapping[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": body.get("name")}
    if "namespace" in body:
        meta["namespace"] = body["namespace"]
    if isinstance(body.get("metadata_labels"), Mapping):
        meta["labels"] = body["metadata_labels"]
    return meta


def _flat_spec(body: Mapping[str, Any]) -> dict[str, Any]:
    skip = {"apiVersion", "kind", "name", "namespace", "generation", "metadata_labels"}
    return {key: value for key, value in body.items() if key not in skip}


def _is_object(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # (a plain dict, the usual case, without the ABC check)


def _string_map(raw: Any) -> dict[str, str]:
    if raw is None or not _is_object(raw):
        return {}
    return {str(k): str(v) for k, v in raw.items() if v is not None}


def _api_version_ok(kind: str, api_version: Any, ref: ResourceRef, diag: Diagnostics) -> bool:
    version = api_version if isinstance(api_version, str) else None
    if kind in CORE_KINDS:
        if version in CORE_KINDS[kind]:
            return True
        diag.error(ref, "UnsupportedAPIVersion", f"apiVersion {version} unsupported for {kind}")
        return False
    if version is not None and version.startswith("ambassador/"):
        version = AMBASSADOR_GROUP + version[len("ambassador"):]
    if version is None or not version.startswith(AMBASSADOR_GROUP + "/"):
        diag.error(ref, "UnsupportedAPIVersion", f"apiVersion {version} unsupported")
        return False
    if kind not in AMBASSADOR_KINDS:
        diag.error(ref, "UnknownKind", f"kind {kind} is not a {AMBASSADOR_GROUP} kind")
        return False
    if version == "getambassador.io/v2":
        diag.notice(ref, "DeprecatedAPIVersion", f"apiVersion {version} is deprecated; use {CURRENT_VERSION}")
    elif version != CURRENT_VERSION:
        diag.notice(ref, "UnknownAPIVersion", f"apiVersion {version} is processed as {CURRENT_VERSION}")
    return True


def _selected(resource: Resource, settings: CompileSettings, diag: Diagnostics) -> bool:
    """Emissary's ambassador_id rule: a resource is used iff its ids contain ours (or ``_automatic_``)."""
    if resource.kind not in AMBASSADOR_KINDS:
        return True
    raw = resource.spec.get("ambassador_id", resource.spec.get("ambassadorId", "default"))
    if isinstance(raw, str):
        return raw in (settings.ambassador_id, "_automatic_")
    if not isinstance(raw, list) or not all(isinstance(i, str) for i in raw):
        diag.error(resource.ref, "InvalidField", f"ambassador_id must be a string or a list of strings, not {type_name(raw)}")
        return False
    return settings.ambassador_id in raw or "_automatic_" in raw
