"""Envoy's statsd / DogStatsD sink, from ``STATSD_*``. It lives in the bootstrap, so it takes effect when Envoy
starts; the settings it comes from are fixed at process start too."""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.common import typed
from diagd.compile.model.settings import StatsdSettings

__all__ = ["render_stats_sink", "STATSD_SINK", "DOGSTATSD_SINK", "ENTITY_ID_TAG"]

STATSD_SINK = "envoy.stat_sinks.statsd"
DOGSTATSD_SINK = "envoy.stat_sinks.dog_statsd"
ENTITY_ID_TAG = "dd.internal.entity_id"


def render_stats_sink(statsd: StatsdSettings | None) -> dict[str, Any]:
    """The bootstrap fields for the sink (``stats_sinks``, ``stats_flush_interval`` and, for DogStatsD with an
    entity id, ``stats_config``); none when statsd is off or its host did not resolve."""
    if statsd is None or statsd.address is None:
        return {}
    address = {"socket_address": {"protocol": "UDP", "address": statsd.address, "port_value": statsd.port}}
    name, message = (DOGSTATSD_SINK, "DogStatsdSink") if statsd.dogstatsd else (STATSD_SINK, "StatsdSink")
    fields: dict[str, Any] = {
        "stats_sinks": [{"name": name, "typed_config": typed(f"envoy.config.metrics.v3.{message}", address=address)}],
        "stats_flush_interval": f"{statsd.flush_interval}s",
    }
    if statsd.dogstatsd and statsd.entity_id:
        fields["stats_config"] = {"stats_tags": [{"tag_name": ENTITY_ID_TAG, "fixed_value": statsd.entity_id}]}
    return fields
