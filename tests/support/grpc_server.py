"""Start a real grpcio server on 127.0.0.1 for the test services (auth, rate limit, access logs, OTLP)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures

import grpc

__all__ = ["start_grpc_server"]


def start_grpc_server(port: int, register: Callable[[grpc.Server], None], *, workers: int = 8,
                      tls: tuple[bytes, bytes] | None = None) -> grpc.Server:
    """A server on 127.0.0.1:``port`` with what ``register`` adds; it refuses to share its port. ``tls`` is a
    (certificate, key) PEM pair to serve TLS with."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), options=[("grpc.so_reuseport", 0)])
    register(server)
    if tls is None:
        server.add_insecure_port(f"127.0.0.1:{port}")
    else:
        server.add_secure_port(f"127.0.0.1:{port}", grpc.ssl_server_credentials([(tls[1], tls[0])]))
    server.start()
    return server
