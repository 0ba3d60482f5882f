"""``diagd``: the compiler and diagnostics server (gunicorn, one worker), or offline ``compile``/``validate``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from diagd import master_ssl
from diagd.settings import DiagdSettings, ServeSettings
from watt.formats.logs import configure_logging

# The compiler and its libraries are imported by the offline commands only; the server (``diagd.server``) only when
# serving, after the master's ssl stand-in is in place.

__all__ = ["main"]

log = logging.getLogger("diagd")

EXIT_INVALID = 2


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
    master_ssl.install()
    from diagd.server import DiagdServer

    DiagdServer(serve, os.environ).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
