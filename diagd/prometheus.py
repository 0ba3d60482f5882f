"""Prometheus text exposition (format 0.0.4) of diagd's own metrics: counters, labelled histograms, and gauge
families built at scrape time by collectors.

diagd exports a dozen metrics and needs nothing else from a client library, whose import would cost its worker
about 1.2 MiB and OpenSSL. Names and samples follow the usual client conventions: a counter ``x`` is exposed as
``x_total`` with ``x_created``; a histogram as ``_bucket`` (cumulative, ``le`` first, ending at ``+Inf``),
``_count``, ``_sum`` and ``_created``. The tests read this output with the reference client's parser.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

__all__ = ["CONTENT_TYPE", "Counter", "Histogram", "Gauge", "Collector", "Registry"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return "NaN" if math.isnan(value) else repr(float(value))


def _help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _label_value(value: str) -> str:
    return value.replace("\\", r"\\").replace('"', r'\"').replace("\n", r"\n")


def _labels(pairs: Sequence[tuple[str, str]]) -> str:
    return "{" + ",".join(f'{key}="{_label_value(value)}"' for key, value in pairs) + "}" if pairs else ""


def _family(name: str, kind: str, text: str, samples: Iterable[tuple[str, Sequence[tuple[str, str]], float]]) -> str:
    lines = [f"# HELP {name} {_help(text)}", f"# TYPE {name} {kind}"]
    lines += [f"{sample}{_labels(labels)} {_number(value)}" for sample, labels, value in samples]
    return "\n".join(lines) + "\n"


class Counter:
    def __init__(self, name: str, text: str) -> None:
        self.name, self.text = name, text
        self._value, self._created = 0.0, time.time()
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0) -> None:
        with self._lock:
            self._value += amount

    def render(self) -> str:
        with self._lock:
            value = self._value
        return (_family(f"{self.name}_total", "counter", self.text, [(f"{self.name}_total", (), value)])
                + _family(f"{self.name}_created", "gauge", self.text, [(f"{self.name}_created", (), self._created)]))


class _Series:
    def __init__(self, buckets: int) -> None:
        self.counts = [0] * buckets
        self.total, self.sum, self.created = 0, 0.0, time.time()


class Histogram:
    """Observations per label values, in ``buckets`` (upper bounds, ascending; ``+Inf`` is added)."""

    def __init__(self, name: str, text: str, label_names: Sequence[str], buckets: Sequence[float]) -> None:
        self.name, self.text, self.label_names = name, text, tuple(label_names)
        self.bounds = (*buckets, math.inf)
        self._series: dict[tuple[str, ...], _Series] = {}
        self._lock = threading.Lock()

    def observe(self, value: float, *label_values: str) -> None:
        with self._lock:
            series = self._series.setdefault(tuple(label_values), _Series(len(self.bounds)))
            series.counts[next(i for i, bound in enumerate(self.bounds) if value <= bound)] += 1
            series.total += 1
            series.sum += value

    def render(self) -> str:
        with self._lock:
            snapshot = [(key, list(s.counts), s.total, s.sum, s.created) for key, s in self._series.items()]
        samples: list[tuple[str, Sequence[tuple[str, str]], float]] = []
        created: list[tuple[str, Sequence[tuple[str, str]], float]] = []
        for key, counts, total, sum_, when in snapshot:
            labels = tuple(zip(self.label_names, key, strict=True))
            running = 0
            for bound, count in zip(self.bounds, counts, strict=True):
                running += count
                samples.append((f"{self.name}_bucket", (("le", _number(bound)), *labels), running))
            samples += [(f"{self.name}_count", labels, total), (f"{self.name}_sum", labels, sum_)]
            created.append((f"{self.name}_created", labels, when))
        return (_family(self.name, "histogram", self.text, samples)
                + _family(f"{self.name}_created", "gauge", self.text, created))


class Gauge:
    """A gauge family filled at scrape time: ``add(label values, value)`` per sample."""

    def __init__(self, name: str, text: str, label_names: Sequence[str] = ()) -> None:
        self.name, self.text, self.label_names = name, text, tuple(label_names)
        self._samples: list[tuple[str, Sequence[tuple[str, str]], float]] = []

    def add(self, label_values: Sequence[str], value: float) -> None:
        self._samples.append((self.name, tuple(zip(self.label_names, label_values, strict=True)), value))

    def render(self) -> str:
        return _family(self.name, "gauge", self.text, self._samples)


class Collector(Protocol):
    def collect(self) -> Iterator[Gauge]: ...


class Registry:
    """What ``/metrics`` shows: the registered counters and histograms, then every collector's gauges."""

    def __init__(self) -> None:
        self._metrics: list[Counter | Histogram] = []
        self._collectors: list[Collector] = []

    def register(self, item: Counter | Histogram | Collector) -> None:
        if isinstance(item, (Counter, Histogram)):
            self._metrics.append(item)
        else:
            self._collectors.append(item)

    def render(self) -> bytes:
        parts = [metric.render() for metric in self._metrics]
        parts += [gauge.render() for collector in self._collectors for gauge in collector.collect()]
        return "".join(parts).encode("utf-8")
