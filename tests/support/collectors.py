"""Real telemetry receivers on 127.0.0.1: a Zipkin collector (HTTP, JSON v2 spans at ``/api/v2/spans``), an
OpenTelemetry trace collector (OTLP over gRPC) and Envoy's gRPC access log service
(``envoy.service.accesslog.v3.AccessLogService`` from xds-protos). Each keeps what it received, in order.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.accesslog.v3 import als_pb2, als_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from tests.support.loopback import LoopbackGrpc, LoopbackHttp

__all__ = ["ZipkinCollector", "OtlpCollector", "AccessLogServer", "OtlpSpan", "LogEntry"]


class _Store:
    def __init__(self) -> None:
        self._items: list[Any] = []
        self._lock = threading.Lock()

    def add(self, items: list[Any]) -> None:
        with self._lock:
            self._items.extend(items)

    def items(self) -> list[Any]:
        with self._lock:
            return list(self._items)


class _ZipkinHandler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def _body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("content-length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return b"".join(chunks)

    def do_POST(self) -> None:  # noqa: N802 - the base class's naming
        body = self._body()
        ok = self.path == "/api/v2/spans" and self.headers.get("content-type", "").startswith("application/json")
        try:
            spans = json.loads(body) if ok else None
        except ValueError:
            ok = False
        if ok:
            self.server.owner.add(spans)
        self.send_response(202 if ok else 400)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's signature
        pass


class ZipkinCollector(_Store, LoopbackHttp):
    """Accepts Zipkin v2 JSON span lists; ``spans()`` are the decoded span objects."""

    def __init__(self) -> None:
        _Store.__init__(self)
        LoopbackHttp.__init__(self, _ZipkinHandler, "zipkin")

    def spans(self) -> list[dict[str, Any]]:
        return self.items()


@dataclass(frozen=True)
class OtlpSpan:
    service: str
    name: str
    trace_id: str
    attributes: dict[str, str]


def _otlp_spans(request: Any) -> list[OtlpSpan]:
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        # Field 2 is ``scope_spans`` in current OTLP and ``instrumentation_library_spans`` in the older copy of the
        # protos that xds-protos ships; the wire format is the same.
        scopes = getattr(resource_spans, next(f.name for f in resource_spans.DESCRIPTOR.fields if f.number == 2))
        for scope in scopes:
            for span in scope.spans:
                attributes = {a.key: a.value.string_value for a in span.attributes}
                spans.append(OtlpSpan(resource.get("service.name", ""), span.name, span.trace_id.hex(), attributes))
    return spans


class OtlpCollector(_Store, LoopbackGrpc):
    """``opentelemetry.proto.collector.trace.v1.TraceService/Export`` over gRPC."""

    def __init__(self) -> None:
        _Store.__init__(self)
        LoopbackGrpc.__init__(self)

    def _export(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.add(_otlp_spans(request))
        return trace_service_pb2.ExportTraceServiceResponse()

    def spans(self) -> list[OtlpSpan]:
        return self.items()

    def register(self, server: grpc.Server) -> None:
        handler = grpc.unary_unary_rpc_method_handler(
            self._export, request_deserializer=trace_service_pb2.ExportTraceServiceRequest.FromString,
            response_serializer=trace_service_pb2.ExportTraceServiceResponse.SerializeToString)
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
            "opentelemetry.proto.collector.trace.v1.TraceService", {"Export": handler}),))


@dataclass(frozen=True)
class LogEntry:
    """One access-log entry: the logger's name, ``http`` or ``tcp``, and for HTTP the request and response."""

    log_name: str
    kind: str
    method: str = ""
    path: str = ""  # as sent upstream (after rewrites)
    original_path: str = ""  # as the client sent it
    status: int = 0
    request_headers: tuple[tuple[str, str], ...] = ()
    response_headers: tuple[tuple[str, str], ...] = ()
    upstream_cluster: str = ""


def _entries(log_name: str, message: Any) -> list[LogEntry]:
    entries = []
    for entry in message.http_logs.log_entry:
        request, response = entry.request, entry.response
        entries.append(LogEntry(
            log_name, "http", base_pb2.RequestMethod.Name(request.request_method), request.path,
            request.original_path, response.response_code.value, tuple(sorted(request.request_headers.items())),
            tuple(sorted(response.response_headers.items())), entry.common_properties.upstream_cluster))
    for entry in message.tcp_logs.log_entry:
        entries.append(LogEntry(log_name, "tcp", upstream_cluster=entry.common_properties.upstream_cluster))
    return entries


class _AccessLogs(als_pb2_grpc.AccessLogServiceServicer):
    def __init__(self, owner: "AccessLogServer") -> None:
        self.owner = owner

    def StreamAccessLogs(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Any:  # noqa: N802
        log_name = ""
        for message in request_iterator:
            log_name = message.identifier.log_name or log_name  # only the stream's first message names the log
            self.owner.add(_entries(log_name, message))
        return als_pb2.StreamAccessLogsResponse()


class AccessLogServer(_Store, LoopbackGrpc):
    def __init__(self) -> None:
        _Store.__init__(self)
        LoopbackGrpc.__init__(self)

    def entries(self) -> list[LogEntry]:
        return self.items()

    def register(self, server: grpc.Server) -> None:
        als_pb2_grpc.add_AccessLogServiceServicer_to_server(_AccessLogs(self), server)
