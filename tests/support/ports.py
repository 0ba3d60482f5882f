"""Free loopback ports for servers the tests start."""

from __future__ import annotations

import socket

__all__ = ["free_port", "free_ports"]

_handed_out: set[int] = set()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (and that this session has not handed out before)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port found in 100 tries")


def free_ports(count: int) -> list[int]:
    return [free_port() for _ in range(count)]
