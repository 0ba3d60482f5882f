"""The targets emissary-py holds itself to, checked against one run's results."""

from __future__ import annotations

from typing import Any

__all__ = ["evaluate"]


def _by_size(rows: list[dict[str, Any]], size: int) -> dict[str, Any] | None:
    return next((r for r in rows if r["size"] == size), None)


def _get(row: dict[str, Any] | None, *path: str) -> float | None:
    """``row[path[0]][path[1]]…``, or None when the run did not measure it."""
    value: Any = row
    for key in path:
        if value is None:
            return None
        value = value.get(key)
    return None if value is None else float(value)


def evaluate(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each target; ``met`` is None when the run did not measure it."""
    out: list[tuple[str, str, bool | None]] = []

    def check(name: str, value: float | None, limit: float, unit: str, *, at_least: bool = False) -> None:
        if value is None:
            out.append((name, "not measured", None))
            return
        met = value >= limit if at_least else value <= limit
        out.append((name, f"{value:.3g} {unit}", met))

    comp10k = _by_size(results.get("compile", []), 10000)
    check("full compile ≤ 0.5 s CPU at 10,000 Mappings", _get(comp10k, "full_compile_s"), 0.5, "s")
    one_change = _get(comp10k, "one_change_compile_s")
    check("one change ≤ 20 ms compile CPU at 10,000", None if one_change is None else one_change * 1000, 20, "ms")
    for size, limit in ((1000, 100), (10000, 400)):
        row = _by_size(results.get("gateways", []), size)
        check(f"change → live p50 ≤ {limit} ms at {size:,}", _get(row, "latency", "p50_ms"), limit, "ms")
    for size, limit in ((1000, 120), (10000, 300)):
        row = _by_size(results.get("gateways", []), size)
        check(f"control-plane RSS ≤ {limit} MiB at {size:,} (sum of peak RSS)",
              _get(row, "memory", "control_plane_peak_mib"), limit, "MiB")
        check(f"control-plane memory ≤ {limit} MiB at {size:,} (sum of PSS, shared pages counted once)",
              _get(row, "memory", "control_plane_pss_total_mib"), limit, "MiB")
    growth = _get(results, "growth", "control_plane_growth")
    check("< 5 % control-plane growth over 1,000 reconfigs", None if growth is None else growth * 100, 5, "%")
    zero = results.get("zero_drop")
    check("0 failed requests during 100 reconfigs", _get(zero, "failed"), 0, "failed")
    held, survived = _get(zero, "websockets", "held"), _get(zero, "websockets", "survived")
    check("held WebSockets all survive the reconfigs", None if held is None or survived is None else held - survived,
          0, "lost")
    dp = results.get("dataplane")
    check("data plane ≥ 0.97 × minimal config (requests/s)", _get(dp, "rps_ratio"), 0.97, "×", at_least=True)
    return out
