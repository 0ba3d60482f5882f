"""watt: snapshots the gateway's configuration sources (a YAML directory or Kubernetes) to disk."""

__all__: list[str] = []
