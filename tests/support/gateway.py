"""Run the whole gateway (``emissary-py run``: supervisord, watt, diagd, ambex, Envoy) on loopback ports."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.support.http import Response, request
from tests.support.ports import free_port
from tests.support.processes import start, stop, wait_until

__all__ = ["Gateway", "GatewayPorts"]


@dataclass(frozen=True)
class GatewayPorts:
    diag: int = field(default_factory=free_port)
    admin: int = field(default_factory=free_port)
    ads: int = field(default_factory=free_port)
    ready: int = field(default_factory=free_port)
    http: int = field(default_factory=free_port)
    https: int = field(default_factory=free_port)


class Gateway:
    def __init__(self, root: Path, *, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.base = root / "base"
        self.config = root / "config"
        self.log = root / "gateway.log"
        self.ports = GatewayPorts()
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.config.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        p = self.ports
        return {
            **os.environ,
            "AMBASSADOR_CONFIG_BASE_DIR": str(self.base), "AMBASSADOR_CONFIG_DIR": str(self.config),
            "AMBASSADOR_HEALTHCHECK_PORT": str(p.diag), "AMBASSADOR_HEALTHCHECK_BIND_ADDRESS": "127.0.0.1",
            "AMBASSADOR_ADMIN_PORT": str(p.admin), "AMBASSADOR_ADS_PORT": str(p.ads),
            "AMBASSADOR_READY_PORT": str(p.ready), "AMBASSADOR_ENVOY_BIND_ADDRESS": "127.0.0.1",
            "ENVOY_CONCURRENCY": "1", "AMBASSADOR_DRAIN_TIME": "1",
            **self.extra_env,
        }

    # --- configuration files -------------------------------------------------------------------------------
    def write(self, name: str, text: str) -> None:
        path = self.config / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def remove(self, name: str) -> None:
        (self.config / name).unlink()

    # --- lifecycle -----------------------------------------------------------------------------------------
    def start(self, *, ready_timeout: float = 60.0) -> "Gateway":
        command = [sys.executable, "-m", "entrypoint", "run"]
        self.proc = start(command, env=self.env(), log_path=str(self.log))
        try:
            self.wait_ready(timeout=ready_timeout)
        except BaseException:
            self.stop()  # a gateway that never became ready is not left running
            raise
        return self

    def wait_ready(self, *, timeout: float = 60.0) -> None:
        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"gateway exited with {self.proc.returncode}; log:\n{self.log_text()[-4000:]}")
            return request(self.ports.diag, "/ambassador/v0/check_ready", timeout=2).status == 200
        try:
            wait_until(ready, timeout=timeout, interval=0.1, what="check_ready 200")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- gateway log ---\n{self.log_text()[-6000:]}") from None

    def stop(self) -> int | None:
        return stop(self.proc) if self.proc is not None else None

    def __enter__(self) -> "Gateway":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    # --- requests ------------------------------------------------------------------------------------------
    def get(self, path: str, *, port: int | None = None, host: str | None = None,
            headers: dict[str, str] | None = None, method: str = "GET") -> Response:
        return request(port or self.ports.http, path, host=host, headers=headers, method=method)

    def diag(self) -> Any:
        return request(self.ports.diag, "/ambassador/v0/diag/?json=true").json()

    def wait_for(self, path: str, status: int, *, timeout: float = 10.0, host: str | None = None,
                 port: int | None = None) -> Response:
        response: Response = wait_until(lambda: (r := self.get(path, host=host, port=port)).status == status and r,
                                        timeout=timeout, what=f"GET {path} → {status}")
        return response

    # --- processes -----------------------------------------------------------------------------------------
    def children(self) -> dict[str, psutil.Process]:
        """supervisord's programs by name: ambex, diagd (gunicorn master), watt, envoy."""
        assert self.proc is not None
        found: dict[str, psutil.Process] = {}
        for child in psutil.Process(self.proc.pid).children():
            cmd = " ".join(child.cmdline())
            for name in ("ambex", "diagd", "watt"):
                if f"-m {name}" in cmd:
                    found[name] = child
            if "envoy" in os.path.basename(child.cmdline()[0] if child.cmdline() else ""):
                found["envoy"] = child
        return found
