"""Host: a hostname the gateway serves, its TLS, and what to do with cleartext requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from diagd.compile.ir.tls import TLSContext
from diagd.compile.model.problems import ResourceRef

__all__ = ["InsecureAction", "Host"]


class InsecureAction(str, Enum):
    REDIRECT = "Redirect"
    ROUTE = "Route"
    REJECT = "Reject"


@dataclass(frozen=True, slots=True, kw_only=True)
class Host:
    ref: ResourceRef
    name: str
    namespace: str
    hostname: str
    insecure_action: InsecureAction
    tls: TLSContext | None = None
    mapping_selector: Mapping[str, str] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    synthesized: bool = False

    @property
    def sni(self) -> str:
        """The hostname without a port, as SNI carries it."""
        return self.hostname.rsplit(":", 1)[0] if ":" in self.hostname and "]" not in self.hostname else self.hostname
