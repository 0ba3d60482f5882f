"""Render supervisord.conf: ambex, diagd, watt and Envoy, each restarted when it dies, logging to stdout."""

from __future__ import annotations

import os
import secrets
import shlex
from dataclasses import dataclass

from entrypoint.settings import EntrypointSettings

__all__ = ["Program", "programs", "render"]


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    command: tuple[str, ...]
    priority: int
    stop_wait: int = 10
    environment: tuple[tuple[str, str], ...] = ()


# glibc gives each thread that allocates its own malloc arena (up to 8 per CPU); diagd's gthread worker serves from
# several threads, and two arenas keep its worker ~1.5 MiB smaller at 1,000 Mappings.
DIAGD_ENVIRONMENT = (("MALLOC_ARENA_MAX", "2"),)


def programs(settings: EntrypointSettings, python: str) -> tuple[Program, ...]:
    watt = [python, "-m", "watt"]
    if settings.config_dir:
        watt += ["--config-dir", settings.config_dir]
    return (
        Program("ambex", (python, "-m", "ambex"), 10),
        Program("diagd", (python, "-m", "diagd", "serve"), 20, environment=DIAGD_ENVIRONMENT),
        Program("watt", tuple(watt), 30),
        Program("envoy", (python, "-m", "entrypoint", "envoy"), 40, stop_wait=15),
    )


def _environment(program: Program) -> list[str]:
    if not program.environment:
        return []
    return ["environment=" + ",".join(f'{name}="{value}"' for name, value in program.environment)]


def _section(program: Program) -> str:
    return "\n".join([
        f"[program:{program.name}]",
        f"command={' '.join(shlex.quote(part) for part in program.command)}",
        *_environment(program),
        f"priority={program.priority}",
        "autostart=true",
        "autorestart=true",
        "startsecs=1",
        "startretries=100",
        "stopsignal=TERM",
        f"stopwaitsecs={program.stop_wait}",
        "stopasgroup=true",
        "killasgroup=true",
        "stdout_logfile=/dev/stdout",
        "stdout_logfile_maxbytes=0",
        "redirect_stderr=true",
        "",
    ])


def render(settings: EntrypointSettings, python: str) -> str:
    """The whole file. supervisord's own log goes to stdout (nodaemon echoes it); the control socket is 0700
    and has a per-run password."""
    layout = settings.layout
    password = secrets.token_hex(16)
    head = "\n".join([
        "; written by emissary-py run; edits are lost on restart",
        "[supervisord]",
        "nodaemon=true",
        "logfile=/dev/null",
        "logfile_maxbytes=0",
        "loglevel=info",
        f"pidfile={layout.base}/supervisord.pid",
        *(["user=root"] if os.geteuid() == 0 else []),
        "",
        "[unix_http_server]",
        f"file={layout.base}/supervisor.sock",
        "chmod=0700",
        "username=emissary",
        f"password={password}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{layout.base}/supervisor.sock",
        "username=emissary",
        f"password={password}",
        "",
    ])
    return head + "\n".join(_section(p) for p in programs(settings, python))
