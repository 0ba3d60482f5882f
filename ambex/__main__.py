import sys

# ambex serves plaintext gRPC and hashes with CPython's own digests: with OpenSSL's two extension modules
# unimportable, asyncio leaves TLS out and libssl and libcrypto (~4.5 MiB resident) are never mapped.
sys.modules["_ssl"] = sys.modules["_hashlib"] = None  # type: ignore[assignment]

from ambex.cli import main  # noqa: E402

sys.exit(main())
