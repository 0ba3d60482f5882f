"""The AMBASSADOR_* settings diagd reads (documented in the README's table)."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable

from diagd.compile.model.settings import StatsdSettings
from diagd.settings import DiagdSettings, ServeSettings, resolve_host

BASE = {"AMBASSADOR_CONFIG_BASE_DIR": "/tmp/emissary-py-settings-test"}


def test_defaults() -> None:
    s = DiagdSettings.from_env(BASE)
    assert (s.port, s.bind_address, s.log_level, s.json_logging) == (8877, "0.0.0.0", logging.INFO, False)
    assert (s.memory_interval, s.memory_warn_percent) == (30.0, 80.0)
    assert (s.compile.ambassador_id, s.compile.namespace, s.compile.admin_port, s.compile.ready_port) == (
        "default", "default", 8001, 8006)


def test_log_level_json_logging_and_debug() -> None:
    assert DiagdSettings.from_env({**BASE, "AES_LOG_LEVEL": "warn"}).log_level == logging.WARNING
    assert DiagdSettings.from_env({**BASE, "AMBASSADOR_DEBUG": "diagd,envoy"}).log_level == logging.DEBUG
    assert DiagdSettings.from_env({**BASE, "AMBASSADOR_DEBUG": "envoy"}).log_level == logging.INFO
    assert DiagdSettings.from_env({**BASE, "AMBASSADOR_JSON_LOGGING": "true"}).json_logging is True


def test_memory_watch_settings_and_bad_values() -> None:
    s = DiagdSettings.from_env({**BASE, "AMBASSADOR_MEMORY_LOG_INTERVAL": "5", "AMBASSADOR_MEMORY_WARN_PERCENT": "90"})
    assert (s.memory_interval, s.memory_warn_percent) == (5.0, 90.0)
    bad = DiagdSettings.from_env({**BASE, "AMBASSADOR_MEMORY_LOG_INTERVAL": "0", "AMBASSADOR_MEMORY_WARN_PERCENT": "x"})
    assert (bad.memory_interval, bad.memory_warn_percent) == (30.0, 80.0)


def test_ports_and_ids() -> None:
    s = DiagdSettings.from_env({**BASE, "AMBASSADOR_HEALTHCHECK_PORT": "9877", "AMBASSADOR_ADMIN_PORT": "9001",
                                "AMBASSADOR_READY_PORT": "40000", "AMBASSADOR_ID": "edge",
                                "AMBASSADOR_NAMESPACE": "gw"})
    assert (s.port, s.compile.admin_port, s.compile.ready_port) == (9877, 9001, 8006)  # ready port must be ≤ 32766
    assert (s.compile.ambassador_id, s.compile.namespace) == ("edge", "gw")


def _resolver(answers: dict[str, str]) -> Callable[[str], str | None]:
    return answers.get


def test_statsd_is_off_unless_enabled_and_then_resolves_its_host_once() -> None:
    asked: list[str] = []

    def resolve(host: str) -> str | None:
        asked.append(host)
        return "127.0.0.1"

    assert DiagdSettings.from_env({**BASE, "STATSD_HOST": "sink"}, resolve=resolve).compile.statsd is None
    assert asked == []
    statsd = DiagdSettings.from_env({**BASE, "STATSD_ENABLED": "false"}, resolve=resolve).compile.statsd
    assert statsd == StatsdSettings(host="statsd-sink", address="127.0.0.1")  # envbool: any non-empty value is true
    assert (statsd.port, statsd.flush_interval, statsd.dogstatsd, statsd.entity_id) == (8125, 1, False, None)
    assert asked == ["statsd-sink"]


def test_statsd_host_port_interval_and_dogstatsd() -> None:
    env = {**BASE, "STATSD_ENABLED": "1", "STATSD_HOST": "agent", "STATSD_PORT": "9125",
           "STATSD_FLUSH_INTERVAL": "10", "DOGSTATSD": "True", "DD_ENTITY_ID": "pod-1"}
    statsd = DiagdSettings.from_env(env, resolve=_resolver({"agent": "127.0.0.1"})).compile.statsd
    assert statsd == StatsdSettings(host="agent", address="127.0.0.1", port=9125, flush_interval=10, dogstatsd=True,
                                    entity_id="pod-1")


def test_statsd_bad_values_fall_back_and_an_unresolved_host_has_no_address() -> None:
    env = {**BASE, "STATSD_ENABLED": "1", "STATSD_PORT": "0", "STATSD_FLUSH_INTERVAL": "301", "DOGSTATSD": "yes"}
    statsd = DiagdSettings.from_env(env, resolve=_resolver({})).compile.statsd
    assert statsd == StatsdSettings(host="statsd-sink", address=None, port=8125, flush_interval=1, dogstatsd=False)
    assert DiagdSettings.from_env({**env, "STATSD_FLUSH_INTERVAL": "1.5"}, resolve=_resolver({})).compile.statsd == \
        statsd


def test_resolve_host_gives_an_address_or_none() -> None:
    assert resolve_host("127.0.0.1") == "127.0.0.1"
    assert resolve_host("localhost") in ("127.0.0.1", "::1")
    assert resolve_host("") is None


def test_the_gunicorn_master_reads_its_settings_without_importing_the_compiler() -> None:
    code = ("import sys\nfrom diagd.server import DiagdServer\nfrom diagd.settings import ServeSettings\n"
            "s = ServeSettings.from_env({'AMBASSADOR_HEALTHCHECK_PORT': '9877'})\n"
            "print(s.port, sorted({m for m in sys.modules if m.startswith(('diagd.compile', 'flask'))}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["9877", "[]"]


def test_serve_settings_are_the_ones_diagd_settings_carry() -> None:
    env = {**BASE, "AMBASSADOR_HEALTHCHECK_PORT": "9877", "AMBASSADOR_HEALTHCHECK_BIND_ADDRESS": "127.0.0.1"}
    serve, full = ServeSettings.from_env(env), DiagdSettings.from_env(env)
    assert (serve.base_dir, serve.bind_address, serve.port, serve.threads, serve.log_level, serve.json_logging) == (
        full.base_dir, full.bind_address, full.port, full.threads, full.log_level, full.json_logging)
    for extra in ({}, {"KUBECONFIG": "/k"}, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}):
        assert ServeSettings.from_env({**env, **extra}).writes_status == DiagdSettings.from_env({**env, **extra}).writes_status
