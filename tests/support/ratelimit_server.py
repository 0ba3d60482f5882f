"""A real rate-limit service on 127.0.0.1: ``envoy.service.ratelimit.v3.RateLimitService`` (xds-protos) over gRPC.

It records every request (domain and descriptors, each a list of (key, value) entries) and counts hits per
distinct descriptor. A descriptor with an entry whose value is a key of ``limits`` is over the limit once it has
been hit more than that many times; over the limit, the answer carries ``x-ratelimit-by: <name>``, a JSON
content type and a JSON body, which Envoy passes to the client with its 429.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc

from tests.support.loopback import LoopbackGrpc

__all__ = ["RateLimitCall", "RateLimitServer"]

Descriptor = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RateLimitCall:
    domain: str
    descriptors: tuple[Descriptor, ...]
    hits_addend: int


class _Service(rls_pb2_grpc.RateLimitServiceServicer):
    def __init__(self, owner: "RateLimitServer") -> None:
        self.owner = owner

    def ShouldRateLimit(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802 - gRPC's name
        descriptors = tuple(tuple((e.key, e.value) for e in d.entries) for d in request.descriptors)
        over = self.owner.record(RateLimitCall(request.domain, descriptors, request.hits_addend or 1))
        codes = [rls_pb2.RateLimitResponse.OVER_LIMIT if o else rls_pb2.RateLimitResponse.OK for o in over]
        statuses = [rls_pb2.RateLimitResponse.DescriptorStatus(code=c) for c in codes]
        if not any(over):
            return rls_pb2.RateLimitResponse(overall_code=rls_pb2.RateLimitResponse.OK, statuses=statuses)
        headers = [base_pb2.HeaderValue(key="x-ratelimit-by", value=self.owner.name),
                   base_pb2.HeaderValue(key="content-type", value="application/json")]
        return rls_pb2.RateLimitResponse(overall_code=rls_pb2.RateLimitResponse.OVER_LIMIT, statuses=statuses,
                                         response_headers_to_add=headers,
                                         raw_body=b'{"error": "over the limit"}')


class RateLimitServer(LoopbackGrpc):
    def __init__(self, name: str, *, limits: dict[str, int] | None = None,
                 tls: tuple[bytes, bytes] | None = None) -> None:
        super().__init__(tls=tls)
        self.name = name
        self.limits = dict(limits or {})  # descriptor value → hits allowed per descriptor
        self.calls: list[RateLimitCall] = []
        self._hits: Counter[Descriptor] = Counter()
        self._lock = threading.Lock()

    def register(self, server: grpc.Server) -> None:
        rls_pb2_grpc.add_RateLimitServiceServicer_to_server(_Service(self), server)

    def record(self, call: RateLimitCall) -> list[bool]:
        """Count the call; per descriptor, whether it is now over its limit."""
        with self._lock:
            self.calls.append(call)
            over = []
            for descriptor in call.descriptors:
                self._hits[descriptor] += call.hits_addend
                allowed = [self.limits[v] for _, v in descriptor if v in self.limits]
                over.append(bool(allowed) and self._hits[descriptor] > min(allowed))
            return over

    def snapshot(self) -> list[RateLimitCall]:
        with self._lock:
            return list(self.calls)
