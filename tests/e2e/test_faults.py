"""kill -9 of watt, diagd (master or worker) and ambex: traffic keeps flowing, supervisord restarts the process,
and the gateway converges to the newest files."""

from __future__ import annotations

import os
import signal
import threading
import uuid

import psutil
import pytest

from tests.builders import mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.processes import wait_until
from tests.support.upstreams import EchoServer


class Load:
    """Steady requests to one route from a background thread; counts anything but a 200."""

    def __init__(self, gateway: Gateway, path: str) -> None:
        self.gateway, self.path = gateway, path
        self.sent = self.failed = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status = request(self.gateway.ports.http, self.path, timeout=5).status
            except OSError as exc:
                status, detail = 0, repr(exc)
            else:
                detail = str(status)
            self.sent += 1
            if status != 200:
                self.failed += 1
                self.failures.append(detail)
            self._stop.wait(0.01)

    def __enter__(self) -> "Load":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def _target(gateway: Gateway, which: str) -> psutil.Process:
    if which == "diagd-worker":
        [worker] = gateway.children()["diagd"].children()
        return worker
    return gateway.children()[which]


@pytest.mark.parametrize("which", ["ambex", "diagd", "diagd-worker", "watt"])
def test_kill_9_leaves_traffic_flowing_and_the_process_is_restarted(
        gateway: Gateway, upstreams: tuple[EchoServer, EchoServer], which: str) -> None:
    victim = _target(gateway, which)
    with Load(gateway, "/backend/") as load:
        wait_until(lambda: load.sent >= 10, timeout=10, what="load running")
        os.kill(victim.pid, signal.SIGKILL)
        wait_until(lambda: (p := _target(gateway, which)).pid != victim.pid and p.is_running(), timeout=30,
                   what=f"{which} restarted")
        sent_at_restart = load.sent
        wait_until(lambda: load.sent >= sent_at_restart + 20, timeout=20, what="load after restart")
    assert load.failed == 0, f"{load.failed} of {load.sent} requests failed: {load.failures[:5]}"
    name = f"after-{which}-{uuid.uuid4().hex[:4]}"
    gateway.write(f"{name}.yaml", to_yaml(mapping(name, f"/{name}/", upstreams[1].address)))
    assert gateway.wait_for(f"/{name}/", 200, timeout=30).json()["server"] == "beta"
    gateway.remove(f"{name}.yaml")


@pytest.mark.parametrize("which", ["watt", "diagd"])
def test_a_change_made_while_a_process_is_down_is_applied_after_its_restart(
        gateway: Gateway, upstreams: tuple[EchoServer, EchoServer], which: str) -> None:
    program = gateway.children()[which]
    supervisor = psutil.Process(gateway.proc.pid)  # type: ignore[union-attr]
    supervisor.suspend()  # hold supervisord so the program stays down while the file changes
    try:
        os.kill(program.pid, signal.SIGKILL)
        wait_until(lambda: not program.is_running() or program.status() == psutil.STATUS_ZOMBIE, timeout=10,
                   what=f"{which} dead")
        name = f"while-{which}-down"
        gateway.write(f"{name}.yaml", to_yaml(mapping(name, f"/{name}/", upstreams[0].address)))
    finally:
        supervisor.resume()
    assert gateway.wait_for(f"/{name}/", 200, timeout=30).json()["server"] == "alpha"
    gateway.remove(f"{name}.yaml")
