"""Envoy's request-matching rules, evaluated in Python over Envoy v3 JSON, each answering "why (not)?".

Used by ``explain``: a route, a header matcher or a virtual-host domain is checked against one request and the
answer carries a sentence a person can read. The rules follow Envoy's documented semantics: path matchers
(``prefix``, ``path``, ``safe_regex``, ``path_separated_prefix``; ``case_sensitive``), ``HeaderMatcher``
(``string_match``, ``present_match``, ``invert_match``), ``QueryParameterMatcher``, ``runtime_fraction``, and the
virtual-host domain order (exact, then the longest ``*`` suffix, then the longest ``*`` prefix, then ``*``). RE2
patterns are evaluated with Python's ``re``, which agrees with RE2 on the patterns RE2 accepts.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "Check", "match_string", "match_header", "match_query", "match_path", "runtime_share", "pick_domain",
    "normalize_path", "split_path", "parse_query",
]


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    why: str


def _regex_fullmatch(pattern: str, value: str, *, ignore_case: bool = False) -> bool | None:
    try:
        return re.fullmatch(pattern, value, re.IGNORECASE if ignore_case else 0) is not None
    except re.error:
        return None


def _describe_matcher(matcher: Mapping[str, Any]) -> str:
    for kind in ("exact", "prefix", "suffix", "contains"):
        if kind in matcher:
            return f"{kind} {matcher[kind]!r}" + (" (any case)" if matcher.get("ignore_case") else "")
    if "safe_regex" in matcher:
        return f"regex {matcher['safe_regex'].get('regex', '')!r}"
    return repr(dict(matcher))


def match_string(matcher: Mapping[str, Any], value: str) -> bool | None:
    """An Envoy ``StringMatcher``; ``None`` when it cannot be evaluated here."""
    ignore = bool(matcher.get("ignore_case"))
    probe = value.lower() if ignore else value
    for kind, test in (("exact", str.__eq__), ("prefix", str.startswith), ("suffix", str.endswith),
                       ("contains", str.__contains__)):
        if kind in matcher:
            target = str(matcher[kind])
            return bool(test(probe, target.lower() if ignore else target))
    if "safe_regex" in matcher:
        return _regex_fullmatch(str(matcher["safe_regex"].get("regex", "")), value)
    return None


def _legacy_string_match(matcher: Mapping[str, Any]) -> dict[str, Any] | None:
    """Pre-``string_match`` header fields (``exact_match``, ``safe_regex_match``, …) as a ``StringMatcher``."""
    for old, new in (("exact_match", "exact"), ("prefix_match", "prefix"), ("suffix_match", "suffix"),
                     ("contains_match", "contains")):
        if old in matcher:
            return {new: matcher[old]}
    if "safe_regex_match" in matcher:
        return {"safe_regex": matcher["safe_regex_match"]}
    return None


def match_header(matcher: Mapping[str, Any], headers: Mapping[str, str]) -> Check:
    """An Envoy ``HeaderMatcher`` against request headers (names lower-case, pseudo-headers included)."""
    name = str(matcher.get("name", "")).lower()
    value = headers.get(name)
    invert = bool(matcher.get("invert_match"))
    if "present_match" in matcher:
        want = bool(matcher["present_match"])
        ok = (value is not None) == want
        seen = "present" if value is not None else "absent"
        why = f"header {name} must be {'present' if want else 'absent'}; it is {seen}"
    else:
        string = matcher.get("string_match") or _legacy_string_match(matcher)
        if string is None:
            return Check(False, f"header {name}: a matcher this page cannot evaluate ({dict(matcher)})")
        if value is None and not matcher.get("treat_missing_header_as_empty"):
            return Check(invert, f"header {name} must match {_describe_matcher(string)}; the request has none")
        result = match_string(string, value or "")
        if result is None:
            return Check(False, f"header {name}: pattern {_describe_matcher(string)} is not understood here")
        ok = result
        why = f"header {name} must match {_describe_matcher(string)}; it is {value!r}"
    if invert:
        return Check(not ok, f"NOT ({why})")
    return Check(ok, why)


def match_query(matcher: Mapping[str, Any], query: Sequence[tuple[str, str]]) -> Check:
    """An Envoy ``QueryParameterMatcher``; the first parameter of that name counts."""
    name = str(matcher.get("name", ""))
    values = [v for k, v in query if k == name]
    if matcher.get("present_match"):
        return Check(bool(values), f"query parameter {name} must be present; it is {'present' if values else 'absent'}")
    string = matcher.get("string_match")
    if string is None:
        return Check(bool(values), f"query parameter {name} must be present")
    if not values:
        return Check(False, f"query parameter {name} must match {_describe_matcher(string)}; the request has none")
    result = match_string(string, values[0])
    return Check(bool(result), f"query parameter {name} must match {_describe_matcher(string)}; it is {values[0]!r}")


def split_path(path: str) -> tuple[str, str]:
    """``/a/b?x=1`` → (``/a/b``, ``x=1``)."""
    base, _, query = path.partition("?")
    return base, query


def parse_query(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def normalize_path(path: str, *, normalize: bool, merge_slashes: bool) -> str:
    """What Envoy matches on: RFC 3986 dot-segment removal (``normalize_path``) and ``merge_slashes``."""
    base, query = split_path(path)
    if not base.startswith("/"):
        base = "/" + base
    if merge_slashes:
        base = re.sub(r"/{2,}", "/", base)
    if normalize and ("/." in base):
        trailing = base.endswith(("/", "/.", "/.."))
        base = posixpath.normpath(base)
        base = "/" + base.lstrip("/")
        if trailing and not base.endswith("/"):
            base += "/"
    return base + (f"?{query}" if query else "")


def match_path(match: Mapping[str, Any], path: str) -> Check:
    """The path part of an Envoy ``RouteMatch``. Prefix matching sees the query too, as Envoy's does."""
    base, _ = split_path(path)
    sensitive = match.get("case_sensitive", True) is not False
    fold = (lambda s: s) if sensitive else str.lower
    if "prefix" in match:
        prefix = str(match["prefix"])
        ok = fold(path).startswith(fold(prefix))
        return Check(ok, f"path must start with {prefix!r}{'' if sensitive else ' (any case)'}; it is {base!r}")
    if "path" in match:
        want = str(match["path"])
        return Check(fold(base) == fold(want), f"path must be exactly {want!r}; it is {base!r}")
    if "path_separated_prefix" in match:
        prefix = str(match["path_separated_prefix"])
        ok = fold(base) == fold(prefix) or fold(base).startswith(fold(prefix) + "/")
        return Check(ok, f"path must be {prefix!r} or start with {prefix + '/'!r}; it is {base!r}")
    if "safe_regex" in match:
        pattern = str(match["safe_regex"].get("regex", ""))
        result = _regex_fullmatch(pattern, base)
        if result is None:
            return Check(False, f"path regex {pattern!r} is not understood here")
        return Check(result, f"path must match regex {pattern!r}; it is {base!r}")
    return Check(False, f"a path matcher this page cannot evaluate ({sorted(match)})")


