"""A real WebSocket echo server on 127.0.0.1 (the ``websockets`` package), run in a thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from websockets.sync.server import ServerConnection, serve

from tests.support.ports import free_port

__all__ = ["WebSocketEcho"]


def _echo(connection: ServerConnection) -> None:
    for message in connection:
        connection.send(message)


@dataclass
class WebSocketEcho:
    port: int = field(default_factory=free_port)

    def start(self) -> "WebSocketEcho":
        self._server = serve(_echo, "127.0.0.1", self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="ws-echo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"
