"""External authorization (AuthService → Envoy ``ext_authz``), SPEC §4.6.

Several AuthServices with the same settings are one auth service behind one load-balanced cluster. An AuthService
that is present but unusable does not silently open the gateway: ``AuthFailure`` makes every request answer 500
(Emissary's behaviour), naming the resources to fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.ir.cluster import Upstream
from diagd.compile.model.problems import ResourceRef

__all__ = ["AuthService", "AuthFailure", "RequestBody", "ALWAYS_ALLOWED_REQUEST_HEADERS",
           "ALWAYS_ALLOWED_AUTHORIZATION_HEADERS", "AUTH_PROTOCOLS"]

AUTH_PROTOCOLS = ("http", "grpc")

# Headers an HTTP auth service always sees from the client request, and may always set on the result.
ALWAYS_ALLOWED_REQUEST_HEADERS = ("authorization", "cookie", "from", "proxy-authorization", "user-agent",
                                  "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto")
ALWAYS_ALLOWED_AUTHORIZATION_HEADERS = ("authorization", "location", "proxy-authenticate", "set-cookie",
                                        "www-authenticate")


@dataclass(frozen=True, slots=True)
class RequestBody:
    """``include_body``: buffer up to ``max_bytes`` of the request body and send it to the auth service."""

    max_bytes: int
    allow_partial: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthService:
    sources: tuple[ResourceRef, ...]
    proto: str  # "http" | "grpc"
    upstream: Upstream  # several AuthServices: one upstream with more_endpoints
    cluster: str = ""  # the cluster's name, once clusters are assigned
    path_prefix: str = ""
    timeout_ms: int = 5000
    allowed_request_headers: tuple[str, ...] = ()  # lower case, the always-allowed ones included
    allowed_authorization_headers: tuple[str, ...] = ()  # lower case, the always-allowed ones included
    add_auth_headers: tuple[tuple[str, str], ...] = ()
    body: RequestBody | None = None
    failure_mode_allow: bool = False
    status_on_error: int | None = None  # None: Envoy's default, 403
    add_linkerd_headers: bool = False

    @property
    def linkerd_host(self) -> str:
        return f"{self.upstream.host}:{self.upstream.port}"


@dataclass(frozen=True, slots=True)
class AuthFailure:
    """No usable AuthService although some exist: requests get 500 and this message instead of going unchecked."""

    sources: tuple[ResourceRef, ...] = ()

    @property
    def message(self) -> str:
        names = ", ".join(ref.rkey for ref in self.sources)
        return f"the {names} AuthService is misconfigured; see the diagnostics for details"
