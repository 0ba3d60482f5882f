"""Access logs: the Module's file log (text or JSON) and LogServices (Envoy's gRPC access log service), SPEC §4.6.

Every HTTP connection manager logs to every LogService (``http`` driver: HTTP entries; ``tcp`` driver: TCP entries)
before its file log. TCPMapping chains log to the ``tcp`` LogServices too.
"""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.ir.cluster import Upstream
from diagd.compile.model.problems import ResourceRef

__all__ = ["LogService", "AccessLog", "LOG_TYPES", "LOG_DRIVERS", "DEFAULT_TEXT_FORMAT", "DEFAULT_JSON_FORMAT"]

LOG_TYPES = ("text", "json", "typed_json")
LOG_DRIVERS = ("http", "tcp")

DEFAULT_TEXT_FORMAT = (
    'ACCESS [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% '
    '%RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% '
    '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"'
)
DEFAULT_JSON_FORMAT: tuple[tuple[str, str], ...] = (
    ("start_time", "%START_TIME%"), ("method", "%REQ(:METHOD)%"), ("path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"),
    ("protocol", "%PROTOCOL%"), ("response_code", "%RESPONSE_CODE%"), ("response_flags", "%RESPONSE_FLAGS%"),
    ("bytes_received", "%BYTES_RECEIVED%"), ("bytes_sent", "%BYTES_SENT%"), ("duration", "%DURATION%"),
    ("upstream_service_time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%"), ("x_forwarded_for", "%REQ(X-FORWARDED-FOR)%"),
    ("user_agent", "%REQ(USER-AGENT)%"), ("request_id", "%REQ(X-REQUEST-ID)%"), ("authority", "%REQ(:AUTHORITY)%"),
    ("upstream_host", "%UPSTREAM_HOST%"), ("upstream_cluster", "%UPSTREAM_CLUSTER%"),
    ("upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%"), ("downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%"),
    ("downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%"), ("requested_server_name", "%REQUESTED_SERVER_NAME%"),
    ("istio_policy_status", "%DYNAMIC_METADATA(istio.mixer:status)%"),
    ("upstream_transport_failure_reason", "%UPSTREAM_TRANSPORT_FAILURE_REASON%"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessLog:
    """The Module's ``envoy_log_type``/``envoy_log_format``/``envoy_log_path``; None means the default."""

    log_type: str = "text"
    text_format: str | None = None  # DEFAULT_TEXT_FORMAT
    json_format: tuple[tuple[str, str], ...] | None = None  # DEFAULT_JSON_FORMAT
    path: str | None = None  # the settings' envoy_log_path


@dataclass(frozen=True, slots=True, kw_only=True)
class LogService:
    ref: ResourceRef
    driver: str  # "http" | "tcp"
    upstream: Upstream
    cluster: str = ""
    flush_interval_s: int = 1
    flush_bytes: int = 16384
    request_headers: tuple[str, ...] = ()  # additional_log_headers logged from the request ...
    response_headers: tuple[str, ...] = ()  # ... the response ...
    response_trailers: tuple[str, ...] = ()  # ... and the trailers (http driver only)
