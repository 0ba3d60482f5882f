"""A small demo upstream: answers every request with JSON describing it (server name, method, path, headers)."""

from __future__ import annotations

import argparse
import http.server
import json
import threading

__all__ = ["serve"]


def _handler(name: str) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            body = json.dumps({"server": name, "method": self.command, "path": self.path,
                               "host": self.headers.get("host"), "headers": dict(self.headers.items())},
                              indent=1).encode() + b"\n"
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PUT = do_DELETE = do_GET

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


def serve(name: str, port: int, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer((host, port), _handler(name))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", default="demo")
    parser.add_argument("--port", type=int, default=8780)
    args = parser.parse_args()
    serve(args.name, args.port).serve_forever()
