"""Gateway API objects (gateway.networking.k8s.io): watched and snapshotted, not compiled yet.

They are set aside before the resource rules run, so that they are not reported as unsupported apiVersions, and
one notice says how many there are.
"""

from __future__ import annotations

import dataclasses

from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.source import Snapshot, SourceObject
from diagd.compile.splice import Partition, split

__all__ = ["GATEWAY_API_GROUP", "set_aside_gateway_api"]

GATEWAY_API_GROUP = "gateway.networking.k8s.io"


def _is_gateway_api(obj: SourceObject) -> bool:
    return obj.api_version is not None and obj.api_version.startswith(GATEWAY_API_GROUP + "/")


def set_aside_gateway_api(snapshot: Snapshot, diag: Diagnostics, memo: Partition[SourceObject] | None = None
                          ) -> Snapshot:
    parts = split(snapshot.objects, _is_gateway_api, memo)
    aside = parts.get(True)
    if not aside:
        return snapshot
    kinds = sorted({str(obj.kind) for obj in aside})
    diag.notice(None, "GatewayAPINotCompiled", f"{len(aside)} Gateway API objects "
                f"({', '.join(kinds)}) are watched but not compiled yet; they have no effect")
    return dataclasses.replace(snapshot, objects=tuple(parts.get(False, ())))
