"""diagd: compiles snapshots into Envoy configuration and serves diagnostics, probes and metrics."""

__all__: list[str] = []
