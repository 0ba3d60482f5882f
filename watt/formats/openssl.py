"""Keep OpenSSL out of a process that speaks no TLS.

Importing ``ssl`` or ``hashlib`` maps libssl and libcrypto (~4.5 MiB resident). supervisord, ambex and diagd's
worker (when it writes no status to Kubernetes) talk only cleartext on loopback or Unix sockets, so they make
OpenSSL's two extension modules unimportable first thing. Libraries then take their documented "no ssl" path
(``http.client`` leaves HTTPS out, asyncio leaves TLS out) and ``hashlib`` uses CPython's own digests.
"""

from __future__ import annotations

import sys

__all__ = ["OPENSSL_MODULES", "without_openssl"]

OPENSSL_MODULES = ("_ssl", "_hashlib")


def without_openssl() -> None:
    """Make OpenSSL's extension modules unimportable in this process (importing one raises ImportError)."""
    for name in OPENSSL_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]
