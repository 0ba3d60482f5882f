"""A statsd / DogStatsD receiver on 127.0.0.1: one UDP socket and one thread that keeps every metric line."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

__all__ = ["StatsdReceiver", "StatsdLine"]


@dataclass(frozen=True)
class StatsdLine:
    """``name:value|type[|@rate][|#tag:value,...]``: the metric, its value and type, and DogStatsD tags."""

    name: str
    value: float
    type: str
    tags: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> StatsdLine | None:
        name, _, rest = text.partition(":")
        fields = rest.split("|")
        if not name or len(fields) < 2:
            return None
        try:
            value = float(fields[0])
        except ValueError:
            return None
        tags = next((tuple(f[1:].split(",")) for f in fields[2:] if f.startswith("#")), ())
        return cls(name, value, fields[1], tags)


class StatsdReceiver:
    """Binds an ephemeral UDP port (``port``) on start; ``lines()`` is everything received so far."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._lines: list[StatsdLine] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="statsd-receiver", daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def start(self) -> StatsdReceiver:
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            parsed = [StatsdLine.parse(line) for line in data.decode("utf-8", errors="replace").splitlines()]
            with self._lock:
                self._lines.extend(line for line in parsed if line is not None)

    def lines(self) -> list[StatsdLine]:
        with self._lock:
            return list(self._lines)

    def counter(self, name: str) -> float:
        """The sum of every counter line named ``name`` (Envoy sends per-flush deltas)."""
        return sum(line.value for line in self.lines() if line.name == name and line.type == "c")
