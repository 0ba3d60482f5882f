import sys

from watt.formats.openssl import without_openssl

# ambex serves plaintext gRPC and hashes with CPython's own digests: libssl and libcrypto are never mapped.
without_openssl()

from ambex.cli import main  # noqa: E402

sys.exit(main())
