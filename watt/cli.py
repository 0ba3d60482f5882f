"""``watt``: snapshot a configuration directory (and, later, Kubernetes) to ``<base>/snapshots/``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from watt.debounce import Debouncer
from watt.files.source import FilesSource
from watt.formats.layout import BaseLayout
from watt.formats.logs import configure_logging
from watt.loop import WattLoop
from watt.settings import WattSettings
from watt.writer import SnapshotWriter

__all__ = ["main"]

log = logging.getLogger("watt")

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="watt", description=__doc__)
    parser.add_argument("--config-dir", help="directory of YAML/JSON resources (default: AMBASSADOR_CONFIG_DIR)")
    parser.add_argument("--once", action="store_true", help="write one snapshot and exit")
    parser.add_argument("--output", help="with --once: write the snapshot here instead of the base dir")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = WattSettings.from_env(os.environ, config_dir=args.config_dir)
    configure_logging("watt", level=settings.log_level, json_lines=settings.json_logging)
    if settings.config_dir is None:
        log.error("no configuration source: pass --config-dir or set AMBASSADOR_CONFIG_DIR")
        return EXIT_CONFIG
    source = FilesSource(settings.config_dir)
    if args.once:
        return _once(source, args.output or BaseLayout(settings.base_dir).snapshot_file)
    if settings.base_dir_note:
        log.warning("%s", settings.base_dir_note)
    layout = BaseLayout(settings.base_dir)
    layout.ensure()
    loop = WattLoop(
        source,
        SnapshotWriter(layout.snapshot_file),
        Debouncer(quiet=settings.quiet_period, max_delay=settings.max_delay),
    )
    loop.install_signals()
    log.info("watching %s; snapshots go to %s", settings.config_dir, layout.snapshot_file)
    loop.run()
    return 0


def _once(source: FilesSource, output: str) -> int:
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    SnapshotWriter(output).publish(source.lines(), change_seen=time.time(), source=source.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
