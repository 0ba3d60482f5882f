"""``/metrics``: valid Prometheus text (parsed with prometheus-client's own parser) carrying reconfigurations by
phase, problems by kind, resources by kind and memory per process."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from diagd.state import CompiledState, ReconfigRecord
from tests.diagd.sample import compiled_state, make_app, sample_yaml, settings_for


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _value(families: dict[str, Any], name: str, sample: str | None = None, **labels: str) -> float:
    family = families[name]
    for s in family.samples:
        if (sample is None or s.name == sample) and all(s.labels.get(k) == v for k, v in labels.items()):
            return float(s.value)
    raise AssertionError(f"no sample {sample or name} {labels} in {family.samples}")


def test_metrics_parse_and_describe_the_configuration(get: Callable[..., Any]) -> None:
    response = get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    families = _families(response.get_data(as_text=True))
    assert _value(families, "ambassador_diagnostics_errors") == 2
    assert _value(families, "ambassador_config_problems", severity="error", kind="Mapping",
                  reason="InvalidWeight") == 1
    assert _value(families, "ambassador_resources", kind="Mapping") == 10
    assert _value(families, "ambassador_resources", kind="Secret") == 1
    assert _value(families, "ambassador_process_resident_memory_bytes", process="diagd") > 10_000_000
    assert _value(families, "ambassador_reconfig_last_phase_seconds", phase="compile") == pytest_approx(0.15)
    assert _value(families, "ambassador_envoy_resources", type="routes") > 0
    assert _value(families, "ambassador_log_level", level=families["ambassador_log_level"].samples[0].labels["level"])
    assert _value(families, "ambassador_diagnostics_info", ambassador_id="default") == 1
    assert _value(families, "ambassador_envoy_stats_up") == 0  # no Envoy in this test


def pytest_approx(value: float) -> Any:
    return pytest.approx(value, rel=0.01)


def _observed(families: dict[str, Any], phase: str) -> float:
    """How many reconfigurations the phase histogram has seen for ``phase`` (0 before the first)."""
    samples = [s for s in families["ambassador_reconfig_phase_seconds"].samples
               if s.name == "ambassador_reconfig_phase_seconds_count" and s.labels.get("phase") == phase]
    return float(samples[0].value) if samples else 0.0


def _record(seq: int, *, acked: bool = True, nack: str | None = None) -> ReconfigRecord:
    now = time.time()
    return ReconfigRecord(seq=seq, change_seen=now - 0.5, snapshot_written=now - 0.45, compiled=now - 0.3,
                          written=now - 0.25, compile_seconds=0.1, pushed=now - 0.2,
                          acked=now - 0.1 if acked else None, nack=nack)


def test_reconfigurations_are_counted_once_with_their_phases(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    app, holder = make_app(CompiledState(started=time.time()), settings)
    client = app.test_client()
    base = compiled_state(sample_yaml(), settings)

    def publish(*records: ReconfigRecord) -> dict[str, Any]:
        holder.swap(lambda s: dataclasses.replace(base, history=records, last=records[-1]))
        return _families(client.get("/metrics").get_data(as_text=True))

    families = publish(_record(1, acked=False))
    assert _value(families, "ambassador_reconfig", "ambassador_reconfig_total") == 1
    assert _observed(families, "compile") == 0  # phases are observed once the reconfiguration is finished
    families = publish(_record(1))  # the same reconfiguration, now acknowledged
    assert _value(families, "ambassador_reconfig", "ambassador_reconfig_total") == 1
    assert _observed(families, "compile") == 1
    assert _value(families, "ambassador_reconfig_phase_seconds", "ambassador_reconfig_phase_seconds_sum",
                  phase="compile") == pytest_approx(0.15)
    families = publish(_record(1), _record(2, acked=False, nack="bad listener"))
    assert _value(families, "ambassador_reconfig", "ambassador_reconfig_total") == 2
    assert _value(families, "ambassador_reconfig_nacks", "ambassador_reconfig_nacks_total") == 1
    assert _observed(families, "compile") == 2
    assert _observed(families, "total") == 1  # a NACKed reconfiguration has no end-to-end time
