"""diagd's Prometheus text writer, read back with the reference client's parser and compared with the reference
client's own output for the same metrics."""

from __future__ import annotations

import math
from typing import Any

import prometheus_client
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from diagd.prometheus import Counter, Gauge, Histogram, Registry

_BUCKETS = (0.01, 0.1, 1.0)
_ODD = ('quote " backslash \\ newline \n end', "plain")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample but the ``_created`` timestamps, by name and sorted labels."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if not s.name.endswith("_created"):
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


class _Gauges:
    def collect(self) -> Any:
        info = Gauge("g_info", 'help with "quotes", a \\ and a\nnewline', ("a", "b"))
        info.add(_ODD, 1)
        plain = Gauge("g_plain", "no labels")
        plain.add((), 0.25)
        yield from (info, plain, Gauge("g_empty", "no samples", ("p",)))


class _ReferenceGauges:
    def collect(self) -> Any:
        info = GaugeMetricFamily("g_info", 'help with "quotes", a \\ and a\nnewline', labels=["a", "b"])
        info.add_metric(list(_ODD), 1)
        plain = GaugeMetricFamily("g_plain", "no labels")
        plain.add_metric([], 0.25)
        yield from (info, plain, GaugeMetricFamily("g_empty", "no samples", labels=["p"]))


def _ours() -> str:
    registry = Registry()
    counter, histogram = Counter("jobs", "Jobs done"), Histogram("phase_seconds", "Phases", ["phase"], _BUCKETS)
    for item in (counter, histogram, _Gauges()):
        registry.register(item)
    counter.inc()
    counter.inc(2)
    for value, phase in ((0.005, "a"), (0.01, "a"), (0.5, "a"), (7.0, "a"), (0.05, 'b"\\')):
        histogram.observe(value, phase)
    return registry.render().decode()


def _reference() -> str:
    registry = prometheus_client.CollectorRegistry()
    counter = prometheus_client.Counter("jobs", "Jobs done", registry=registry)
    histogram = prometheus_client.Histogram("phase_seconds", "Phases", ["phase"], buckets=_BUCKETS, registry=registry)
    registry.register(_ReferenceGauges())
    counter.inc()
    counter.inc(2)
    for value, phase in ((0.005, "a"), (0.01, "a"), (0.5, "a"), (7.0, "a"), (0.05, 'b"\\')):
        histogram.labels(phase=phase).observe(value)
    return prometheus_client.generate_latest(registry).decode()


def test_the_output_parses_to_the_same_samples_as_the_reference_clients() -> None:
    ours, reference = _samples(_ours()), _samples(_reference())
    assert ours == reference
    assert ours[("jobs_total", ())] == 3
    assert ours[("phase_seconds_bucket", (("le", "0.01"), ("phase", "a")))] == 2  # cumulative, bound included
    assert ours[("phase_seconds_bucket", (("le", "+Inf"), ("phase", "a")))] == 4
    assert ours[("g_info", (("a", _ODD[0]), ("b", "plain")))] == 1


def test_families_help_and_created_timestamps_match_the_reference_shape() -> None:
    ours = {f.name: f for f in text_string_to_metric_families(_ours())}
    reference = {f.name: f for f in text_string_to_metric_families(_reference())}
    assert {(n, f.type, f.documentation) for n, f in ours.items()} == \
        {(n, f.type, f.documentation) for n, f in reference.items()}
    created = [s for s in ours["jobs_created"].samples] + [s for s in ours["phase_seconds_created"].samples]
    assert len(created) == 3 and all(1.5e9 < s.value < 4e9 for s in created)


def test_special_values_are_written_as_prometheus_spells_them() -> None:
    registry = Registry()

    class Odd:
        def collect(self) -> Any:
            gauge = Gauge("odd", "special values", ("k",))
            for key, value in (("inf", math.inf), ("ninf", -math.inf), ("nan", math.nan), ("int", 3)):
                gauge.add((key,), value)
            yield gauge

    registry.register(Odd())
    text = registry.render().decode()
    assert 'odd{k="inf"} +Inf\n' in text and 'odd{k="ninf"} -Inf\n' in text and 'odd{k="nan"} NaN\n' in text
    assert 'odd{k="int"} 3.0\n' in text
    values = {s.labels["k"]: s.value for s in next(text_string_to_metric_families(text)).samples}
    assert values["inf"] == math.inf and values["ninf"] == -math.inf and math.isnan(values["nan"])
