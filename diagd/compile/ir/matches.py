"""Request matching values: paths, headers, query parameters, hostname globs."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import Enum

from diagd.compile.model.records import DERIVED, direct_init

__all__ = [
    "PathKind", "PathMatch", "StringMatch", "HeaderMatch", "QueryMatch", "glob_compatible", "glob_matches",
    "authority_for_glob",
]


class PathKind(str, Enum):
    PREFIX = "prefix"
    REGEX = "regex"
    EXACT = "exact"


@direct_init
@dataclass(frozen=True, slots=True)
class PathMatch:
    kind: PathKind
    value: str
    case_sensitive: bool = True


class StringMatch(str, Enum):
    EXACT = "exact"
    REGEX = "regex"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    PRESENT = "present"


@direct_init
@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """A header constraint. ``PRESENT`` ignores ``value``; ``REGEX`` makes it an RE2 pattern.

    ``weight_value`` is what the ordering key counts: for a hostname glob it is the glob as written.
    """

    name: str
    value: str | None
    match: StringMatch = StringMatch.EXACT
    weight_value: str | None = None
    # Computed once (a hostname's constraint is shared by its Mappings; see authority_for_glob): what a Mapping's
    # ordering key and group identity take from this constraint.
    _weight: int = field(init=False, repr=False, compare=False, metadata=DERIVED)
    _key: str = field(init=False, repr=False, compare=False, metadata=DERIVED)
    identity: tuple[str, str, str] = field(init=False, repr=False, compare=False, metadata=DERIVED)
    _hash: int = field(init=False, repr=False, compare=False, metadata=DERIVED)  # rendering caches by constraint

    def __post_init__(self) -> None:
        shown = self.weight_value or self.value
        shown = shown if shown is not None and self.match is not StringMatch.PRESENT else "*"
        object.__setattr__(self, "_weight", len(self.name) + len(shown) + (1 if self.regex else 0))
        object.__setattr__(self, "_key", f"{self.name}-{shown}")
        object.__setattr__(self, "identity", (self.name, self.value or "", self.match.value))
        object.__setattr__(self, "_hash", hash((self.name, self.value, self.match.value, self.weight_value)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def regex(self) -> bool:
        return self.match is StringMatch.REGEX

    def weight(self) -> int:
        """Contribution to the route ordering key: longer and regex constraints sort first."""
        return self._weight

    def key(self) -> str:
        return self._key


@direct_init
@dataclass(frozen=True, slots=True)
class QueryMatch:
    """A query-parameter constraint: ``EXACT``, ``REGEX`` or ``PRESENT``."""

    name: str
    value: str | None
    match: StringMatch = StringMatch.EXACT

    def weight(self) -> int:
        shown = self.value if self.value is not None and self.match is not StringMatch.PRESENT else "*"
        return len(self.name) + len(shown) + (1 if self.match is StringMatch.REGEX else 0)

    def key(self) -> str:
        shown = self.value if self.value is not None and self.match is not StringMatch.PRESENT else "*"
        return f"{self.name}-{shown}"


def _split_glob(glob: str) -> tuple[str, str]:
    """("suffix", ".example.com") for ``*.example.com``; ("prefix", "foo.") for ``foo.*``; else ("exact", glob)."""
    if glob.startswith("*"):
        return "suffix", glob[1:]
    if glob.endswith("*"):
        return "prefix", glob[:-1]
    return "exact", glob


@functools.lru_cache(maxsize=4096)
def authority_for_glob(glob: str) -> HeaderMatch | None:
    """The ``:authority`` constraint a hostname glob puts on a route; None for ``*``. (The Mappings of one hostname
    share one constraint.)"""
    if glob == "*":
        return None
    kind, part = _split_glob(glob)
    match = {"suffix": StringMatch.SUFFIX, "prefix": StringMatch.PREFIX}.get(kind, StringMatch.EXACT)
    return HeaderMatch(":authority", part, match, weight_value=glob)


def glob_matches(glob: str, hostname: str) -> bool:
    """Does a DNS glob match a concrete hostname?"""
    if glob == "*":
        return True
    kind, part = _split_glob(glob.lower())
    name = hostname.lower()
    if kind == "suffix":
        return name.endswith(part)
    if kind == "prefix":
        return name.startswith(part)
    return name == part


@functools.lru_cache(maxsize=65536)
def glob_compatible(a: str, b: str) -> bool:
    """Could some hostname match both globs? (equal, either is ``*``, one matches the other, overlapping wildcards)"""
    if a == "*" or b == "*" or a.lower() == b.lower():
        return True
    ka, pa = _split_glob(a.lower())
    kb, pb = _split_glob(b.lower())
    if ka == "exact":
        return glob_matches(b, a)
    if kb == "exact":
        return glob_matches(a, b)
    if ka == kb == "suffix":
        return pa.endswith(pb) or pb.endswith(pa)
    if ka == kb == "prefix":
        return pa.startswith(pb) or pb.startswith(pa)
    return True  # a prefix glob and a suffix glob always share some hostname
