"""What a kind's ``parse`` may consult besides its own resource: settings and what earlier kinds produced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from diagd.compile.ir.module import GatewayOptions
from diagd.compile.ir.tls import TLSContext
from diagd.compile.kinds.secrets import SecretStore
from diagd.compile.model.settings import CompileSettings

__all__ = ["KindContext"]


@dataclass(frozen=True, slots=True)
class KindContext:
    settings: CompileSettings
    options: GatewayOptions
    secrets: SecretStore = field(default_factory=lambda: SecretStore("/ambassador/secrets"))
    tls_contexts: Mapping[str, TLSContext] = field(default_factory=dict)  # by name

    def tls_context(self, name: str, namespace: str) -> TLSContext | None:
        """A TLSContext by name: ``name`` itself, else ``name.namespace`` (a same-named one in another namespace)."""
        return self.tls_contexts.get(name) or self.tls_contexts.get(f"{name}.{namespace}")
