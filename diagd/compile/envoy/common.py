"""Small Envoy v3 building blocks shared by the renderers."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from diagd.compile.ir.policies import HeaderToAdd

__all__ = ["duration", "typed", "socket_address", "string_match", "headers_to_add", "TYPE"]

TYPE = "type.googleapis.com/"


@functools.lru_cache(maxsize=1024)
def duration(ms: int) -> str:
    """Envoy's JSON Duration: ``3000`` → ``"3s"``, ``1500`` → ``"1.500s"``."""
    seconds, rest = divmod(ms, 1000)
    return f"{seconds}s" if rest == 0 else f"{seconds}.{rest:03d}s"


def typed(type_name: str, **fields: Any) -> dict[str, Any]:
    return {"@type": TYPE + type_name, **fields}


def socket_address(address: str, port: int) -> dict[str, Any]:
    return {"socket_address": {"address": address, "port_value": port}}


def string_match(kind: str, value: str | None, *, ignore_case: bool = False) -> dict[str, Any]:
    """An Envoy StringMatcher: exact, prefix, suffix or (RE2) regex."""
    matcher: dict[str, Any] = {"safe_regex": {"regex": value}} if kind == "regex" else {kind: value}
    if ignore_case and kind != "regex":
        matcher["ignore_case"] = True
    return matcher


def headers_to_add(headers: Iterable[HeaderToAdd]) -> list[dict[str, Any]]:
    """Envoy HeaderValueOptions: ``append`` adds a value, otherwise the header is replaced."""
    return [{"header": {"key": h.name, "value": h.value},
             "append_action": "APPEND_IF_EXISTS_OR_ADD" if h.append else "OVERWRITE_IF_EXISTS_OR_ADD"}
            for h in headers]
