"""Bases for the test services: a threaded HTTP server and a grpcio server, each on a free 127.0.0.1 port,
started and stopped by the test that owns them."""

from __future__ import annotations

import http.server
import threading
from concurrent import futures
from typing import Any, Self

import grpc

from tests.support.ports import free_port

__all__ = ["LoopbackHttp", "LoopbackGrpc"]


class _OwnedServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: Any  # the LoopbackHttp: handlers reach their service as ``self.server.owner``


class LoopbackHttp:
    """A threaded HTTP/1.1 server whose request handler reaches this object as ``self.server.owner``."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler], thread_name: str) -> None:
        self.port = free_port()
        self._http = _OwnedServer(("127.0.0.1", self.port), handler)
        self._http.owner = self
        self._thread = threading.Thread(target=self._http.serve_forever, name=thread_name, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


class LoopbackGrpc:
    """A grpcio server (TLS with a (certificate, key) PEM pair); subclasses add their services in ``register``.
    It refuses to share its port."""

    def __init__(self, *, tls: tuple[bytes, bytes] | None = None) -> None:
        self.port = free_port()
        self.tls = tls

    def register(self, server: grpc.Server) -> None:
        raise NotImplementedError

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[("grpc.so_reuseport", 0)])
        self.register(self._grpc)
        if self.tls is None:
            self._grpc.add_insecure_port(self.address)
        else:
            self._grpc.add_secure_port(self.address, grpc.ssl_server_credentials([(self.tls[1], self.tls[0])]))
        self._grpc.start()
        return self

    def stop(self) -> None:
        self._grpc.stop(grace=None)
