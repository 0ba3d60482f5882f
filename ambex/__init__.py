"""ambex: serves the configuration diagd writes to Envoy over ADS (gRPC), honouring ACKs and NACKs."""

__all__: list[str] = []
