"""From an API object to its snapshot line, keeping only what the compiler reads.

``resourceVersion``, ``managedFields``, ``selfLink``, ``generation``, kubectl's last-applied copy and (except for
Services) ``status`` are dropped. Two versions of an object that differ only there give the same line, so our own
status writes, and the resourceVersion bumps they cause, never produce a new snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watt.formats.snapshot import encode_object
from watt.kinds import AMBASSADOR_GROUP, WatchedKind

__all__ = ["ObjectKey", "object_key", "snapshot_line", "for_ambassador_id"]

ObjectKey = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects

_NOISE_METADATA = frozenset({"resourceVersion", "managedFields", "selfLink", "generation"})
_NOISE_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})


def object_key(raw: Mapping[str, Any]) -> ObjectKey:
    meta = raw.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def for_ambassador_id(spec: Any, ambassador_id: str) -> bool:
    """Emissary's rule: used iff ``ambassador_id`` (string or list, default ``default``) names ours or
    ``_automatic_``. A malformed value is kept, so that the compiler reports it."""
    if not isinstance(spec, Mapping):
        return True
    ids = spec.get("ambassador_id", spec.get("ambassadorId", "default"))
    if isinstance(ids, str):
        ids = [ids]
    if not isinstance(ids, list):
        return True
    return ambassador_id in ids or "_automatic_" in ids


def _clean_metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in meta.items() if k not in _NOISE_METADATA}
    annotations = meta.get("annotations")
    if isinstance(annotations, Mapping) and not _NOISE_ANNOTATIONS.isdisjoint(annotations):
        kept = {k: v for k, v in annotations.items() if k not in _NOISE_ANNOTATIONS}
        if kept:
            out["annotations"] = kept
        else:
            out.pop("annotations")
    return out


def snapshot_line(kind: WatchedKind, version: str, raw: Mapping[str, Any], *, ambassador_id: str) -> str | None:
    """The snapshot line for ``raw``, or None when watt does not keep it (another AMBASSADOR_ID, a Secret with
    no TLS material)."""
    if kind.accept is not None and not kind.accept(raw):
        return None
    if kind.group == AMBASSADOR_GROUP and not for_ambassador_id(raw.get("spec"), ambassador_id):
        return None
    body = {k: v for k, v in raw.items() if k != "status" or kind.keep_status}
    body["apiVersion"] = kind.api_version(version)
    body["kind"] = kind.kind
    body["metadata"] = _clean_metadata(raw.get("metadata") or {})
    namespace, name = object_key(raw)
    location = {"kind": kind.kind, "name": name, **({"namespace": namespace} if namespace else {})}
    return encode_object(body, location)
