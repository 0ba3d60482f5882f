"""ambex's gRPC transport against an independent gRPC client (grpcio's): messages both ways, responses larger
than HTTP/2's flow-control windows, half-close, unimplemented methods, and a taken port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf.any_pb2 import Any as AnyMessage

from ambex.grpc_h2 import ADS_METHOD, GrpcServer
from envoy.service.discovery.v3.discovery_pb2 import DiscoveryRequest, DiscoveryResponse
from tests.support.ports import free_port

BIG = 24 * 1024 * 1024  # past the windows grpcio advertises: only flow control gets it through


async def _echo(requests: AsyncIterator[DiscoveryRequest], peer: str) -> AsyncIterator[DiscoveryResponse]:
    async for request in requests:
        size = int(request.version_info or "0")
        yield DiscoveryResponse(version_info=f"{request.version_info}@{peer.split(':')[0]}", nonce=request.type_url,
                                resources=[AnyMessage(type_url="t", value=b"x" * size)])


def _call(channel: grpc.aio.Channel, method: bytes) -> grpc.aio.StreamStreamMultiCallable:
    return channel.stream_stream(method.decode(), request_serializer=DiscoveryRequest.SerializeToString,
                                 response_deserializer=DiscoveryResponse.FromString)


async def _with_server(test):  # type: ignore[no-untyped-def]
    server, port = GrpcServer(_echo), free_port()
    await server.start("127.0.0.1", port)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", -1)])
    try:
        return await asyncio.wait_for(test(channel), 30)
    finally:
        await channel.close()
        await server.stop(grace=1.0)


def test_requests_and_responses_flow_both_ways_including_ones_larger_than_the_windows() -> None:
    async def test(channel: grpc.aio.Channel) -> list[tuple[str, str, int]]:
        call = _call(channel, ADS_METHOD)()
        got = []
        for size, type_url in ((10, "a"), (BIG, "b"), (0, "c")):
            await call.write(DiscoveryRequest(version_info=str(size), type_url=type_url))
            response = await call.read()
            got.append((response.version_info, response.nonce, len(response.resources[0].value)))
        await call.done_writing()
        assert await call.read() == grpc.aio.EOF
        assert await call.code() == grpc.StatusCode.OK
        return got

    assert asyncio.run(_with_server(test)) == [("10@127.0.0.1", "a", 10), (f"{BIG}@127.0.0.1", "b", BIG),
                                               ("0@127.0.0.1", "c", 0)]


def test_other_methods_are_unimplemented() -> None:
    async def test(channel: grpc.aio.Channel) -> grpc.StatusCode:
        call = _call(channel, b"/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources")()
        await call.done_writing()
        return await call.code()

    assert asyncio.run(_with_server(test)) == grpc.StatusCode.UNIMPLEMENTED


def test_a_taken_port_is_an_error() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()

    async def start() -> None:
        await GrpcServer(_echo).start("127.0.0.1", holder.getsockname()[1])

    try:
        with pytest.raises(RuntimeError, match="cannot listen"):
            asyncio.run(start())
    finally:
        holder.close()
