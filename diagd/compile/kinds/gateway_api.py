"""Gateway API objects (gateway.networking.k8s.io): watched and snapshotted, not compiled yet.

They are set aside before the resource rules run, so that they are not reported as unsupported apiVersions, and
one notice says how many there are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.source import Snapshot

__all__ = ["GATEWAY_API_GROUP", "set_aside_gateway_api"]

GATEWAY_API_GROUP = "gateway.networking.k8s.io"


def _is_gateway_api(body: object) -> bool:
    api_version = body.get("apiVersion") if type(body) is dict or isinstance(body, Mapping) else None
    return isinstance(api_version, str) and api_version.startswith(GATEWAY_API_GROUP + "/")


def set_aside_gateway_api(snapshot: Snapshot, diag: Diagnostics) -> Snapshot:
    kept = tuple(obj for obj in snapshot.objects if not _is_gateway_api(obj.body))
    if len(kept) == len(snapshot.objects):
        return snapshot
    kinds = sorted({str(obj.body.get("kind")) for obj in snapshot.objects if _is_gateway_api(obj.body)})
    diag.notice(None, "GatewayAPINotCompiled", f"{len(snapshot.objects) - len(kept)} Gateway API objects "
                f"({', '.join(kinds)}) are watched but not compiled yet; they have no effect")
    return dataclasses.replace(snapshot, objects=kept)
