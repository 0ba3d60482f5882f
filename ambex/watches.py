"""The SotW ADS rules, per stream and resource type, with no gRPC in sight (unit-tested with a fake stream).

- A request whose nonce is not the latest we sent is stale: ignored.
- With the latest nonce: ``error_detail`` set means NACK (Envoy keeps what it had; we do not resend the same
  version), otherwise ACK of what we sent.
- No nonce: a (re)subscription. If Envoy already has our current version (it says so after reconnecting), nothing
  is sent.
- A response is sent only when its content version differs from the last one sent, or the requested names changed.
- CDS/LDS carry every resource; RDS/EDS carry the names asked for.
- RDS responses carry only the route configurations that differ from those last sent (Envoy keeps route
  configurations a response leaves out; one Envoy stops asking for leaves ``sent`` with the next response, so
  asked for again it is sent again), and changed ones small enough to apply at once go first in a response of
  their own, so a Host's small route configuration is not held up by a large one (a catch-all Host's, say).
- Make before break: a cluster still used by routes Envoy has acknowledged stays in CDS until the routes that
  replace it are acknowledged, so moving a route to a new cluster never yields "no cluster" 503s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from ambex.snapshot import CLUSTER, ENDPOINT, ROUTE, Resource, Snapshot, content_version

__all__ = ["RequestKind", "TypeWatch", "classify", "select", "Selection", "route_batches", "SMALL_ROUTE_CONFIG"]

NAMED_TYPES = (ROUTE, ENDPOINT)


class RequestKind(str, Enum):
    STALE = "stale"
    ACK = "ack"
    NACK = "nack"
    SUBSCRIBE = "subscribe"


@dataclass
class TypeWatch:
    """What one stream has asked for and been sent, for one resource type."""

    type_url: str
    subscribed: bool = False
    names: frozenset[str] = frozenset()
    nonce: str | None = None
    version: str | None = None
    sent_seq: int | None = None
    sent: Mapping[str, Resource] = field(default_factory=dict)
    acked_version: str | None = None
    acked: Mapping[str, Resource] = field(default_factory=dict)


def classify(watch: TypeWatch, nonce: str, has_error: bool) -> RequestKind:
    if not nonce:
        return RequestKind.SUBSCRIBE
    if nonce != watch.nonce:
        return RequestKind.STALE
    return RequestKind.NACK if has_error else RequestKind.ACK


@dataclass(frozen=True, slots=True)
class Selection:
    version: str
    resources: Mapping[str, Resource]


def select(watch: TypeWatch, snapshot: Snapshot, routes_acked: Mapping[str, Resource],
           clusters_sent: Mapping[str, Resource]) -> Selection:
    """The resources one response for ``watch`` would carry now, and their content version."""
    available = snapshot.of(watch.type_url)
    if watch.type_url in NAMED_TYPES and watch.names:
        chosen = {name: available[name] for name in sorted(watch.names) if name in available}
    else:
        chosen = dict(available)
    if watch.type_url == CLUSTER:
        still_used = frozenset().union(*(r.refs for r in routes_acked.values())) if routes_acked else frozenset()
        for name in sorted(still_used - chosen.keys()):
            if name in clusters_sent:
                chosen[name] = clusters_sent[name]
    return Selection(version=content_version(chosen.values()), resources=chosen)


SMALL_ROUTE_CONFIG = 256 * 1024  # bytes: a route configuration Envoy applies in a few milliseconds


def route_batches(selection: Selection, sent: Mapping[str, Resource]) -> list[tuple[str, Mapping[str, Resource]]]:
    """(version, resources) of the RDS responses for ``selection``: the route configurations that differ from
    ``sent``; when some are small and some are not, first the small ones alone, then every changed one again (so
    the last response alone decides what is acknowledged or rejected, and re-applying an unchanged configuration
    costs Envoy nothing)."""
    changed = {name: res for name, res in selection.resources.items()
               if name not in sent or sent[name].digest != res.digest}
    small = {name: res for name, res in changed.items() if len(res.body) <= SMALL_ROUTE_CONFIG}
    if small and len(small) < len(changed):
        return [(f"{selection.version}-small", small), (selection.version, changed)]
    return [(selection.version, changed)]