def runtime_share(match: Mapping[str, Any]) -> int | None:
    """A route's ``runtime_fraction`` as a percentage, or None when it has none."""
    fraction = match.get("runtime_fraction")
    if not fraction:
        return None
    default = fraction.get("default_value", {})
    numerator = int(default.get("numerator", 0))
    denominator = {"HUNDRED": 100, "TEN_THOUSAND": 10_000, "MILLION": 1_000_000}.get(
        str(default.get("denominator", "HUNDRED")), 100)
    return min(100, round(100 * numerator / denominator))


def _domain_rank(domain: str, host: str) -> tuple[int, int] | None:
    """(tier, length) when ``domain`` matches ``host``: tier 0 exact, 1 suffix, 2 prefix, 3 ``*``."""
    domain = domain.lower()
    if domain == "*":
        return (3, 0)
    if domain.startswith("*"):
        part = domain[1:]
        return (1, -len(part)) if host.endswith(part) and len(host) > len(part) else None
    if domain.endswith("*"):
        part = domain[:-1]
        return (2, -len(part)) if host.startswith(part) and len(host) > len(part) else None
    return (0, 0) if host == domain else None


def pick_domain(vhosts: Sequence[Mapping[str, Any]], host: str) -> tuple[int | None, str | None, str]:
    """Which virtual host Envoy picks for ``host``: (index, the domain that matched, why)."""
    host = host.lower()
    best: tuple[tuple[int, int], int, str] | None = None
    for index, vhost in enumerate(vhosts):
        for domain in vhost.get("domains", ()):
            rank = _domain_rank(str(domain), host)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, index, str(domain))
    if best is None:
        return None, None, f"no virtual host has a domain matching {host!r}: Envoy answers 404"
    tier = ("an exact match", "the longest matching suffix wildcard", "the longest matching prefix wildcard",
            "the catch-all '*'")[best[0][0]]
    return best[1], best[2], f"host {host!r} matches domain {best[2]!r}, {tier}"
