"""``python -m entrypoint.supervise -n -c FILE``: supervisord, without OpenSSL.

supervisord's control socket is a Unix socket and its passwords are plain text, yet ``http.client`` (imported for
XML-RPC) loads ``ssl`` and ``supervisor.compat`` loads ``hashlib``, which map libssl and libcrypto: ~4.5 MiB of
resident memory. With ``_ssl`` and ``_hashlib`` unimportable, ``http.client`` leaves HTTPS out and ``hashlib`` uses
CPython's own digests; supervisord itself is unchanged.
"""

from __future__ import annotations

from watt.formats.openssl import without_openssl

__all__ = ["main"]


def main() -> None:
    without_openssl()
    from supervisor.supervisord import main as supervisord

    supervisord()


if __name__ == "__main__":
    main()
