"""A tiny HTTP client for loopback tests: no proxies, explicit Host header, bounded timeouts."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Response", "request"]


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(port: int, path: str = "/", *, method: str = "GET", host: str | None = None,
            headers: dict[str, str] | None = None, body: bytes | None = None, timeout: float = 5.0) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = dict(headers or {})
        if host is not None:
            all_headers["Host"] = host
        conn.request(method, path, body=body, headers=all_headers)
        resp = conn.getresponse()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()
