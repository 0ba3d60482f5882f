"""What watt says about its sources, shown in diag: a kind whose CRD is absent (a notice), a kind watt may not
list or watch (an error, with the API server's message). watt puts these in the snapshot header."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagd.compile.model.problems import Diagnostics

__all__ = ["report_source_problems"]


def report_source_problems(meta: Mapping[str, Any], diag: Diagnostics) -> None:
    source = meta.get("source")
    problems = source.get("problems") if isinstance(source, Mapping) else None
    for problem in problems if isinstance(problems, list) else ():
        if not isinstance(problem, Mapping):
            continue
        reason, message = str(problem.get("reason") or "SourceProblem"), str(problem.get("message") or "")
        if problem.get("severity") == "error":
            diag.error(None, reason, message)
        else:
            diag.notice(None, reason, message)
