"""The files source: every YAML/JSON document under a directory, kept in sync with inotify."""

__all__: list[str] = []
