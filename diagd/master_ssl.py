"""The gunicorn master without OpenSSL.

gunicorn's modules import ``ssl`` when they load, for the defaults of their TLS settings, and that maps libssl and
libcrypto (about 5 MiB resident) into the master, which never uses them: it binds a cleartext socket and forks the
worker, and diagd configures no TLS for gunicorn. ``install`` puts a stand-in under the name ``ssl`` before
gunicorn is imported. It has the constants gunicorn's settings read and the exception and socket classes its
``except`` and ``isinstance`` checks name (nothing raises or creates them); anything else raises AttributeError
with this reason.

The worker decides first thing after the fork. When it writes status back to Kubernetes, its client speaks TLS to
the API server: ``release`` drops the stand-in, and the next ``import ssl`` loads the real module. Otherwise nothing
in the worker speaks TLS (it talks to Envoy's admin and ready ports in cleartext on loopback): ``block`` makes
``ssl`` and OpenSSL's hash module unimportable, as in ambex. Libraries then take their documented "no ssl" path,
and ``hashlib`` uses CPython's own digests.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["install", "release", "block", "STAND_IN"]

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


def block() -> None:
    """Make ``ssl`` and OpenSSL's extension modules unimportable in this process (importing one raises ImportError)."""
    for name in ("ssl", "_ssl", "_hashlib"):
        sys.modules[name] = None  # type: ignore[assignment]
