"""A real gRPC server on 127.0.0.1 (grpcio) with a tiny echo service that needs no generated code.

``/echo.Echo/Echo`` answers with the request bytes prefixed by the ``x-echo-prefix`` metadata value (if any);
``/echo.Echo/Fail`` aborts with NOT_FOUND and the message ``no such thing``. Messages are raw bytes.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc

from tests.support.ports import free_port

__all__ = ["GrpcEcho", "call"]

SERVICE = "echo.Echo"


def _echo(request: bytes, context: grpc.ServicerContext) -> bytes:
    prefix = dict(context.invocation_metadata()).get("x-echo-prefix", "")
    return str(prefix).encode() + request


def _fail(request: bytes, context: grpc.ServicerContext) -> bytes:
    context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    return b""  # not reached


@dataclass
class GrpcEcho:
    port: int = field(default_factory=free_port)

    def start(self) -> "GrpcEcho":
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.so_reuseport", 0)])
        handlers = {"Echo": grpc.unary_unary_rpc_method_handler(_echo),
                    "Fail": grpc.unary_unary_rpc_method_handler(_fail)}
        self._server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        self._server.add_insecure_port(f"127.0.0.1:{self.port}")
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop(grace=None)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def call(port: int, method: str, payload: bytes, *, authority: str | None = None,
         metadata: tuple[tuple[str, str], ...] = (), timeout: float = 5.0) -> Any:
    """Call ``/echo.Echo/<method>`` on 127.0.0.1:``port``; returns the response bytes (raises grpc.RpcError)."""
    options = [("grpc.default_authority", authority)] if authority else []
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        stub = channel.unary_unary(f"/{SERVICE}/{method}")
        return stub(payload, timeout=timeout, metadata=metadata)
