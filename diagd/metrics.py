"""``/metrics``: the control plane's own metrics in Prometheus text format, followed by Envoy's.

Counters and histograms that must survive between scrapes (reconfigurations and their phase durations) are fed by
``ReconfigMetrics``, which watches the published state as the reconfig worker swaps it. Everything else is read
from the current state when Prometheus scrapes: problems by severity, kind and reason, resources by kind, memory per
process, Envoy's readiness. Envoy's own ``/stats/prometheus`` is appended as it comes (its names start ``envoy_``).
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from diagd.diag_model import VERSION
from diagd.memory import MemorySample
from diagd.state import PHASES, CompiledState, ReconfigRecord

__all__ = ["ReconfigMetrics", "StateCollector", "render_metrics", "default_info", "CONTENT_TYPE"]

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_KEEP_SEEN = 4096


class ReconfigMetrics:
    """Counts reconfigurations, Envoy NACKs and the duration of each phase, once per reconfiguration."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.reconfigs = Counter("ambassador_reconfig", "Configurations compiled and published", registry=registry)
        self.nacks = Counter("ambassador_reconfig_nacks", "Configurations Envoy rejected", registry=registry)
        self.phases = Histogram("ambassador_reconfig_phase_seconds", "Time spent in each phase of a reconfiguration",
                                ["phase"], buckets=_BUCKETS, registry=registry)
        self._counted: dict[int, None] = {}
        self._finished: dict[int, None] = {}

    def observe(self, _old: CompiledState, new: CompiledState) -> None:
        for record in new.history:
            if record.seq not in self._counted:
                self._remember(self._counted, record.seq)
                self.reconfigs.inc()
            if record.seq not in self._finished and (record.acked is not None or record.nack is not None):
                self._remember(self._finished, record.seq)
                self._finish(record)

    def _finish(self, record: ReconfigRecord) -> None:
        if record.nack is not None:
            self.nacks.inc()
        for phase, millis in record.phases_ms().items():
            if millis is not None and phase != "total":
                self.phases.labels(phase=phase).observe(max(0.0, millis / 1000))
        total = record.phases_ms().get("total")
        if total is not None:
            self.phases.labels(phase="total").observe(max(0.0, total / 1000))

    @staticmethod
    def _remember(seen: dict[int, None], seq: int) -> None:
        seen[seq] = None
        while len(seen) > _KEEP_SEEN:
            del seen[next(iter(seen))]


def _gauge(name: str, text: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, labels=list(labels))


class StateCollector(Collector):
    """Gauges read from the current state at scrape time."""

    def __init__(self, *, state: Callable[[], CompiledState], memory: Callable[[], MemorySample | None],
                 envoy_ready: Callable[[], bool], info: dict[str, str], log_level: Callable[[], str]) -> None:
        self._state = state
        self._memory = memory
        self._envoy_ready = envoy_ready
        self._info = info
        self._log_level = log_level

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self._state()
        yield from self._about(state)
        yield from self._config(state)
        yield from self._memory_gauges(self._memory())

    def _about(self, state: CompiledState) -> Iterator[GaugeMetricFamily]:
        info = _gauge("ambassador_diagnostics_info", "This gateway (value 1)", tuple(self._info))
        info.add_metric(list(self._info.values()), 1)
        level = _gauge("ambassador_log_level", "diagd's log level (value 1)", ("level",))
        level.add_metric([self._log_level()], 1)
        uptime = _gauge("ambassador_uptime_seconds", "Seconds since diagd started")
        uptime.add_metric([], round(time.time() - state.started, 3))
        ready = _gauge("ambassador_envoy_ready", "1 when Envoy's ready listener answers 200")
        ready.add_metric([], 1 if self._envoy_ready() else 0)
        applied = _gauge("ambassador_config_applied", "1 when Envoy acknowledged a configuration")
        applied.add_metric([], 1 if state.config_applied else 0)
        yield from (info, level, uptime, ready, applied)

    def _config(self, state: CompiledState) -> Iterator[GaugeMetricFamily]:
        result = state.result
        problems = list(result.problems) if result is not None else []
        errors = _gauge("ambassador_diagnostics_errors", "Configuration errors in the current configuration")
        errors.add_metric([], sum(1 for p in problems if p.severity.value == "error"))
        notices = _gauge("ambassador_diagnostics_notices", "Configuration notices in the current configuration")
        notices.add_metric([], sum(1 for p in problems if p.severity.value == "notice"))
        by_kind = _gauge("ambassador_config_problems", "Problems by severity, resource kind and reason",
                         ("severity", "kind", "reason"))
        for (severity, kind, reason), count in sorted(Tally((p.severity.value, p.kind or "", p.reason)
                                                            for p in problems).items()):
            by_kind.add_metric([severity, kind, reason], count)
        resources = _gauge("ambassador_resources", "Resources in the current configuration by kind", ("kind",))
        for kind, count in sorted(Tally(r.kind for r in (result.resources if result else ())).items()):
            resources.add_metric([kind], count)
        envoy = _gauge("ambassador_envoy_resources", "Envoy resources in the current configuration", ("type",))
        for kind, count in sorted((result.envoy.counts() if result else {}).items()):
            envoy.add_metric([kind], count)
        yield from (errors, notices, by_kind, resources, envoy, self._last_phases(state))

    @staticmethod
    def _last_phases(state: CompiledState) -> GaugeMetricFamily:
        gauge = _gauge("ambassador_reconfig_last_phase_seconds", "Phases of the latest reconfiguration", ("phase",))
        phases = state.last.phases_ms() if state.last is not None else {}
        for phase in [name for name, _a, _b in PHASES] + ["total"]:
            millis = phases.get(phase)
            if millis is not None:
                gauge.add_metric([phase], millis / 1000)
        return gauge

    @staticmethod
    def _memory_gauges(sample: MemorySample | None) -> Iterator[GaugeMetricFamily]:
        rss = _gauge("ambassador_process_resident_memory_bytes", "Resident memory of each gateway process",
                     ("process",))
        limit = _gauge("ambassador_memory_limit_bytes", "The container's cgroup memory limit (absent if none)")
        used = _gauge("ambassador_memory_used_bytes", "What counts against the limit: cgroup working set, or RSS")
        if sample is not None:
            for proc in sample.processes:
                rss.add_metric([proc.name], proc.rss)
            used.add_metric([], sample.used)
            if sample.cgroup_limit:
                limit.add_metric([], sample.cgroup_limit)
        yield from (rss, used, limit)


def render_metrics(registry: CollectorRegistry, envoy_stats: Callable[[], str | None]) -> bytes:
    """Our metrics, then Envoy's (or a gauge saying Envoy did not answer)."""
    ours = generate_latest(registry)
    theirs = envoy_stats()
    up = "# HELP ambassador_envoy_stats_up 1 when Envoy's /stats/prometheus answered\n" \
         "# TYPE ambassador_envoy_stats_up gauge\n" f"ambassador_envoy_stats_up {1 if theirs else 0}\n"
    body = ours + up.encode("utf-8")
    if theirs:
        body += theirs.encode("utf-8") + (b"" if theirs.endswith("\n") else b"\n")
    return body


def default_info(settings: Any) -> dict[str, str]:
    return {"version": VERSION, "ambassador_id": settings.compile.ambassador_id,
            "namespace": settings.compile.namespace}

