"""``emissary-py``: run the gateway (``run``), or compile/validate a configuration directory offline."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from entrypoint.envoy_launch import launch
from entrypoint.settings import EntrypointSettings
from entrypoint.supervisor_conf import render
from watt.formats.atomic import atomic_write
from watt.formats.logs import configure_logging

__all__ = ["main", "clear_runtime_state"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emissary-py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run watt, diagd, ambex and Envoy under supervisord")
    run.add_argument("--config-dir", help="directory of YAML/JSON resources (default: AMBASSADOR_CONFIG_DIR)")
    sub.add_parser("envoy", help="(internal) wait for the bootstrap, then exec Envoy")
    for name, text in (("compile", "print the IR, Envoy configuration and problems for a directory"),
                       ("validate", "check a directory's Envoy configuration with the real envoy --mode validate")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("config_dir")
    return parser


def clear_runtime_state(settings: EntrypointSettings) -> None:
    """A new run starts clean: no snapshot, manifest, bootstrap, status or pidfile from an earlier run."""
    layout = settings.layout
    layout.ensure()
    for path in (layout.snapshot_file, layout.manifest_file, layout.bootstrap_file, layout.ambex_status_file,
                 layout.ambex_pidfile):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _run(settings: EntrypointSettings) -> int:
    if settings.config_dir is None and not settings.kubernetes:
        print("emissary-py run: pass --config-dir, set AMBASSADOR_CONFIG_DIR, or run with KUBECONFIG or in a pod",
              file=sys.stderr)
        return 2
    if settings.base_dir_note:
        print(f"emissary-py: {settings.base_dir_note}", file=sys.stderr)
    clear_runtime_state(settings)
    conf = os.path.join(settings.base_dir, "supervisord.conf")
    atomic_write(conf, render(settings, sys.executable).encode("utf-8"))
    os.environ["AMBASSADOR_CONFIG_BASE_DIR"] = settings.base_dir
    if settings.config_dir is not None:  # else watt watches Kubernetes
        os.environ["AMBASSADOR_CONFIG_DIR"] = os.path.abspath(settings.config_dir)
    command = [sys.executable, "-m", "entrypoint.supervise", "-n", "-c", conf]
    os.execv(command[0], command)
    return 0  # not reached


def _offline(command: str, config_dir: str) -> int:
    with tempfile.TemporaryDirectory(prefix="emissary-py-") as tmp:
        snapshot = os.path.join(tmp, "snapshot.ndjson")
        env = {**os.environ, "AES_LOG_LEVEL": "warning"}
        watt = [sys.executable, "-m", "watt", "--config-dir", config_dir, "--once", "--output", snapshot]
        if subprocess.run(watt, env=env, check=False).returncode != 0:
            return 2
        return subprocess.run([sys.executable, "-m", "diagd", command, snapshot], env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("compile", "validate"):
        return _offline(args.command, args.config_dir)
    settings = EntrypointSettings.from_env(os.environ, config_dir=getattr(args, "config_dir", None))
    if args.command == "envoy":
        configure_logging("entrypoint", level=settings.log_level, json_lines=False)
        launch(settings)
        return 0
    return _run(settings)


if __name__ == "__main__":
    sys.exit(main())
