"""The gunicorn master without OpenSSL.

gunicorn's modules import ``ssl`` when they load, for the defaults of their TLS settings, and that maps libssl and
libcrypto (about 5 MiB resident) into the master, which never uses them: it binds a cleartext socket and forks the
worker, and diagd configures no TLS for gunicorn. ``install`` puts a stand-in under the name ``ssl`` before
gunicorn is imported. It has the constants gunicorn's settings read and the exception and socket classes its
``except`` and ``isinstance`` checks name (nothing raises or creates them); anything else raises AttributeError
with this reason.

The worker calls ``after_fork`` before it imports anything: the stand-in goes (``release``), and the next
``import ssl`` loads the real module. When the worker writes status back to Kubernetes, its client needs that
module for TLS to the API server. Otherwise nothing in the worker speaks TLS (it talks to Envoy's admin and ready
ports in cleartext on loopback), and it keeps OpenSSL out as ambex does (``watt.formats.openssl``).
"""

from __future__ import annotations

import sys
import types
from typing import Any

from watt.formats.openssl import without_openssl

__all__ = ["install", "release", "after_fork", "STAND_IN"]

STAND_IN = "diagd.master_ssl:stand-in"


class _SSLError(OSError):
    pass


class _StandIn(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"ssl.{name} is not available in diagd's gunicorn master, which runs without OpenSSL")


def _stand_in() -> types.ModuleType:
    module = _StandIn("ssl", STAND_IN)
    module.__file__ = STAND_IN
    fields: dict[str, Any] = {
        "PROTOCOL_TLS": 2, "PROTOCOL_SSLv23": 2, "CERT_NONE": 0, "CERT_OPTIONAL": 1, "CERT_REQUIRED": 2,
        "SSL_ERROR_EOF": 8, "SSLError": _SSLError,
        "SSLWantReadError": type("SSLWantReadError", (_SSLError,), {}),
        "SSLSocket": type("SSLSocket", (), {}),
    }
    for name, value in fields.items():
        setattr(module, name, value)
    return module


def install() -> bool:
    """Put the stand-in in place unless the real ``ssl`` is already loaded; True when it was installed."""
    if "ssl" in sys.modules:
        return False
    sys.modules["ssl"] = _stand_in()
    return True


def release() -> None:
    """Drop the stand-in (if this process has it), so that the next ``import ssl`` loads the real module."""
    module = sys.modules.get("ssl")
    if module is not None and getattr(module, "__file__", None) == STAND_IN:
        del sys.modules["ssl"]


def after_fork(*, needs_tls: bool) -> None:
    """In the worker: the real ``ssl`` when it ``needs_tls``, else no OpenSSL at all."""
    release()
    if not needs_tls:
        without_openssl()
