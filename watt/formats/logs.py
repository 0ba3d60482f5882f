"""The log line format every process writes to stdout: the process name first, or one JSON object per line.

Under supervisord all processes share the container's stdout, so each line must say which process wrote it.
"""

from __future__ import annotations

import json
import logging
import sys
import time

__all__ = ["configure_logging", "parse_level"]


class _JsonFormatter(logging.Formatter):
    def __init__(self, process_name: str) -> None:
        super().__init__()
        self._process = process_name

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "process": self._process,
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def parse_level(value: str | None, default: int = logging.INFO) -> int:
    """Map AES_LOG_LEVEL-style names (debug, info, warn, warning, error) to logging levels."""
    if not value:
        return default
    name = value.strip().upper()
    name = {"WARN": "WARNING", "TRACE": "DEBUG"}.get(name, name)
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else default


def configure_logging(process_name: str, *, level: int, json_lines: bool) -> None:
    """Send every log record to stdout as ``<process> <time> <LEVEL> <logger>: <message>`` or as JSON."""
    handler = logging.StreamHandler(sys.stdout)
    if json_lines:
        handler.setFormatter(_JsonFormatter(process_name))
    else:
        handler.setFormatter(
            logging.Formatter(f"{process_name} %(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
