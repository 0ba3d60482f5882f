"""``getambassador.io/config`` annotations on Services and Ingresses: each YAML document becomes an object.

The documents are usually in the flat form (``apiVersion, kind, name, prefix, service …``); the resource rules in
``kinds/resources.py`` turn them into resources like any other. What this module adds (SPEC §4.0): the namespace and
labels default to the parent's, and each object's location names its parent, so its key is ``<svc>.<ns>.<N>`` and
diag shows where it came from. An annotation that is not YAML is an error on its parent; the parent itself (and
every other object) is unaffected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from itertools import chain
from typing import Any

import yaml

from diagd.compile.model.problems import Diagnostics, ResourceRef
from diagd.compile.model.raw import as_mapping
from diagd.compile.model.source import Location, Snapshot, SourceObject
from diagd.compile.splice import ItemMap, Partition, mapped, split

__all__ = ["ANNOTATION", "expand_annotations"]

ANNOTATION = "getambassador.io/config"
PARENT_KINDS = frozenset({"Service", "Ingress"})

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def expand_annotations(snapshot: Snapshot, diag: Diagnostics, *, parents: Partition[SourceObject] | None = None,
                       children: ItemMap[SourceObject, tuple[SourceObject, ...]] | None = None) -> Snapshot:
    """The snapshot plus one object per annotation document (unchanged when there are none). With memos, a parent
    object seen by the previous compile gives the same child objects again, without parsing its YAML."""
    objects = snapshot.objects

    def documents(obj: SourceObject, child: Diagnostics) -> tuple[SourceObject, ...]:
        return tuple(_children(obj, obj.body, child))
    made = mapped(split(objects, _is_parent, parents).get(True, []), diag, documents, children)
    extra = tuple(chain.from_iterable(made))
    if not extra:
        return snapshot
    return dataclasses.replace(snapshot, objects=(*objects, *extra))


def _is_parent(obj: SourceObject) -> bool:
    return obj.kind in PARENT_KINDS


def _children(obj: SourceObject, body: Mapping[str, Any], diag: Diagnostics) -> Iterator[SourceObject]:
    meta = as_mapping(body.get("metadata"))
    text = as_mapping(meta.get("annotations")).get(ANNOTATION)
    if not isinstance(text, str) or not text.strip():
        return
    name, namespace = str(meta.get("name", "?")), str(meta.get("namespace") or "")
    parent = f"{name}.{namespace}" if namespace else name
    ref = ResourceRef(kind=str(body["kind"]), name=name, namespace=namespace, rkey=f"{parent}.1",
                      location=obj.location)
    try:
        documents = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.YAMLError as exc:
        diag.error(ref, "InvalidAnnotation", f"{ANNOTATION} annotation is not valid YAML: {' '.join(str(exc).split())}")
        return
    labels = meta["labels"] if isinstance(meta.get("labels"), Mapping) else None
    for index, doc in enumerate(documents, start=1):
        if not isinstance(doc, Mapping):
            diag.error(ref, "InvalidAnnotation", f"{ANNOTATION} document {index} must be an object")
            continue
        child = _with_parent_defaults(doc, namespace, labels)
        location = Location(kind=str(child.get("kind") or ""), namespace=_child_namespace(child) or namespace,
                            name=_child_name(child), parent=parent, index=index)
        key = f"{obj.key}\x00{index}" if obj.key is not None else None  # same parent line, same child
        yield SourceObject(child, location, key=key)


def _with_parent_defaults(doc: Mapping[str, Any], namespace: str, labels: Mapping[str, Any] | None) -> dict[str, Any]:
    child = dict(doc)
    if isinstance(child.get("metadata"), Mapping):  # Kubernetes form inside an annotation
        meta = dict(child["metadata"])
        meta.setdefault("namespace", namespace)
        if labels is not None:
            meta.setdefault("labels", dict(labels))
        child["metadata"] = meta
        return child
    if namespace:
        child.setdefault("namespace", namespace)
    if labels is not None:
        child.setdefault("metadata_labels", dict(labels))
    return child


def _child_name(child: Mapping[str, Any]) -> str:
    meta = child.get("metadata")
    return str((meta.get("name") if isinstance(meta, Mapping) else child.get("name")) or "")


def _child_namespace(child: Mapping[str, Any]) -> str:
    meta = child.get("metadata")
    return str((meta.get("namespace") if isinstance(meta, Mapping) else child.get("namespace")) or "")
