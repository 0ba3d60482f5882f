"""The Module keys that add HTTP filters (SPEC §4.6): ``gzip``, ``buffer``, ``lua_scripts``, ``enable_grpc_web``,
``enable_grpc_http11_bridge``, ``grpc_stats``, ``ip_allow`` / ``ip_deny``. A bad value is an ``InvalidField`` error
on the Module naming the field."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from diagd.compile.ir.module_filters import GrpcStats, Gzip, IpPolicy, IpRule, ModuleFilters
from diagd.compile.kinds.fields import Fields

__all__ = ["KEYS", "parse"]

T = TypeVar("T")

KEYS = frozenset({"gzip", "buffer", "lua_scripts", "enable_grpc_web", "enable_grpc_http11_bridge", "grpc_stats",
                  "ip_allow", "ip_deny"})

_LEVELS = {"BEST": "BEST_COMPRESSION", "SPEED": "BEST_SPEED", "DEFAULT": "DEFAULT_COMPRESSION",
           **{f"COMPRESSION_LEVEL_{n}": f"COMPRESSION_LEVEL_{n}" for n in range(1, 10)},
           **{v: v for v in ("BEST_COMPRESSION", "BEST_SPEED", "DEFAULT_COMPRESSION")}}
_STRATEGIES = {"DEFAULT": "DEFAULT_STRATEGY", "HUFFMAN": "HUFFMAN_ONLY",
               **{v: v for v in ("DEFAULT_STRATEGY", "FILTERED", "HUFFMAN_ONLY", "RLE", "FIXED")}}


def _choice(fields: Fields, key: str, choices: Mapping[str, str]) -> str | None:
    raw = fields.string(key)
    if raw is None:
        return None
    if raw.upper() not in choices:
        fields.invalid(key, f"must be one of {', '.join(sorted(choices))}, not {raw!r}")
        return None
    return choices[raw.upper()]


def _nested(fields: Fields, key: str, parse: Callable[[Fields], T | None]) -> T | None:
    """``parse`` the object under ``key`` (None when absent); its errors count as the Module's."""
    sub = fields.nested(key)
    if sub is None:
        return None
    value = parse(sub)
    fields.ok = fields.ok and sub.ok
    return value


def _gzip(sub: Fields) -> Gzip | None:
    if not sub.boolean("enabled", True):
        return None
    return Gzip(
        memory_level=sub.integer("memory_level", minimum=1, maximum=9),
        min_content_length=sub.integer("min_content_length", minimum=0),
        compression_level=_choice(sub, "compression_level", _LEVELS),
        compression_strategy=_choice(sub, "compression_strategy", _STRATEGIES),
        window_bits=sub.integer("window_bits", minimum=9, maximum=15),
        content_types=sub.string_list("content_type", allow_scalar=True),
        disable_on_etag_header=sub.boolean("disable_on_etag_header"),
        remove_accept_encoding_header=sub.boolean("remove_accept_encoding_header"),
    )


def _buffer(sub: Fields) -> int | None:
    size = sub.integer("max_request_bytes", minimum=1)
    if size is None and "max_request_bytes" not in sub.spec:
        sub.invalid("max_request_bytes", "is required")
    return size


def _grpc_stats(sub: Fields) -> GrpcStats:
    services: list[tuple[str, tuple[str, ...]]] = []
    raw_services = sub.spec.get("services") or []
    if not isinstance(raw_services, list):
        sub.invalid("services", "must be a list of {name, method_names}")
        raw_services = []
    for index, raw in enumerate(raw_services):
        entry = sub.part(f"{sub.prefix}services[{index}].", raw) if isinstance(raw, Mapping) else None
        name = entry.string("name") if entry else None
        if entry is None or not name:
            sub.invalid(f"services[{index}]", "must be an object with a name")
            continue
        services.append((name, entry.string_list("method_names")))
        sub.ok = sub.ok and entry.ok
    return GrpcStats(upstream_stats=sub.boolean("upstream_stats"), all_methods=sub.boolean("all_methods"),
                     services=tuple(services))


def _ip_rule(fields: Fields, key: str, index: int, raw: Any) -> IpRule | None:
    where = f"{key}[{index}]"
    if not isinstance(raw, Mapping) or len(raw) != 1 or next(iter(raw)) not in ("peer", "remote"):
        fields.invalid(where, "must be an object with exactly one of 'peer' or 'remote'")
        return None
    source, value = next(iter(raw.items()))
    try:
        network = ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        fields.invalid(f"{where}.{source}", f"{value!r} is not an IP address or CIDR range")
        return None
    return IpRule(source, str(network.network_address), network.prefixlen)


def _ip_policy(fields: Fields) -> IpPolicy | None:
    present = [k for k in ("ip_allow", "ip_deny") if fields.spec.get(k) is not None]
    if len(present) == 2:
        fields.invalid("ip_allow", "ip_allow and ip_deny cannot both be set")
        return None
    if not present:
        return None
    key = present[0]
    raw = fields.spec[key]
    if not isinstance(raw, list) or not raw:
        fields.invalid(key, "must be a non-empty list of {peer: CIDR} or {remote: CIDR}")
        return None
    rules = [_ip_rule(fields, key, i, entry) for i, entry in enumerate(raw)]
    if any(rule is None for rule in rules):
        return None
    return IpPolicy("ALLOW" if key == "ip_allow" else "DENY", tuple(r for r in rules if r is not None))


def parse(fields: Fields) -> ModuleFilters:
    """The Module's filter options; fields left out keep their filter off."""
    lua = fields.string("lua_scripts")
    return ModuleFilters(
        gzip=_nested(fields, "gzip", _gzip), buffer_max_request_bytes=_nested(fields, "buffer", _buffer),
        lua_source=lua or None,
        grpc_web=fields.boolean("enable_grpc_web"), grpc_http1_bridge=fields.boolean("enable_grpc_http11_bridge"),
        grpc_stats=_nested(fields, "grpc_stats", _grpc_stats), ip_policy=_ip_policy(fields),
    )
