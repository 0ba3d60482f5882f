"""Probes with Emissary's semantics, and the local-only internal endpoints: ping, /debug, profiling, log level."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from diagd.state import CompiledState
from tests.diagd.sample import compiled_state, make_app, sample_yaml, settings_for

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, CompiledState]:
    settings = settings_for(tmp_path_factory.mktemp("health"))
    return settings, compiled_state(sample_yaml(), settings)


def _probe(settings: Any, state: CompiledState, path: str, **kwargs: Any) -> tuple[int, str]:
    response = make_app(state, settings, **kwargs)[0].test_client().get(path)
    return response.status_code, response.get_data(as_text=True)


def test_ready_waits_for_config_then_for_envoy(applied: tuple[Any, CompiledState]) -> None:
    settings, state = applied
    ready = "/ambassador/v0/check_ready"
    assert _probe(settings, CompiledState(started=time.time()), ready) == (503, "ambassador waiting for config\n")
    assert _probe(settings, state, ready) == (200, "Ambassador is ready and waiting\n")
    assert _probe(settings, state, ready, envoy_ready=lambda: False) == (503, "Ambassador is not ready\n")
    unacked = dataclasses.replace(state, ambex={})
    assert _probe(settings, unacked, ready)[0] == 503


def test_alive_follows_the_worker_and_gives_envoy_30_seconds(applied: tuple[Any, CompiledState]) -> None:
    settings, state = applied
    alive = "/ambassador/v0/check_alive"
    assert _probe(settings, CompiledState(started=time.time()), alive, envoy_ready=lambda: False)[0] == 200
    assert _probe(settings, state, alive)[1] == "Ambassador is alive and well\n"
    assert _probe(settings, state, alive, worker_alive=lambda: False)[0] == 503
    fresh = dataclasses.replace(state, first_applied=time.time() - 5)
    assert _probe(settings, fresh, alive, envoy_ready=lambda: False)[0] == 200
    stale = dataclasses.replace(state, first_applied=time.time() - 31)
    assert _probe(settings, stale, alive, envoy_ready=lambda: False)[0] == 503


def test_ping(get: Callable[..., Any]) -> None:
    assert get("/_internal/v0/ping").data == b"ACK\n"


def test_debug_kpis(get: Callable[..., Any]) -> None:
    data = get("/debug").get_json()
    assert set(data) == {"timers", "values"}
    assert data["timers"]["reconfig_compile_ms"] == pytest.approx(150, rel=0.01)
    assert data["values"]["errors"] == 2 and data["values"]["resources"] == 15
    assert data["values"]["memory_mib"]["diagd"] > 10


def test_stacks_show_every_thread(get: Callable[..., Any]) -> None:
    ready, done = threading.Event(), threading.Event()

    def parked_worker() -> None:
        ready.set()
        done.wait(10)

    thread = threading.Thread(target=parked_worker, name="parked-for-test")
    thread.start()
    ready.wait(5)
    try:
        threads = get("/_internal/v0/debug/stacks").get_json()["threads"]
        text = get("/_internal/v0/debug/stacks?format=text").get_data(as_text=True)
    finally:
        done.set()
        thread.join(5)
    parked = next(t for t in threads if t["name"] == "parked-for-test")
    assert any("parked_worker" in frame for frame in parked["stack"])
    assert "--- parked-for-test" in text


def test_tracemalloc_starts_then_reports(get: Callable[..., Any]) -> None:
    import tracemalloc

    was = tracemalloc.is_tracing()
    try:
        first = get("/_internal/v0/debug/tracemalloc").get_json()
        assert first["tracing"] is True
        hoard = [bytearray(4096) for _ in range(500)]  # noqa: F841 - held so that it shows up
        second = get("/_internal/v0/debug/tracemalloc?limit=5").get_json()
        assert second["started"] is False and len(second["top"]) == 5 and second["traced_bytes"] > 2_000_000
        assert any("test_health_and_internal.py" in row["where"] for row in second["top"])
    finally:
        if not was:
            tracemalloc.stop()


def _spin(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(2000))


def test_cpu_profile_finds_the_busy_thread(get: Callable[..., Any]) -> None:
    stop = threading.Event()
    busy = threading.Thread(target=_spin, args=(stop,), name="busy-for-test")
    busy.start()
    try:
        data = get("/_internal/v0/debug/profile?seconds=1").get_json()
        collapsed = get("/_internal/v0/debug/profile?seconds=0.5&format=collapsed").get_data(as_text=True)
    finally:
        stop.set()
        busy.join(5)
    assert data["samples"] > 10
    assert any("_spin" in s["stack"] or "genexpr" in s["stack"] for s in data["top_stacks"][:3])
    assert any(line.startswith("busy-for-test;") for line in collapsed.splitlines())
    assert get("/_internal/v0/debug/profile?seconds=600").status_code == 400


def test_log_level_switch(tmp_path: Path) -> None:
    client = make_app(None, settings_for(tmp_path))[0].test_client()
    root = logging.getLogger()
    before = root.level
    try:
        assert client.post("/_internal/v0/loglevel", data={"level": "debug"}, environ_base=LOCAL).get_json() == {
            "level": "debug"}
        assert root.getEffectiveLevel() == logging.DEBUG
        assert client.post("/_internal/v0/loglevel", data={"level": "loud"}, environ_base=LOCAL).status_code == 400
        assert client.post("/_internal/v0/loglevel", data={"level": "error"},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 403
        assert root.getEffectiveLevel() == logging.DEBUG
    finally:
        root.setLevel(before)
