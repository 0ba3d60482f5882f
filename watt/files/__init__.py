"""The files source: every YAML/JSON document under a directory, kept in sync with watchdog."""

__all__: list[str] = []
