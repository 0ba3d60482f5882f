"""Tracing and access logs of every connection manager (and access logs of TCP proxies).

The tracing provider is configured per connection manager, not in the bootstrap: a TracingService change reaches
Envoy with the next listener update, no restart needed. gRPC access loggers (LogServices) come first, then the
file log in the Module's format.
"""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.common import typed
from diagd.compile.ir.gateway import Gateway
from diagd.compile.ir.logservice import DEFAULT_JSON_FORMAT, DEFAULT_TEXT_FORMAT, LogService
from diagd.compile.ir.tracing import CustomTag, TracingService
from diagd.compile.model.settings import CompileSettings

__all__ = ["hcm_tracing", "http_access_logs", "tcp_access_logs"]

_CONFIG = "envoy.config.trace.v3."


def _zipkin(tracing: TracingService) -> dict[str, Any]:
    config: dict[str, Any] = {"collector_cluster": tracing.cluster, "collector_endpoint": tracing.collector_endpoint,
                              "collector_endpoint_version": tracing.collector_endpoint_version,
                              "trace_id_128bit": tracing.trace_id_128bit}
    if tracing.collector_hostname:
        config["collector_hostname"] = tracing.collector_hostname
    if tracing.shared_span_context is not None:
        config["shared_span_context"] = tracing.shared_span_context
    return {"name": "envoy.tracers.zipkin", "typed_config": typed(_CONFIG + "ZipkinConfig", **config)}


def _provider(tracing: TracingService) -> dict[str, Any]:
    if tracing.driver == "zipkin":
        return _zipkin(tracing)
    if tracing.driver == "opentelemetry":
        return {"name": "envoy.tracers.opentelemetry", "typed_config": typed(
            _CONFIG + "OpenTelemetryConfig", service_name=tracing.service_name,
            grpc_service={"envoy_grpc": {"cluster_name": tracing.cluster}})}
    config: dict[str, Any] = {"collector_cluster": tracing.cluster, "service_name": tracing.service_name}
    if tracing.collector_hostname:
        config["collector_hostname"] = tracing.collector_hostname
    return {"name": "envoy.tracers.datadog", "typed_config": typed(_CONFIG + "DatadogConfig", **config)}


def _custom_tag(tag: CustomTag) -> dict[str, Any]:
    if tag.source == "literal":
        return {"tag": tag.tag, "literal": {"value": tag.value}}
    source: dict[str, Any] = {"name": tag.name}
    if tag.value is not None:
        source["default_value"] = tag.value
    return {"tag": tag.tag, tag.source: source}


def hcm_tracing(tracing: TracingService) -> dict[str, Any]:
    """The connection manager's ``tracing``: provider, sampling, tags, and a span per upstream request."""
    config: dict[str, Any] = {"provider": _provider(tracing), "spawn_upstream_span": True}
    for key, value in (("client_sampling", tracing.sampling.client), ("random_sampling", tracing.sampling.random),
                       ("overall_sampling", tracing.sampling.overall)):
        if value is not None:
            config[key] = {"value": value}
    if tracing.custom_tags:
        config["custom_tags"] = [_custom_tag(t) for t in tracing.custom_tags]
    return config


def _grpc_logger(service: LogService) -> dict[str, Any]:
    common = {
        "log_name": f"{service.ref.namespace}/{service.ref.name}", "transport_api_version": "V3",
        "grpc_service": {"envoy_grpc": {"cluster_name": service.cluster}},
        "buffer_flush_interval": f"{service.flush_interval_s}s", "buffer_size_bytes": service.flush_bytes,
    }
    if service.driver == "tcp":
        return {"name": "envoy.access_loggers.tcp_grpc",
                "typed_config": typed("envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig",
                                      common_config=common)}
    config: dict[str, Any] = {"common_config": common}
    for key, names in (("additional_request_headers_to_log", service.request_headers),
                       ("additional_response_headers_to_log", service.response_headers),
                       ("additional_response_trailers_to_log", service.response_trailers)):
        if names:
            config[key] = list(names)
    return {"name": "envoy.access_loggers.http_grpc",
            "typed_config": typed("envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig", **config)}


def _file_logger(gateway: Gateway, settings: CompileSettings) -> dict[str, Any]:
    log = gateway.options.access_log
    if log.log_type == "text":
        text = log.text_format or DEFAULT_TEXT_FORMAT
        log_format: dict[str, Any] = {"text_format_source": {"inline_string": text.rstrip("\n") + "\n"}}
    else:
        log_format = {"json_format": dict(log.json_format or DEFAULT_JSON_FORMAT)}
    return {"name": "envoy.access_loggers.file",
            "typed_config": typed("envoy.extensions.access_loggers.file.v3.FileAccessLog",
                                  path=log.path or settings.envoy_log_path, log_format=log_format)}


def http_access_logs(gateway: Gateway, settings: CompileSettings) -> list[dict[str, Any]]:
    return [*(_grpc_logger(s) for s in gateway.services.log_services), _file_logger(gateway, settings)]


def tcp_access_logs(gateway: Gateway, settings: CompileSettings) -> list[dict[str, Any]]:
    tcp = (s for s in gateway.services.log_services if s.driver == "tcp")
    return [*(_grpc_logger(s) for s in tcp), _file_logger(gateway, settings)]
