"""The ADS servicer (SotW): one ``AdsStream`` per connected Envoy, snapshots fanned out to all. The transport is
``ambex.grpc_h2``."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator

from ambex.grpc_h2 import GrpcServer
from ambex.snapshot import Snapshot
from ambex.status import StatusReporter
from ambex.stream import AdsStream
from envoy.service.discovery.v3.discovery_pb2 import DiscoveryRequest, DiscoveryResponse

__all__ = ["AdsServicer", "serve"]

log = logging.getLogger("ambex.server")


class AdsServicer:
    def __init__(self, reporter: StatusReporter) -> None:
        self.reporter = reporter
        self.snapshot: Snapshot | None = None
        self._outboxes: dict[AdsStream, asyncio.Queue[DiscoveryResponse | None]] = {}
        self._ids = itertools.count(1)

    def set_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        for stream, outbox in list(self._outboxes.items()):
            for response in stream.update(snapshot):
                outbox.put_nowait(response)

    async def stream_aggregated_resources(self, request_iterator: AsyncIterator[DiscoveryRequest], peer: str
                                          ) -> AsyncIterator[DiscoveryResponse]:
        stream = AdsStream(next(self._ids), self.reporter)
        outbox: asyncio.Queue[DiscoveryResponse | None] = asyncio.Queue()
        self._outboxes[stream] = outbox
        self.reporter.streams(len(self._outboxes))
        log.info("stream %d: Envoy connected from %s", stream.sid, peer)
        reader = asyncio.create_task(self._read(stream, request_iterator, outbox))
        try:
            while (response := await outbox.get()) is not None:
                yield response
        finally:
            reader.cancel()
            del self._outboxes[stream]
            self.reporter.streams(len(self._outboxes))
            log.info("stream %d (node %s): closed", stream.sid, stream.node_id)

    async def _read(self, stream: AdsStream, requests: AsyncIterator[DiscoveryRequest],
                    outbox: asyncio.Queue[DiscoveryResponse | None]) -> None:
        try:
            async for request in requests:
                for response in stream.handle(request, self.snapshot):
                    outbox.put_nowait(response)
        except asyncio.CancelledError:
            pass
        finally:
            outbox.put_nowait(None)


async def serve(servicer: AdsServicer, address: str, port: int) -> GrpcServer:
    """Start the server; raises RuntimeError when the port is taken (no port sharing)."""
    server = GrpcServer(servicer.stream_aggregated_resources)
    await server.start(address, port)
    return server
