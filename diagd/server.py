"""diagd's gunicorn application: one gthread worker, which owns the reconfig worker, the state and the web app.

The app, the compiler and their libraries are imported in the worker (``load``), not at module level: the gunicorn
master never needs them, and importing them there would cost it ~17 MiB. The master reads ServeSettings; the worker
reads DiagdSettings, whose compiler settings import the compiler. The master runs without OpenSSL; the worker
loads it only to write status to Kubernetes (see ``diagd.master_ssl``), and decides before it imports anything.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from diagd import master_ssl
from diagd.settings import DiagdSettings, ServeSettings
from watt.formats.logs import configure_logging

if TYPE_CHECKING:
    from diagd.k8s_status import StatusWriter

__all__ = ["DiagdServer"]

log = logging.getLogger("diagd")


class _Logger(GunicornLogger):  # type: ignore[misc]
    error_fmt = "diagd %(asctime)s %(levelname)s gunicorn[%(process)d]: %(message)s"
    datefmt = None


class DiagdServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with one gthread worker; the worker process owns the reconfig worker and the state."""

    def __init__(self, serve: ServeSettings, env: Mapping[str, str]) -> None:
        self.serve = serve
        self.env = env
        super().__init__()

    def load_config(self) -> None:
        s = self.serve
        for key, value in {
            "bind": [f"{s.bind_address}:{s.port}"], "workers": 1, "worker_class": "gthread", "threads": s.threads,
            "timeout": 120, "graceful_timeout": 5, "accesslog": None, "errorlog": "-", "logger_class": _Logger,
            "loglevel": logging.getLevelName(s.log_level).lower(), "proc_name": "diagd",
        }.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn ≥ 25.1 opens a control socket otherwise
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        master_ssl.after_fork(needs_tls=self.serve.writes_status)
        from diagd.app import create_app
        from diagd.envoy_probe import EnvoyReadyProbe
        from diagd.memory import MemoryWatch
        from diagd.reconfig import ReconfigWorker
        from diagd.redact import install_log_redaction
        from diagd.state import CompiledState, StateHolder
        from diagd.watch import BaseDirWatch

        settings = DiagdSettings.from_env(self.env)
        configure_logging("diagd", level=settings.log_level, json_lines=settings.json_logging)
        install_log_redaction()
        layout = settings.layout
        layout.ensure()
        holder = StateHolder(CompiledState(started=time.time()))
        status = _status_writer(settings)
        worker = ReconfigWorker(layout, settings.compile, holder, history=settings.history,
                                on_applied=status.submit if status is not None else None)
        watch = BaseDirWatch(layout, worker.enqueue)
        watch.start()
        worker.start()
        memory = MemoryWatch(layout, interval=settings.memory_interval, warn_percent=settings.memory_warn_percent)
        memory.start()
        log.info("diagd worker %d serving on %s:%d; base dir %s", os.getpid(), settings.bind_address,
                 settings.port, layout.base)
        return create_app(settings, holder, envoy_ready=EnvoyReadyProbe(settings.compile.ready_port),
                          worker_alive=lambda: worker.alive, memory=memory)


def _status_writer(settings: DiagdSettings) -> StatusWriter | None:
    """Status goes back to Kubernetes when diagd has credentials for it (KUBECONFIG, or in a pod)."""
    if not settings.writes_status:
        return None
    from diagd.k8s_status import StatusWriter, kubernetes_patcher

    try:
        patch = kubernetes_patcher(settings.kubeconfig)
    except Exception as exc:  # noqa: BLE001 - any configuration failure means: no status writes, said once
        log.error("cannot load the Kubernetes configuration (%s) to write status: %s",
                  settings.kubeconfig or "in-cluster", exc)
        return None
    return StatusWriter(patch).start()
