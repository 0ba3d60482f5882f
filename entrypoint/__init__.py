"""entrypoint: ``emissary-py``. Reads settings once, renders supervisord.conf, and runs the four processes."""

__all__: list[str] = []
