"""The compiler: ``compile(snapshot, settings) -> CompileResult``. Pure; no I/O, environment or clock.

Layout: ``model`` (inputs, problems, settings, value types) ← ``ir`` (typed meaning) ← ``kinds`` (one module per
resource kind: resource → IR) and ``envoy`` (IR → Envoy v3 dicts) ← ``pipeline`` (the steps, in order).
"""

from diagd.compile.memo import CompileMemo
from diagd.compile.pipeline import CompileResult, compile, refresh_endpoints

__all__ = ["compile", "refresh_endpoints", "CompileResult", "CompileMemo"]
