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

from diagd.diag_model import VERSION
from diagd.memory import MemorySample
from diagd.prometheus import CONTENT_TYPE, Counter, Gauge, Histogram, Registry
from diagd.state import PHASES, CompiledState, ReconfigRecord

__all__ = ["ReconfigMetrics", "StateCollector", "render_metrics", "default_info", "CONTENT_TYPE"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_KEEP_SEEN = 4096


class ReconfigMetrics:
    """Counts reconfigurations, Envoy NACKs and the duration of each phase, once per reconfiguration."""

    def __init__(self, registry: Registry) -> None:
        self.reconfigs = Counter("ambassador_reconfig", "Configurations compiled and published")
        self.nacks = Counter("ambassador_reconfig_nacks", "Configurations Envoy rejected")
        self.phases = Histogram("ambassador_reconfig_phase_seconds", "Time spent in each phase of a reconfiguration",
                                ["phase"], buckets=_BUCKETS)
        for metric in (self.reconfigs, self.nacks, self.phases):
            registry.register(metric)
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
                self.phases.observe(max(0.0, millis / 1000), phase)
        total = record.phases_ms().get("total")
        if total is not None:
            self.phases.observe(max(0.0, total / 1000), "total")

    @staticmethod
    def _remember(seen: dict[int, None], seq: int) -> None:
        seen[seq] = None
        while len(seen) > _KEEP_SEEN:
            del seen[next(iter(seen))]


class StateCollector:
    """Gauges read from the current state at scrape time."""

    def __init__(self, *, state: Callable[[], CompiledState], memory: Callable[[], MemorySample | None],
                 envoy_ready: Callable[[], bool], info: dict[str, str], log_level: Callable[[], str]) -> None:
        self._state = state
        self._memory = memory
        self._envoy_ready = envoy_ready
        self._info = info
        self._log_level = log_level

    def collect(self) -> Iterator[Gauge]:
        state = self._state()
        yield from self._about(state)
        yield from self._config(state)
        yield from self._memory_gauges(self._memory())

    def _about(self, state: CompiledState) -> Iterator[Gauge]:
        info = Gauge("ambassador_diagnostics_info", "This gateway (value 1)", tuple(self._info))
        info.add(list(self._info.values()), 1)
        level = Gauge("ambassador_log_level", "diagd's log level (value 1)", ("level",))
        level.add([self._log_level()], 1)
        uptime = Gauge("ambassador_uptime_seconds", "Seconds since diagd started")
        uptime.add([], round(time.time() - state.started, 3))
        ready = Gauge("ambassador_envoy_ready", "1 when Envoy's ready listener answers 200")
        ready.add([], 1 if self._envoy_ready() else 0)
        applied = Gauge("ambassador_config_applied", "1 when Envoy acknowledged a configuration")
        applied.add([], 1 if state.config_applied else 0)
        yield from (info, level, uptime, ready, applied)

    def _config(self, state: CompiledState) -> Iterator[Gauge]:
        result = state.result
        problems = list(result.problems) if result is not None else []
        errors = Gauge("ambassador_diagnostics_errors", "Configuration errors in the current configuration")
        errors.add([], sum(1 for p in problems if p.severity.value == "error"))
        notices = Gauge("ambassador_diagnostics_notices", "Configuration notices in the current configuration")
        notices.add([], sum(1 for p in problems if p.severity.value == "notice"))
        by_kind = Gauge("ambassador_config_problems", "Problems by severity, resource kind and reason",
                        ("severity", "kind", "reason"))
        for (severity, kind, reason), count in sorted(Tally((p.severity.value, p.kind or "", p.reason)
                                                            for p in problems).items()):
            by_kind.add([severity, kind, reason], count)
        resources = Gauge("ambassador_resources", "Resources in the current configuration by kind", ("kind",))
        for kind, count in sorted(Tally(r.kind for r in (result.resources if result else ())).items()):
            resources.add([kind], count)
        envoy = Gauge("ambassador_envoy_resources", "Envoy resources in the current configuration", ("type",))
        for kind, count in sorted((result.envoy.counts() if result else {}).items()):
            envoy.add([kind], count)
        yield from (errors, notices, by_kind, resources, envoy, self._last_phases(state))

    @staticmethod
    def _last_phases(state: CompiledState) -> Gauge:
        gauge = Gauge("ambassador_reconfig_last_phase_seconds", "Phases of the latest reconfiguration", ("phase",))
        phases = state.last.phases_ms() if state.last is not None else {}
        for phase in [name for name, _a, _b in PHASES] + ["total"]:
            millis = phases.get(phase)
            if millis is not None:
                gauge.add([phase], millis / 1000)
        return gauge

    @staticmethod
    def _memory_gauges(sample: MemorySample | None) -> Iterator[Gauge]:
        rss = Gauge("ambassador_process_resident_memory_bytes", "Resident memory of each gateway process",
                    ("process",))
        limit = Gauge("ambassador_memory_limit_bytes", "The container's cgroup memory limit (absent if none)")
        used = Gauge("ambassador_memory_used_bytes", "What counts against the limit: cgroup working set, or RSS")
        if sample is not None:
            for proc in sample.processes:
                rss.add([proc.name], proc.rss)
            used.add([], sample.used)
            if sample.cgroup_limit:
                limit.add([], sample.cgroup_limit)
        yield from (rss, used, limit)


def render_metrics(registry: Registry, envoy_stats: Callable[[], str | None]) -> bytes:
    """Our metrics, then Envoy's (or a gauge saying Envoy did not answer)."""
    ours = registry.render()
    theirs = envoy_stats()
    up = Gauge("ambassador_envoy_stats_up", "1 when Envoy's /stats/prometheus answered")
    up.add((), 1 if theirs else 0)
    body = ours + up.render().encode("utf-8")
    if theirs:
        body += theirs.encode("utf-8") + (b"" if theirs.endswith("\n") else b"\n")
    return body


def default_info(settings: Any) -> dict[str, str]:
    return {"version": VERSION, "ambassador_id": settings.compile.ambassador_id,
            "namespace": settings.compile.namespace}

