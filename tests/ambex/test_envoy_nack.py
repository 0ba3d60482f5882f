"""ambex with a real Envoy: a configuration Envoy rejects is NACKed, shown in status, and the old routes keep
answering; the next good configuration is applied."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass
class _Running:
    """ambex and a real Envoy fed from ``layout``, with the settings the published configurations are compiled for."""

    layout: BaseLayout
    settings: CompileSettings
    publisher: Publisher
    ambex: subprocess.Popen[bytes] | None = None

    def publish(self, config: EnvoyConfig, seq: int) -> None:
        self.publisher.publish(config, {"snapshot_seq": seq})
        if self.ambex is not None:
            os.kill(self.ambex.pid, signal.SIGHUP)


@contextmanager
def _ambex_and_envoy(tmp_path: Path, first: Callable[[CompileSettings], EnvoyConfig]) -> Iterator[_Running]:
    """Publish ``first`` (compiled for this run's ports), then start ambex and Envoy; both stopped by PID after."""
    layout = BaseLayout(str(tmp_path / "base"))
    layout.ensure()
    ads = free_port()
    settings = CompileSettings(envoy_bind_address="127.0.0.1", ads_port=ads, admin_port=free_port(),
                               ready_port=free_port())
    running = _Running(layout, settings, Publisher(layout))
    running.publish(first(settings), 1)
    env = {**os.environ, "AMBASSADOR_CONFIG_BASE_DIR": layout.base, "AMBASSADOR_ADS_PORT": str(ads)}
    running.ambex = start([sys.executable, "-m", "ambex"], env=env, log_path=str(tmp_path / "ambex.log"))
    envoy = start_envoy(layout.bootstrap_file, log_path=str(tmp_path / "envoy.log"))
    try:
        yield running
    finally:
        stop(envoy)
        stop(running.ambex)


def test_envoy_nack_keeps_previous_routes_and_is_reported(tmp_path: Path, echo_factory: Any) -> None:
    upstream = echo_factory("ok")
    http_port = free_port()
    with _ambex_and_envoy(tmp_path, lambda settings: _compile(http_port, upstream.address, settings)) as run:
        good = _compile(http_port, upstream.address, run.settings)
        wait_until(lambda: request(http_port, "/ok/").status == 200, timeout=30, what="first route")
        run.publish(_with_bad_regex(good), 2)
        nack = wait_until(lambda: (_status(run.layout).get("last_nack") or {}).get("snapshot_seq") == 2
                          and _status(run.layout)["last_nack"], timeout=15, what="NACK in ambex status")
        assert nack["type"] == "RDS" and "(unclosed" in nack["message"]
        assert all(request(http_port, "/ok/").status == 200 for _ in range(20))
        run.publish(_compile(http_port, upstream.address, run.settings, mapping("new", "/new/", upstream.address)),
                    3)
        wait_until(lambda: request(http_port, "/new/").status == 200, timeout=15, what="route after the fix")
        assert "3" in _status(run.layout)["acked_for"]


def test_envoy_keeps_route_configurations_an_rds_response_leaves_out(tmp_path: Path, echo_factory: Any) -> None:
    """ambex sends only changed route configurations; the other Listener's, left out, keeps answering in a real
    Envoy, before and after its own change."""
    upstream = echo_factory("ok")
    port_a, port_b = free_port(), free_port()

    def config(a: str, b: str, settings: CompileSettings) -> EnvoyConfig:
        text = to_yaml(listener("a", port_a), listener("b", port_b, security_model="INSECURE"), host("h"),
                       mapping("a", a, upstream.address), mapping("b", b, upstream.address))
        return compile(snapshot_from_text(text), settings).envoy

    with _ambex_and_envoy(tmp_path, lambda settings: config("/a1/", "/b1/", settings)) as run:
        assert len(config("/a1/", "/b1/", run.settings).route_configs) == 2  # one per Listener: models differ
        wait_until(lambda: request(port_b, "/b1/").status == 200, timeout=30, what="first routes")
        for seq, (a, b) in enumerate((("/a2/", "/b1/"), ("/a2/", "/b3/"), ("/a4/", "/b3/")), start=2):
            run.publish(config(a, b, run.settings), seq)
            wait_until(lambda s=seq: str(s) in _status(run.layout).get("acked_for", {}), timeout=15,
                       what=f"ack {seq}")
            assert request(port_a, a).status == 200 and request(port_b, b).status == 200
            assert request(port_a, "/a1/").status == 404
