"""The AMBASSADOR_* settings diagd reads (documented in the README's table)."""

from __future__ import annotations

import logging

from diagd.settings import DiagdSettings

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
