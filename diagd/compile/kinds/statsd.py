"""What the statsd settings say about themselves, shown in diag: ``STATSD_HOST`` that did not resolve means no
sink (an error), so the operator sees why no statistics arrive."""

from __future__ import annotations

from diagd.compile.model.problems import Diagnostics
from diagd.compile.model.settings import StatsdSettings

__all__ = ["report_statsd_problems"]


def report_statsd_problems(statsd: StatsdSettings | None, diag: Diagnostics) -> None:
    if statsd is not None and statsd.address is None:
        diag.error(None, "StatsdHostUnresolved", f"STATSD_ENABLED is set but STATSD_HOST {statsd.host!r} does not "
                   "resolve to an address; Envoy has no statsd sink")
