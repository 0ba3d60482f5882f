"""Real upstream servers on 127.0.0.1: an HTTP echo server reporting what it received.

Requests may steer the answer: ``x-echo-status: 503`` answers with that status, ``x-echo-delay-ms: 500`` waits
first; ``EchoServer(name, status=503)`` answers that status to requests that name none. ``EchoServer(name, ssl_context=...)`` serves HTTPS (the echo then reports ``"tls": true``).
"""

from __future__ import annotations

import http.server
import json
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.ports import free_port

__all__ = ["EchoServer"]


def _headers(message: Any) -> dict[str, str]:
    """Header name → value; a header sent several times is reported as its values joined by commas."""
    out: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


class _EchoHandler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def _echo(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.owner.record(self.command, self.path)
        delay = self.headers.get("x-echo-delay-ms")
        if delay and delay.isdigit():
            time.sleep(min(int(delay), 30_000) / 1000)
        status = self.headers.get("x-echo-status")
        payload = json.dumps({
            "server": self.server.owner.name, "method": self.command, "path": self.path,
            "host": self.headers.get("host"), "headers": _headers(self.headers),
            "body": body.decode("utf-8", "replace"), "tls": self.server.owner.ssl_context is not None,
        }).encode("utf-8")
        self.send_response(int(status) if status and status.isdigit() else self.server.owner.status)
        self.send_header("content-type", "application/json")
        self.send_header("x-upstream", self.server.owner.name)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _echo

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: "EchoServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (a load generator stopping) is not an error of the upstream."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@dataclass
class EchoServer:
    """Echoes method, path, Host and headers as JSON; counts requests. Use as a context manager."""

    name: str
    port: int = field(default_factory=free_port)
    requests: list[tuple[str, str]] = field(default_factory=list)
    ssl_context: ssl.SSLContext | None = None
    status: int = 200  # answered when the request names no x-echo-status

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", self.port), _EchoHandler)
        self._server.owner = self
        if self.ssl_context is not None:
            self._server.socket = self.ssl_context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"echo-{self.name}", daemon=True)

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def count(self, path_prefix: str = "") -> int:
        with self._lock:
            return sum(1 for _, path in self.requests if path.startswith(path_prefix))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "EchoServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "EchoServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
