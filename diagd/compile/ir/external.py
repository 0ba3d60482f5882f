"""The external services the gateway itself calls: auth, rate limiting, tracing and access logging.

Each holds the ``Upstream`` it talks to; once clusters are assigned, ``with_clusters`` fills in their names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from diagd.compile.ir.auth import AuthFailure, AuthService
from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.logservice import LogService
from diagd.compile.ir.ratelimit import RateLimitService
from diagd.compile.ir.tracing import TracingService
from diagd.compile.model.problems import ResourceRef

__all__ = ["ExternalServices"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalServices:
    auth: AuthService | None = None
    auth_failure: AuthFailure | None = None
    ratelimit: RateLimitService | None = None
    tracing: TracingService | None = None
    log_services: tuple[LogService, ...] = ()

    def upstreams(self) -> Iterator[tuple[Upstream, ResourceRef]]:
        """Every upstream these services use, with the resource that asked for it (for cluster sources)."""
        if self.auth is not None:
            for ref in self.auth.sources:
                yield self.auth.upstream, ref
        for service in (self.ratelimit, self.tracing, *self.log_services):
            if service is not None:
                yield service.upstream, service.ref

    def with_clusters(self, names: Mapping[Upstream, str]) -> ExternalServices:
        return ExternalServices(
            auth=_named(self.auth, names) if self.auth is not None else None, auth_failure=self.auth_failure,
            ratelimit=_named(self.ratelimit, names) if self.ratelimit is not None else None,
            tracing=_named(self.tracing, names) if self.tracing is not None else None,
            log_services=tuple(_named(s, names) for s in self.log_services),
        )


_S = TypeVar("_S", AuthService, RateLimitService, TracingService, LogService)


def _named(service: _S, names: Mapping[Upstream, str]) -> _S:
    return dataclasses.replace(service, cluster=names[service.upstream])
