"""What a kind's ``parse`` may consult besides its own resource: settings and what earlier kinds produced."""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.ir.module import GatewayOptions
from diagd.compile.model.settings import CompileSettings

__all__ = ["KindContext"]


@dataclass(frozen=True, slots=True)
class KindContext:
    settings: CompileSettings
    options: GatewayOptions
