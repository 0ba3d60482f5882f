"""The bootstrap Envoy starts with: node identity, ADS over the ``xds_cluster``, admin on 127.0.0.1, runtime, and
the statsd sink when ``STATSD_ENABLED`` is set."""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.clusters import http2_options
from diagd.compile.envoy.common import socket_address
from diagd.compile.envoy.stats_sinks import render_stats_sink
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.model.settings import CompileSettings

__all__ = ["render_bootstrap", "NODE_ID", "ADS_CLUSTER"]

NODE_ID = "test-id"
ADS_CLUSTER = "xds_cluster"


def render_bootstrap(settings: CompileSettings, options: GatewayOptions) -> dict[str, Any]:
    ads = {"ads": {}, "resource_api_version": "V3"}
    return {
        "node": {"id": NODE_ID, "cluster": settings.node_cluster},
        "dynamic_resources": {
            "ads_config": {"api_type": "GRPC", "transport_api_version": "V3", "set_node_on_first_message_only": True,
                           "grpc_services": [{"envoy_grpc": {"cluster_name": ADS_CLUSTER}}]},
            "cds_config": ads,
            "lds_config": ads,
        },
        "static_resources": {"clusters": [{
            "name": ADS_CLUSTER,
            "type": "STATIC",
            "connect_timeout": "1s",
            "typed_extension_protocol_options": http2_options(),
            "load_assignment": {"cluster_name": ADS_CLUSTER, "endpoints": [{"lb_endpoints": [
                {"endpoint": {"address": socket_address("127.0.0.1", settings.ads_port)}}]}]},
        }]},
        "admin": {"address": socket_address("127.0.0.1", settings.admin_port)},
        "layered_runtime": {"layers": [{"name": "static_layer", "static_layer": {
            "re2.max_program_size.error_level": options.regex_max_size,
        }}]},
        **render_stats_sink(settings.statsd),
    }
