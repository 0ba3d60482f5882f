"""What the web layer reads from: the published state, Envoy's admin port, the memory watch, and metrics.

One ``DiagContext`` per app. Views take a consistent pair (state, index) with ``current()``: the index is built
from exactly that state's compile result, once per configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from diagd.diag_index import DiagIndex, IndexCache
from diagd.envoy_admin import EnvoyAdmin
from diagd.memory import MemoryWatch
from diagd.metrics import ReconfigMetrics, StateCollector, default_info
from diagd.prometheus import Registry
from diagd.settings import DiagdSettings
from diagd.state import CompiledState, StateHolder

__all__ = ["DiagContext", "make_context"]


@dataclass
class DiagContext:
    settings: DiagdSettings
    holder: StateHolder
    envoy_ready: Callable[[], bool]
    worker_alive: Callable[[], bool]
    admin: EnvoyAdmin
    memory: MemoryWatch
    registry: Registry
    indexes: IndexCache = field(default_factory=IndexCache)

    def current(self) -> tuple[CompiledState, DiagIndex | None]:
        state = self.holder.current
        return state, self.indexes.get(state.result, state.snapshot)

    @staticmethod
    def log_level() -> str:
        return logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()


def make_context(settings: DiagdSettings, holder: StateHolder, *, envoy_ready: Callable[[], bool],
                 worker_alive: Callable[[], bool], admin: EnvoyAdmin | None = None,
                 memory: MemoryWatch | None = None) -> DiagContext:
    registry = Registry()
    holder.subscribe(ReconfigMetrics(registry).observe)
    memory = memory or MemoryWatch(settings.layout, interval=settings.memory_interval,
                                   warn_percent=settings.memory_warn_percent)
    context = DiagContext(settings=settings, holder=holder, envoy_ready=envoy_ready, worker_alive=worker_alive,
                          admin=admin or EnvoyAdmin(settings.compile.admin_port), memory=memory, registry=registry)
    registry.register(StateCollector(state=lambda: holder.current, memory=lambda: memory.latest(max_age=5.0),
                                     envoy_ready=envoy_ready, info=default_info(settings),
                                     log_level=DiagContext.log_level))
    return context
