"""One ADS stream: applies the rules of ``watches`` to requests and snapshots, producing DiscoveryResponses."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from google.protobuf.any_pb2 import Any as AnyMessage

from ambex.snapshot import CLUSTER, ORDER, ROUTE, SHORT, Resource, Snapshot
from ambex.status import StatusReporter
from ambex.watches import RequestKind, TypeWatch, classify, route_batches, select
from envoy.service.discovery.v3.discovery_pb2 import DiscoveryRequest, DiscoveryResponse

__all__ = ["AdsStream"]

log = logging.getLogger("ambex.stream")


class AdsStream:
    def __init__(self, sid: int, reporter: StatusReporter) -> None:
        self.sid = sid
        self.reporter = reporter
        self.watches = {type_url: TypeWatch(type_url) for type_url in ORDER}
        self.pending: dict[int, set[str]] = {}
        self.node_id: str | None = None
        self._nonce = 0

    def handle(self, request: DiscoveryRequest, snapshot: Snapshot | None) -> list[DiscoveryResponse]:
        watch = self.watches.get(request.type_url)
        if watch is None:
            log.debug("stream %d: ignoring request for unserved type %s", self.sid, request.type_url)
            return []
        if self.node_id is None and request.node.id:
            self.node_id = request.node.id
        kind = classify(watch, request.response_nonce, request.HasField("error_detail"))
        if kind is RequestKind.STALE:
            return []
        if kind is RequestKind.ACK:
            self._ack(watch)
        elif kind is RequestKind.NACK:
            self._nack(watch, request.error_detail.message)
        else:
            self._subscribe(watch, request, snapshot)
        watch.names = frozenset(request.resource_names)
        if snapshot is None:
            return []
        responses = self._respond(watch, snapshot)
        if kind is RequestKind.ACK and watch.type_url == ROUTE:  # make before break: release old clusters
            responses += self._respond(self.watches[CLUSTER], snapshot)
        return responses

    def update(self, snapshot: Snapshot) -> list[DiscoveryResponse]:
        """A new snapshot: send, in CDS → EDS → LDS → RDS order, whatever changed for this stream."""
        responses = [r for t in ORDER for r in self._respond(self.watches[t], snapshot)]
        if not responses and any(w.subscribed for w in self.watches.values()):
            self.reporter.acked(snapshot.seq, snapshot.version)  # Envoy already has all of it
        return responses

    def _subscribe(self, watch: TypeWatch, request: DiscoveryRequest, snapshot: Snapshot | None) -> None:
        watch.subscribed = True
        if request.version_info and snapshot is not None:
            watch.names = frozenset(request.resource_names)
            current = select(watch, snapshot, self.watches[ROUTE].acked, self.watches[CLUSTER].sent)
            if current.version == request.version_info:  # Envoy reconnected and already has it
                watch.version = watch.acked_version = current.version
                watch.sent = watch.acked = current.resources
                watch.sent_seq = snapshot.seq

    def _ack(self, watch: TypeWatch) -> None:
        watch.acked_version, watch.acked = watch.version, watch.sent
        seq = watch.sent_seq
        if seq is None:
            return
        for pending_seq in sorted(self.pending):
            if pending_seq > seq:
                break
            types = self.pending[pending_seq]
            types.discard(watch.type_url)
            if not types:
                del self.pending[pending_seq]
                self.reporter.acked(pending_seq, watch.version)

    def _nack(self, watch: TypeWatch, message: str) -> None:
        seq = watch.sent_seq if watch.sent_seq is not None else -1
        self.pending.pop(seq, None)
        self.reporter.nacked({"type": SHORT[watch.type_url], "version": watch.version or "", "message": message,
                              "at": time.time(), "snapshot_seq": seq})

    def _respond(self, watch: TypeWatch, snapshot: Snapshot) -> list[DiscoveryResponse]:
        """What ``watch`` needs for ``snapshot``: nothing when Envoy has (or was sent) this version; else one response,
        or for route configurations, small changed ones first and then every changed one (see ``route_batches``)."""
        if not watch.subscribed:
            return []
        selection = select(watch, snapshot, self.watches[ROUTE].acked, self.watches[CLUSTER].sent)
        if selection.version == watch.version:
            return []
        if watch.type_url == ROUTE:
            batches = route_batches(selection, watch.sent)
        else:
            batches = [(selection.version, selection.resources)]
        responses = [self._response(watch, version, resources) for version, resources in batches]
        watch.version, watch.sent, watch.sent_seq = selection.version, selection.resources, snapshot.seq
        self.pending.setdefault(snapshot.seq, set()).add(watch.type_url)
        self.reporter.pushed(snapshot.seq)
        return responses

    def _response(self, watch: TypeWatch, version: str, resources: Mapping[str, Resource]) -> DiscoveryResponse:
        self._nonce += 1
        response = DiscoveryResponse(version_info=version, type_url=watch.type_url, nonce=str(self._nonce))
        for name in sorted(resources):
            response.resources.append(AnyMessage(type_url=watch.type_url, value=resources[name].body))
        watch.nonce = response.nonce
        log.debug("stream %d: sent %s version %s (%d resources, nonce %s)", self.sid, SHORT[watch.type_url],
                  version, len(resources), response.nonce)
        return response
