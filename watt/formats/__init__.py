"""File formats shared by the pipeline's processes.

This package is the only code that watt, diagd, ambex and entrypoint share: each process talks to the next through
files in the base directory, and these modules define those files (names, schemas) and the one way to write them
(``atomic_write``). Two process-level pieces every process needs the same way live here too: directory change
events (``inotify``) and keeping OpenSSL out (``openssl``). Nothing here imports the rest of watt.
"""

__all__: list[str] = []
