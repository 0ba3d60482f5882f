"""ambex with a real Envoy: a configuration Envoy rejects is NACKed, shown in status, and the old routes keep
answering; the next good configuration is applied."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from diagd.compile import compile
from diagd.compile.envoy.output import EnvoyConfig
from diagd.compile.model.settings import CompileSettings
from diagd.publish import Publisher
from tests.builders import host, listener, mapping, to_yaml
from tests.support.envoy import start_envoy
from tests.support.http import request
from tests.support.ports import free_port
from tests.support.processes import start, stop, wait_until
from tests.support.snapshots import snapshot_from_text
from watt.formats.layout import BaseLayout

pytestmark = pytest.mark.envoy


def _compile(port: int, upstream: str, settings: CompileSettings, *extra: dict[str, Any]) -> EnvoyConfig:
    text = to_yaml(listener("l", port), host("h"), mapping("ok", "/ok/", upstream), *extra)
    return compile(snapshot_from_text(text), settings).envoy


def _with_bad_regex(config: EnvoyConfig) -> EnvoyConfig:
    routes = json.loads(json.dumps(list(config.route_configs)))
    routes[0]["virtual_hosts"][0]["routes"].insert(0, {
        "name": "bad", "match": {"safe_regex": {"regex": "(unclosed"}}, "direct_response": {"status": 200}})
    return dataclasses.replace(config, route_configs=tuple(routes))


def _status(layout: BaseLayout) -> dict[str, Any]:
    try:
        return json.loads(Path(layout.ambex_status_file).read_text())
    except (OSError, ValueError):
        return {}


def test_envoy_nack_keeps_previous_routes_and_is_reported(tmp_path: Path, echo_factory: Any) -> None:
    upstream = echo_factory("ok")
    layout = BaseLayout(str(tmp_path / "base"))
    layout.ensure()
    ads, admin, http_port = free_port(), free_port(), free_port()
    settings = CompileSettings(envoy_bind_address="127.0.0.1", ads_port=ads, admin_port=admin, ready_port=free_port())
    publisher = Publisher(layout)
    good = _compile(http_port, upstream.address, settings)
    publisher.publish(good, {"snapshot_seq": 1})
    env = {**os.environ, "AMBASSADOR_CONFIG_BASE_DIR": layout.base, "AMBASSADOR_ADS_PORT": str(ads)}
    ambex = start([sys.executable, "-m", "ambex"], env=env, log_path=str(tmp_path / "ambex.log"))
    envoy = start_envoy(layout.bootstrap_file, log_path=str(tmp_path / "envoy.log"))
    try:
        wait_until(lambda: request(http_port, "/ok/").status == 200, timeout=30, what="first route")
        publisher.publish(_with_bad_regex(good), {"snapshot_seq": 2})
        os.kill(ambex.pid, signal.SIGHUP)
        nack = wait_until(lambda: (_status(layout).get("last_nack") or {}).get("snapshot_seq") == 2
                          and _status(layout)["last_nack"], timeout=15, what="NACK in ambex status")
        assert nack["type"] == "RDS" and "(unclosed" in nack["message"]
        assert all(request(http_port, "/ok/").status == 200 for _ in range(20))
        fixed = _compile(http_port, upstream.address, settings, mapping("new", "/new/", upstream.address))
        publisher.publish(fixed, {"snapshot_seq": 3})
        os.kill(ambex.pid, signal.SIGHUP)
        wait_until(lambda: request(http_port, "/new/").status == 200, timeout=15, what="route after the fix")
        assert "3" in _status(layout)["acked_for"]
    finally:
        stop(envoy)
        stop(ambex)


def test_envoy_keeps_route_configurations_an_rds_response_leaves_out(tmp_path: Path, echo_factory: Any) -> None:
    """ambex sends only changed route configurations; the other Listener's, left out, keeps answering in a real
    Envoy, before and after its own change."""
    upstream = echo_factory("ok")
    layout = BaseLayout(str(tmp_path / "base"))
    layout.ensure()
    ads, admin, port_a, port_b = free_port(), free_port(), free_port(), free_port()
    settings = CompileSettings(envoy_bind_address="127.0.0.1", ads_port=ads, admin_port=admin, ready_port=free_port())

    def config(a: str, b: str) -> EnvoyConfig:
        text = to_yaml(listener("a", port_a), listener("b", port_b, security_model="INSECURE"), host("h"),
                       mapping("a", a, upstream.address), mapping("b", b, upstream.address))
        return compile(snapshot_from_text(text), settings).envoy

    publisher = Publisher(layout)
    first = config("/a1/", "/b1/")
    assert len(first.route_configs) == 2  # one per Listener: their security models differ
    publisher.publish(first, {"snapshot_seq": 1})
    env = {**os.environ, "AMBASSADOR_CONFIG_BASE_DIR": layout.base, "AMBASSADOR_ADS_PORT": str(ads)}
    ambex = start([sys.executable, "-m", "ambex"], env=env, log_path=str(tmp_path / "ambex.log"))
    envoy = start_envoy(layout.bootstrap_file, log_path=str(tmp_path / "envoy.log"))
    try:
        wait_until(lambda: request(port_b, "/b1/").status == 200, timeout=30, what="first routes")
        for seq, (a, b) in enumerate((("/a2/", "/b1/"), ("/a2/", "/b3/"), ("/a4/", "/b3/")), start=2):
            publisher.publish(config(a, b), {"snapshot_seq": seq})
            os.kill(ambex.pid, signal.SIGHUP)
            wait_until(lambda s=seq: str(s) in _status(layout).get("acked_for", {}), timeout=15, what=f"ack {seq}")
            assert request(port_a, a).status == 200 and request(port_b, b).status == 200
            assert request(port_a, "/a1/").status == 404
    finally:
        stop(envoy)
        stop(ambex)
