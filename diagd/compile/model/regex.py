"""A cheap check that a pattern is usable as an RE2 regex (Envoy's ``safe_regex``), so that a bad pattern is a
per-resource error instead of a rejected Envoy configuration.

Python's ``re`` is not RE2: RE2 has no lookaround or backreferences (rejected here), and Python lacks some RE2
syntax such as ``\\pL`` (not held against a pattern)."""

from __future__ import annotations

import functools
import re
import warnings

__all__ = ["re2_problem", "header_name_problem"]

_UNSUPPORTED = re.compile(r"\(\?<?[=!]|(?<!\\)(?:\\\\)*\\[1-9]")
_HEADER_NAME = re.compile(r"^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def re2_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be an RE2 regex, or None if it looks fine."""
    if _UNSUPPORTED.search(pattern):
        return "uses lookaround or a backreference, which RE2 does not support"
    if "\\p" in pattern or "\\P" in pattern:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return None


@functools.lru_cache(maxsize=4096)
def header_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an HTTP header name (pseudo-headers such as ``:authority`` allowed), or None."""
    return None if _HEADER_NAME.match(name) else "is not a valid HTTP header name"
