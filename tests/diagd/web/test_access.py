"""Access rules: internal endpoints answer local clients only; the diag UI follows the Module's diagnostics
settings (SPEC §2); probes and /metrics are open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.builders import module
from tests.diagd.web.conftest import LOCAL, REMOTE

INTERNAL = ["/_internal/v0/ping", "/debug", "/_internal/v0/debug/stacks", "/_internal/v0/debug/tracemalloc",
            "/_internal/v0/debug/profile?seconds=0.2", "/_internal/v0/loglevel"]
DIAG = ["/ambassador/v0/diag/", "/ambassador/v0/diag/?json=true", "/ambassador/v0/diag/errors",
        "/ambassador/v0/diag/routes", "/ambassador/v0/diag/clusters", "/ambassador/v0/diag/listeners",
        "/ambassador/v0/diag/resources", "/ambassador/v0/diag/history", "/ambassador/v0/diag/snapshot",
        "/ambassador/v0/diag/explain?host=a&path=/backend/", "/ambassador/v0/diag/config/gateway.yaml.6"]
OPEN = ["/ambassador/v0/check_alive", "/ambassador/v0/check_ready", "/metrics", "/ambassador/v0/favicon.ico"]


@pytest.mark.parametrize("path", INTERNAL)
def test_internal_endpoints_answer_local_clients(get: Callable[..., Any], path: str) -> None:
    assert get(path).status_code == 200


@pytest.mark.parametrize("path", INTERNAL)
def test_internal_endpoints_refuse_non_local_clients(get: Callable[..., Any], path: str) -> None:
    response = get(path, remote=True)
    assert response.status_code == 403
    assert response.data == b"Forbidden\n"


@pytest.mark.parametrize("path", INTERNAL[:2])
def test_a_request_relayed_by_envoy_for_a_remote_client_is_not_local(get: Callable[..., Any], path: str) -> None:
    assert get(path, headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 403
    assert get(path, headers={"X-Envoy-External-Address": "198.51.100.4"}).status_code == 403
    assert get(path, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


@pytest.mark.parametrize("path", DIAG)
def test_diag_is_open_to_everyone_by_default(get: Callable[..., Any], path: str) -> None:
    assert get(path, remote=True).status_code == 200
    assert get(path).status_code == 200


@pytest.mark.parametrize("path", OPEN)
def test_probes_and_metrics_are_open(get: Callable[..., Any], path: str) -> None:
    assert get(path, remote=True).status_code == 200


@pytest.mark.parametrize("path", DIAG)
def test_diagnostics_disabled_hides_diag_from_non_local_clients(app_for: Callable[..., Flask], path: str) -> None:
    client = app_for(module({"diagnostics": {"enabled": False}})).test_client()
    remote = client.get(path, environ_base=REMOTE)
    assert remote.status_code == 404
    assert b"gateway.yaml" not in remote.data
    assert client.get(path, environ_base=LOCAL).status_code == 200


def test_allow_non_local_reopens_diag_when_disabled(app_for: Callable[..., Flask]) -> None:
    client = app_for(module({"diagnostics": {"enabled": False, "allow_non_local": True}})).test_client()
    assert client.get("/ambassador/v0/diag/", environ_base=REMOTE).status_code == 200
    assert client.get("/_internal/v0/ping", environ_base=REMOTE).status_code == 403


def test_diagnostics_disabled_leaves_probes_and_metrics_open(app_for: Callable[..., Flask]) -> None:
    client = app_for(module({"diagnostics": {"enabled": False}})).test_client()
    for path in OPEN:
        assert client.get(path, environ_base=REMOTE).status_code == 200, path
