"""``watt``: snapshot a configuration directory or Kubernetes to ``<base>/snapshots/``.

The source: the directory when one is given (``--config-dir`` or ``AMBASSADOR_CONFIG_DIR``), else Kubernetes
(KUBECONFIG, or the in-cluster ServiceAccount in a pod).
"""

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
from watt.loop import Source, WattLoop
from watt.settings import WattSettings
from watt.writer import SnapshotWriter

__all__ = ["main"]

log = logging.getLogger("watt")

EXIT_CONFIG = 2
ONCE_TIMEOUT = 60


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
    source = _source(settings)
    if source is None:
        return EXIT_CONFIG
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
    log.info("watching %s; snapshots go to %s", source.describe().get("dir") or source.describe().get("server"),
             layout.snapshot_file)
    loop.run()
    return 0


def _source(settings: WattSettings) -> Source | None:
    if settings.config_dir is not None:
        return FilesSource(settings.config_dir)
    if settings.kube is not None and settings.kube.enabled:
        from watt.k8s import kubernetes_source  # the kubernetes client is loaded only when it is used

        try:
            return kubernetes_source(settings.kube)
        except Exception as exc:  # noqa: BLE001 - any config-loading failure is reported the same way
            log.error("cannot load the Kubernetes configuration (%s): %s", settings.kube.kubeconfig or "in-cluster",
                      exc)
            return None
    log.error("no configuration source: pass --config-dir, set AMBASSADOR_CONFIG_DIR, or run with KUBECONFIG "
              "or in a pod")
    return None


def _once(source: Source, output: str) -> int:
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    if not isinstance(source, FilesSource):  # Kubernetes: list every kind first
        source.start(lambda: None)
        deadline = time.monotonic() + ONCE_TIMEOUT
        while not source.ready() and time.monotonic() < deadline:
            time.sleep(0.05)
    try:
        if not source.ready():
            log.error("not every kind listed within %ds: %s", ONCE_TIMEOUT, source.describe())
            return 1
        SnapshotWriter(output).publish(source.lines(), change_seen=time.time(), source=source.describe())
    finally:
        source.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
