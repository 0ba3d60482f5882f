"""Typed access to a resource's fields. A wrong type becomes an ``InvalidField`` error on that resource.

Every kind reads its spec through ``Fields`` so that errors read the same everywhere and unknown or unsupported
fields are reported consistently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from diagd.compile.model.problems import Diagnostics, ResourceRef

__all__ = ["Fields", "type_name"]


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


class Fields:
    """Reads ``spec`` for one resource; ``ok`` turns False after the first invalid field."""

    def __init__(self, spec: Mapping[str, Any], ref: ResourceRef, diag: Diagnostics, *, prefix: str = "",
                 outcome: str = "") -> None:
        self.spec = spec
        self.ref = ref
        self.diag = diag
        self.ok = True
        self.prefix = prefix  # names the nested object that ``spec`` is, e.g. ``health_checks[0].``
        self.outcome = outcome  # appended to every error, e.g. what is dropped

    def part(self, prefix: str, spec: Mapping[str, Any], *, outcome: str = "") -> Fields:
        """A reader for a nested object: its errors name the field under ``prefix``, end with ``outcome``, and turn
        only its own ``ok`` False."""
        return Fields(spec, self.ref, self.diag, prefix=prefix, outcome=outcome)

    def nested(self, key: str) -> "Fields | None":
        """The object under ``key`` read with the same rules and outcome (None when absent or not an object; not
        an object is an error here)."""
        raw = self.mapping(key)
        return None if raw is None else self.part(f"{self.prefix}{key}.", raw, outcome=self.outcome)

    def invalid(self, key: str, message: str) -> None:
        self.ok = False
        self.diag.error(self.ref, "InvalidField", f"{self.prefix}{key}: {message}{self.outcome}")

    def _typed(self, key: str, expected: str, value: Any) -> None:
        self.invalid(key, f"must be a {expected}, not {type_name(value)} ({_short(value)})")

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.spec.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            self._typed(key, "string", value)
            return default
        return value

    def integer(self, key: str, default: int | None = None, *, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self.spec.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self._typed(key, "whole number", value)
            return default
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self.invalid(key, f"must be {bounds}, not {value}")
            return default
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.spec.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self._typed(key, "boolean", value)
            return default
        return value

    def mapping(self, key: str) -> Mapping[str, Any] | None:
        value = self.spec.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self._typed(key, "object", value)
            return None
        return value

    def string_map(self, key: str) -> dict[str, str] | None:
        """An object whose values are all strings (labels, simple header maps)."""
        raw = self.mapping(key)
        if raw is None:
            return None
        bad = [k for k, v in raw.items() if not isinstance(v, str) or not isinstance(k, str)]
        if bad:
            self.invalid(key, f"values must be strings (see {', '.join(sorted(map(str, bad)))})")
            return None
        return dict(raw)

    def string_list(self, key: str, *, allow_scalar: bool = False) -> tuple[str, ...]:
        value = self.spec.get(key)
        if value is None:
            return ()
        if allow_scalar and isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._typed(key, "list of strings", value)
            return ()
        return tuple(value)

    def notice_unsupported(self, keys: Iterable[str], why: str) -> None:
        for key in sorted(k for k in keys if k in self.spec):
            self.diag.notice(self.ref, "UnsupportedField", f"{key} is not supported ({why}); it is ignored")

    def notice_unknown(self, known: frozenset[str]) -> None:
        for key in sorted(str(k) for k in self.spec if k not in known):
            self.diag.notice(self.ref, "UnknownField", f"{self.prefix}{key} is not a field of {self.ref.kind}; "
                             "it is ignored")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
