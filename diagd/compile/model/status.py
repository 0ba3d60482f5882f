"""Status the gateway wants written back to Kubernetes objects: data from the compiler, written by diagd."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["StatusUpdate"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate:
    """``status`` (replacing the fields it names) for one object, by kind, apiVersion, namespace and name."""

    kind: str
    api_version: str
    namespace: str
    name: str
    status: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)

    def digest(self) -> str:
        """The status as canonical JSON: equal statuses compare equal however they were built."""
        return json.dumps(self.status, sort_keys=True, separators=(",", ":"))
