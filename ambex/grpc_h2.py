"""gRPC's wire protocol for ambex's one method, on plain HTTP/2 (h2 on asyncio), without grpcio.

ambex serves a single bidirectional-streaming method to Envoys on loopback, in cleartext. The gRPC library's C core
costs about 10 MiB of resident memory in a process whose job is to hold a configuration; what ADS needs of gRPC
is small: HTTP/2 (h2 keeps its state: settings, flow control, pings), a 5-byte prefix per message, and a
``grpc-status`` trailer. Every other method is answered UNIMPLEMENTED.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from envoy.service.discovery.v3.discovery_pb2 import DiscoveryRequest, DiscoveryResponse

__all__ = ["ADS_METHOD", "Handler", "GrpcServer", "UNIMPLEMENTED"]

log = logging.getLogger("ambex.grpc")

ADS_METHOD = b"/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
OK, UNIMPLEMENTED, INTERNAL = 0, 12, 13
_PREFIX = 5  # compressed flag (1 byte) and message length (4 bytes, big-endian)

Handler = Callable[[AsyncIterator[DiscoveryRequest], str], AsyncIterator[DiscoveryResponse]]


def frame(message: DiscoveryResponse) -> bytes:
    body: bytes = message.SerializeToString()
    return b"\x00" + len(body).to_bytes(4, "big") + body


@dataclass
class _Call:
    """One call on one HTTP/2 stream: requests decoded from its DATA frames as they complete."""

    requests: asyncio.Queue[DiscoveryRequest | None] = field(default_factory=asyncio.Queue)
    buffer: bytearray = field(default_factory=bytearray)
    task: asyncio.Task[None] | None = None

    def feed(self, data: bytes) -> str | None:
        """Queue every complete message; why the call must fail, if it must."""
        self.buffer += data
        while len(self.buffer) >= _PREFIX:
            length = int.from_bytes(self.buffer[1:_PREFIX], "big")
            if len(self.buffer) < _PREFIX + length:
                break
            if self.buffer[0]:
                return "compressed messages are not supported"
            message = bytes(self.buffer[_PREFIX:_PREFIX + length])
            del self.buffer[:_PREFIX + length]
            try:
                self.requests.put_nowait(DiscoveryRequest.FromString(message))
            except Exception as exc:  # noqa: BLE001 - protobuf's DecodeError and friends
                return f"not a DiscoveryRequest: {exc}"
        return None

    async def iterate(self) -> AsyncIterator[DiscoveryRequest]:
        while (request := await self.requests.get()) is not None:
            yield request


class _Connection:
    """One Envoy's HTTP/2 connection: its calls, and the bytes h2 has to send."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler) -> None:
        self.reader, self.writer, self.handler = reader, writer, handler
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding=None))
        self.calls: dict[int, _Call] = {}
        self.window = asyncio.Event()  # set when Envoy opens a flow-control window
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    async def run(self) -> None:
        self.h2.initiate_connection()
        self.flush()
        try:
            while data := await self.reader.read(65536):
                for event in self.h2.receive_data(data):
                    self.on(event)
                self.flush()
        except (h2.exceptions.ProtocolError, ConnectionError) as exc:
            log.info("connection from %s closed: %s", self.peer, exc)
        finally:
            for call in self.calls.values():
                if call.task is not None:
                    call.task.cancel()
            self.writer.close()

    def flush(self) -> None:
        data = self.h2.data_to_send()
        if data and not self.writer.is_closing():
            self.writer.write(data)

    def close(self) -> None:
        """Tell Envoy this server is going away, then close."""
        if not self.writer.is_closing():
            self.h2.close_connection()
            self.flush()
            self.writer.close()

    def on(self, event: h2.events.Event) -> None:
        call = self.calls.get(getattr(event, "stream_id", 0) or 0)
        if isinstance(event, h2.events.RequestReceived):
            self.start(event.stream_id, dict(event.headers or ()))
        elif isinstance(event, h2.events.DataReceived):
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            problem = call.feed(event.data or b"") if call is not None else None
            if problem is not None and call is not None:
                self.fail(event.stream_id, call, problem)
        elif isinstance(event, h2.events.StreamEnded) and call is not None:
            call.requests.put_nowait(None)
        elif isinstance(event, h2.events.StreamReset) and call is not None:
            self.calls.pop(event.stream_id, None)
            if call.task is not None:
                call.task.cancel()
        elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            self.window.set()

    def start(self, stream_id: int, headers: dict[bytes, bytes]) -> None:
        if headers.get(b":path") != ADS_METHOD:
            self.h2.send_headers(stream_id, [(b":status", b"200"), (b"content-type", b"application/grpc"),
                                             (b"grpc-status", str(UNIMPLEMENTED).encode()),
                                             (b"grpc-message", b"ambex serves state-of-the-world ADS only")],
                                 end_stream=True)
            return
        self.h2.send_headers(stream_id, [(b":status", b"200"), (b"content-type", b"application/grpc")])
        call = self.calls[stream_id] = _Call()
        call.task = asyncio.create_task(self.respond(stream_id, call))

    def fail(self, stream_id: int, call: _Call, message: str) -> None:
        log.warning("call from %s failed: %s", self.peer, message)
        if call.task is not None:
            call.task.cancel()
        self.finish(stream_id, INTERNAL, message)

    def finish(self, stream_id: int, status: int, message: str = "") -> None:
        if self.calls.pop(stream_id, None) is None:
            return
        trailers = [(b"grpc-status", str(status).encode())]
        if message:
            trailers.append((b"grpc-message", message.encode("utf-8", "replace")))
        try:
            self.h2.send_headers(stream_id, trailers, end_stream=True)
        except h2.exceptions.H2Error:
            return  # the stream is already closed
        self.flush()

    async def respond(self, stream_id: int, call: _Call) -> None:
        status, message = OK, ""
        try:
            async for response in self.handler(call.iterate(), self.peer):
                await self.send(stream_id, frame(response))
        except h2.exceptions.H2Error:
            return  # the stream went away while sending
        except Exception as exc:  # noqa: BLE001 - the call fails, the server stays up
            log.exception("call from %s failed", self.peer)
            status, message = INTERNAL, str(exc)
        self.finish(stream_id, status, message)

    async def send(self, stream_id: int, data: bytes) -> None:
        """Send within Envoy's flow-control windows, waiting for them to open."""
        view = memoryview(data)
        while view:
            size = min(self.h2.local_flow_control_window(stream_id), self.h2.max_outbound_frame_size, len(view))
            if size <= 0:
                self.window.clear()
                await self.window.wait()
                continue
            self.h2.send_data(stream_id, view[:size].tobytes())
            view = view[size:]
            self.flush()
            await self.writer.drain()


class GrpcServer:
    """Serves ``handler`` as ADS on ``address:port``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()

    async def start(self, address: str, port: int) -> None:
        """Raises RuntimeError when the port is taken (no port sharing)."""
        try:
            self._server = await asyncio.start_server(self._serve, address, port, reuse_port=False)
        except OSError as exc:
            raise RuntimeError(f"cannot listen on {address}:{port}: {exc.strerror or exc}") from exc

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(reader, writer, self.handler)
        self._connections.add(connection)
        try:
            await connection.run()
        finally:
            self._connections.discard(connection)

    async def stop(self, grace: float) -> None:
        """Stop listening, send GOAWAY on every connection, and wait up to ``grace`` seconds for them to close."""
        if self._server is None:
            return
        self._server.close()
        for connection in list(self._connections):
            connection.close()
        try:
            await asyncio.wait_for(self._server.wait_closed(), grace)
        except asyncio.TimeoutError:
            pass
