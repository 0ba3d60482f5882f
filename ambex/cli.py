"""``ambex``: serve diagd's Envoy configuration over ADS on 127.0.0.1, reloading on SIGHUP."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from ambex.main import run
from ambex.settings import AmbexSettings
from watt.formats.logs import configure_logging

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="ambex", description=__doc__).parse_args(argv)
    settings = AmbexSettings.from_env(os.environ)
    configure_logging("ambex", level=settings.log_level, json_lines=settings.json_logging)
    return asyncio.run(run(settings))


if __name__ == "__main__":
    sys.exit(main())
