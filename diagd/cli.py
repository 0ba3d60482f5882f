"""``diagd``: the compiler and diagnostics server (gunicorn, one worker), or offline ``compile``/``validate``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from diagd.settings import DiagdSettings, ServeSettings
from watt.formats.logs import configure_logging

if TYPE_CHECKING:
    from diagd.k8s_status import StatusWriter

# The app, the compiler and their libraries are imported in the worker (``load``) and by the offline commands, not
# at module level: the gunicorn master never needs them, and importing them there would cost it ~17 MiB. The master
# reads ServeSettings; the worker reads DiagdSettings, whose compiler settings import the compiler.

__all__ = ["main"]

log = logging.getLogger("diagd")

EXIT_INVALID = 2


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="diagd", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve diagnostics and reconfigure on new snapshots (the default)")
    for name, text in (("compile", "compile a snapshot file and print IR, Envoy config and problems as JSON"),
                       ("validate", "compile a snapshot file and check it with the real envoy --mode validate")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("snapshot", help="a snapshot written by watt (watt --once --output FILE)")
    return parser


def _offline(command: str, path: str, settings: DiagdSettings) -> int:
    from diagd.compile import compile
    from diagd.compile.ir.serialize import to_json
    from diagd.diag_model import problem_json
    from diagd.envoy_validate import validate_envoy
    from diagd.snapshot_reader import SnapshotReader

    _, snapshot = SnapshotReader(path).read()
    result = compile(snapshot, settings.compile)
    errors = [problem_json(p) for p in result.problems]
    if command == "compile":
        json.dump({"ir": to_json(result.ir), "envoy": result.envoy.to_json(), "problems": errors}, sys.stdout,
                  indent=1, sort_keys=True)
        print()
        return 0
    for problem in errors:
        print(f"{problem['severity']}: {problem['rkey']} ({problem['location']}): {problem['reason']}: "
              f"{problem['message']}")
    outcome = validate_envoy(result.envoy, secret_files=result.secret_files)
    print(f"envoy --mode validate: {'OK' if outcome.ok else 'FAILED'}")
    if not outcome.ok:
        print(outcome.output)
    return 0 if outcome.ok else EXIT_INVALID


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    serve = ServeSettings.from_env(os.environ)
    configure_logging("diagd", level=serve.log_level, json_lines=serve.json_logging)
    from diagd.redact import install_log_redaction  # standard library only: cheap for the master too

    install_log_redaction()
    if args.command in ("compile", "validate"):
        return _offline(args.command, args.snapshot, DiagdSettings.from_env(os.environ))
    if serve.base_dir_note:
        log.warning("%s", serve.base_dir_note)
    DiagdServer(serve, os.environ).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
