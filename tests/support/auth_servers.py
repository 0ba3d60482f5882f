"""Real external-authorization services on 127.0.0.1: HTTP (Envoy's HTTP ext_authz protocol) and gRPC
(``envoy.service.auth.v3.Authorization`` from xds-protos).

Both decide from the request they are asked about, so one test can ask for each outcome:
``x-auth-status: 401`` answers that status (default 200), ``x-auth-add: a=1;b=2`` adds headers to the answer (sent
upstream on success, to the client on denial), ``x-auth-delay-ms: 500`` waits first. A denial's body is JSON
naming the server. Every allowed request also gets ``x-auth-server: <name>``; the gRPC server adds
``x-auth-context`` with the check's context extensions as JSON. Each server records what it was asked.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from envoy.type.v3 import http_status_pb2
from google.rpc import code_pb2, status_pb2

from tests.support.loopback import LoopbackGrpc, LoopbackHttp

__all__ = ["AuthCall", "HttpAuthServer", "GrpcAuthServer"]


@dataclass(frozen=True)
class AuthCall:
    """One authorization check as the service saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    context_extensions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Decision:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _decide(name: str, headers: dict[str, str], extra: dict[str, str]) -> _Decision:
    delay = headers.get("x-auth-delay-ms", "")
    if delay.isdigit():
        time.sleep(min(int(delay), 30_000) / 1000)
    status_text = headers.get("x-auth-status", "200")
    status = int(status_text) if status_text.isdigit() else 200
    added = [(k.strip(), v.strip()) for k, v in (part.split("=", 1) for part in headers.get("x-auth-add", "").split(";")
                                                 if "=" in part)]
    if status == 200:
        return _Decision(200, [("x-auth-server", name), *extra.items(), *added], b"")
    body = json.dumps({"denied_by": name, "status": status}).encode()
    return _Decision(status, [("content-type", "application/json"), *added], body)


class _Recorder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[AuthCall] = []
        self._lock = threading.Lock()

    def record(self, call: AuthCall) -> None:
        with self._lock:
            self.calls.append(call)

    def count(self) -> int:
        with self._lock:
            return len(self.calls)

    def last(self) -> AuthCall:
        with self._lock:
            return self.calls[-1]


class _HttpHandler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def _check(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner = self.server.owner
        owner.record(AuthCall(self.command, self.path, headers, body))
        decision = _decide(owner.name, headers, {})
        self.send_response(decision.status)
        for name, value in decision.headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(decision.body)))
        self.end_headers()
        self.wfile.write(decision.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _check

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's signature
        pass


class HttpAuthServer(_Recorder, LoopbackHttp):
    """Envoy's HTTP ext_authz protocol: the client's request (headers, prefixed path, body) in, 200 or denial out."""

    def __init__(self, name: str) -> None:
        _Recorder.__init__(self, name)
        LoopbackHttp.__init__(self, _HttpHandler, f"auth-{name}")


def _header_options(pairs: list[tuple[str, str]]) -> list[base_pb2.HeaderValueOption]:
    return [base_pb2.HeaderValueOption(header=base_pb2.HeaderValue(key=k, value=v)) for k, v in pairs]


class _Authorization(external_auth_pb2_grpc.AuthorizationServicer):
    def __init__(self, owner: "GrpcAuthServer") -> None:
        self.owner = owner

    def Check(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802 - the gRPC method's name
        http_request = request.attributes.request.http
        headers = dict(http_request.headers)
        extensions = dict(request.attributes.context_extensions)
        self.owner.record(AuthCall(http_request.method, http_request.path, headers, http_request.body.encode(),
                                   extensions))
        decision = _decide(self.owner.name, headers, {"x-auth-context": json.dumps(extensions, sort_keys=True)})
        if decision.status == 200:
            return external_auth_pb2.CheckResponse(
                status=status_pb2.Status(code=code_pb2.OK),
                ok_response=external_auth_pb2.OkHttpResponse(headers=_header_options(decision.headers)))
        return external_auth_pb2.CheckResponse(
            status=status_pb2.Status(code=code_pb2.PERMISSION_DENIED),
            denied_response=external_auth_pb2.DeniedHttpResponse(
                status=http_status_pb2.HttpStatus(code=decision.status),  # type: ignore[arg-type]
                headers=_header_options(decision.headers), body=decision.body.decode()))


class GrpcAuthServer(_Recorder, LoopbackGrpc):
    """``envoy.service.auth.v3.Authorization/Check`` over gRPC (over TLS with a (certificate, key) PEM pair)."""

    def __init__(self, name: str, *, tls: tuple[bytes, bytes] | None = None) -> None:
        _Recorder.__init__(self, name)
        LoopbackGrpc.__init__(self, tls=tls)

    def register(self, server: grpc.Server) -> None:
        external_auth_pb2_grpc.add_AuthorizationServicer_to_server(_Authorization(self), server)
