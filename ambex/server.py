"""The gRPC side: the ADS servicer (SotW), one ``AdsStream`` per connected Envoy, snapshots fanned out to all."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator

import grpc

from ambex.snapshot import Snapshot
from ambex.status import StatusReporter
from ambex.stream import AdsStream
from envoy.service.discovery.v3 import ads_pb2_grpc
from envoy.service.discovery.v3.discovery_pb2 import DiscoveryRequest, DiscoveryResponse

__all__ = ["AdsServicer", "serve"]

log = logging.getLogger("ambex.server")


class AdsServicer(ads_pb2_grpc.AggregatedDiscoveryServiceServicer):  # type: ignore[misc]
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

    async def StreamAggregatedResources(  # noqa: N802 - gRPC's name
        self, request_iterator: AsyncIterator[DiscoveryRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[DiscoveryResponse]:
        stream = AdsStream(next(self._ids), self.reporter)
        outbox: asyncio.Queue[DiscoveryResponse | None] = asyncio.Queue()
        self._outboxes[stream] = outbox
        self.reporter.streams(len(self._outboxes))
        log.info("stream %d: Envoy connected from %s", stream.sid, context.peer())
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
        except (asyncio.CancelledError, grpc.aio.AioRpcError):
            pass
        finally:
            outbox.put_nowait(None)

    async def DeltaAggregatedResources(  # noqa: N802 - gRPC's name
        self, request_iterator: AsyncIterator[DiscoveryRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[DiscoveryResponse]:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "ambex serves state-of-the-world ADS only")
        yield DiscoveryResponse()  # pragma: no cover - abort raises


async def serve(servicer: AdsServicer, address: str, port: int) -> grpc.aio.Server:
    """Start the server; raises RuntimeError when the port is taken (no port sharing)."""
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0), ("grpc.max_send_message_length", -1)])
    ads_pb2_grpc.add_AggregatedDiscoveryServiceServicer_to_server(servicer, server)
    if server.add_insecure_port(f"{address}:{port}") == 0:
        raise RuntimeError(f"cannot listen on {address}:{port}")
    await server.start()
    return server
