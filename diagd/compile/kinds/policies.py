"""Readers for the policy fields Mappings share with the Module's defaults: headers, CORS, retries, circuit
breakers, load balancing, rate-limit labels, keepalive. Each records an ``InvalidField`` error and returns None (or
an empty tuple) when the value is wrong."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from diagd.compile.ir.policies import (
    RETRY_ON, CircuitBreaker, CorsPolicy, HashOn, HeaderToAdd, Keepalive, LabelGroup, LabelSpecifier, LoadBalancer,
    RetryPolicy,
)
from diagd.compile.kinds.fields import Fields, type_name
from diagd.compile.model.regex import header_name_problem

__all__ = [
    "headers_to_add", "header_names", "cors_policy", "retry_policy", "circuit_breakers", "load_balancer",
    "rate_limit_labels", "label_specifier", "keepalive", "duration_ms",
]

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, None: 1000}


def duration_ms(value: Any) -> int | None:
    """``"1.5s"``, ``"250ms"``, ``"2m"`` or a bare number of seconds → milliseconds; None if malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value * 1000) if value >= 0 else None
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    return int(float(match.group(1)) * _UNIT_MS[match.group(2)]) if match else None


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (str, int, float)) else None


def headers_to_add(fields: Fields, key: str) -> tuple[HeaderToAdd, ...] | None:
    """``{name: value}`` (appended) or ``{name: {value, append}}``; None when the field is absent."""
    raw = fields.mapping(key)
    if raw is None:
        return None
    out = []
    for name, value in sorted(raw.items(), key=lambda kv: str(kv[0])):
        append = True
        if isinstance(value, Mapping):
            append = value.get("append", True)
            value = value.get("value")
        text = _scalar(value)
        if text is None or not isinstance(append, bool):
            fields.invalid(f"{key}.{name}", "must be a string or {value: string, append: boolean}")
            continue
        out.append(HeaderToAdd(str(name), text, append))
    return tuple(out)


def header_names(fields: Fields, key: str) -> tuple[str, ...] | None:
    if fields.spec.get(key) is None:
        return None
    return fields.string_list(key, allow_scalar=True)


def _list_or_csv(fields: Fields, raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value)
    fields.invalid(f"{where}.{key}", f"must be a list of strings or a comma-separated string, not {type_name(value)}")
    return ()


def cors_policy(fields: Fields, key: str = "cors") -> CorsPolicy | None:
    raw = fields.mapping(key)
    if raw is None:
        return None
    credentials = raw.get("credentials")
    if credentials is not None and not isinstance(credentials, bool):
        fields.invalid(f"{key}.credentials", "must be a boolean")
    max_age = raw.get("max_age")
    if max_age is not None and _scalar(max_age) is None:
        fields.invalid(f"{key}.max_age", "must be a number of seconds")
    return CorsPolicy(
        origins=_list_or_csv(fields, raw, "origins", key), methods=_list_or_csv(fields, raw, "methods", key),
        headers=_list_or_csv(fields, raw, "headers", key),
        exposed_headers=_list_or_csv(fields, raw, "exposed_headers", key),
        credentials=credentials if isinstance(credentials, bool) else None,
        max_age=_scalar(max_age) if max_age is not None else None,
    )


def retry_policy(fields: Fields, key: str = "retry_policy") -> RetryPolicy | None:
    raw = fields.mapping(key)
    if raw is None:
        return None
    retry_on, retries, per_try = raw.get("retry_on"), raw.get("num_retries"), raw.get("per_try_timeout")
    if retry_on is not None and (not isinstance(retry_on, str)
                                 or any(r.strip() not in RETRY_ON for r in retry_on.split(","))):
        fields.invalid(f"{key}.retry_on", f"must be one of {', '.join(RETRY_ON)}, not {retry_on!r}")
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
        fields.invalid(f"{key}.num_retries", f"must be a whole number, not {retries!r}")
    per_try_ms = duration_ms(per_try) if per_try is not None else None
    if per_try is not None and per_try_ms is None:
        fields.invalid(f"{key}.per_try_timeout", f"must be a duration such as '1.5s', not {per_try!r}")
    return RetryPolicy(retry_on=retry_on if isinstance(retry_on, str) else None,
                       num_retries=retries if isinstance(retries, int) else None, per_try_timeout_ms=per_try_ms)


_BREAKER_KEYS = ("max_connections", "max_pending_requests", "max_requests", "max_retries")


def circuit_breakers(fields: Fields, key: str = "circuit_breakers") -> tuple[CircuitBreaker, ...] | None:
    raw = fields.spec.get(key)
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(b, Mapping) for b in raw):
        fields.invalid(key, f"must be a list of objects, not {type_name(raw)}")
        return None
    out = []
    for index, breaker in enumerate(raw):
        priority = str(breaker.get("priority", "default")).upper()
        counts = {k: breaker.get(k) for k in _BREAKER_KEYS}
        bad = [k for k, v in counts.items() if v is not None and (isinstance(v, bool) or not isinstance(v, int)
                                                                  or v < 0)]
        if priority not in ("DEFAULT", "HIGH") or bad:
            fields.invalid(f"{key}[{index}]", "priority must be default or high and "
                           f"{', '.join(bad) or 'the limits'} must be whole numbers")
            continue
        out.append(CircuitBreaker(priority=priority, **counts))
    return tuple(out)


def load_balancer(fields: Fields, key: str = "load_balancer") -> LoadBalancer | None:
    raw = fields.mapping(key)
    if raw is None:
        return None
    policy = raw.get("policy")
    hashes = [h for h in ("header", "cookie", "source_ip") if raw.get(h) not in (None, False)]
    if policy in ("round_robin", "least_request"):
        if hashes:
            fields.invalid(key, f"policy {policy} takes no {hashes[0]}; only ring_hash and maglev hash requests")
            return None
        return LoadBalancer(policy=policy)
    if policy not in ("ring_hash", "maglev"):
        fields.invalid(f"{key}.policy", f"must be round_robin, least_request, ring_hash or maglev, not {policy!r}")
        return None
    if len(hashes) != 1:
        fields.invalid(key, f"policy {policy} needs exactly one of header, cookie or source_ip")
        return None
    return _hash_balancer(fields, key, policy, hashes[0], raw)


def _hash_balancer(fields: Fields, key: str, policy: str, hash_on: str, raw: Mapping[str, Any]) -> LoadBalancer | None:
    value = raw[hash_on]
    if hash_on == "header":
        if not isinstance(value, str) or not value:
            fields.invalid(f"{key}.header", "must be a header name")
            return None
        return LoadBalancer(policy=policy, hash_on=HashOn.HEADER, header=value)
    if hash_on == "source_ip":
        if value is not True:
            fields.invalid(f"{key}.source_ip", "must be true")
            return None
        return LoadBalancer(policy=policy, hash_on=HashOn.SOURCE_IP)
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
        fields.invalid(f"{key}.cookie", "must be {name, path?, ttl?}")
        return None
    ttl = duration_ms(value["ttl"]) if value.get("ttl") is not None else None
    path = value.get("path")
    return LoadBalancer(policy=policy, hash_on=HashOn.COOKIE, cookie_name=value["name"],
                        cookie_path=path if isinstance(path, str) else None, cookie_ttl_ms=ttl)


def label_specifier(raw: Any) -> LabelSpecifier | None:
    """One rate-limit label specifier (a name, or {kind: settings}); None when it is not understood, or when Envoy
    would reject it (an empty descriptor key or value, an invalid header name) and the whole route table with it."""
    spec = _specifier(raw)
    if spec is None or spec.key == "":
        return None
    if spec.kind == "generic_key" and not spec.value:
        return None
    if spec.kind == "request_headers" and (not spec.header_name or header_name_problem(spec.header_name)):
        return None
    return spec


def _specifier(raw: Any) -> LabelSpecifier | None:
    if isinstance(raw, str):
        if raw in ("source_cluster", "destination_cluster", "remote_address"):
            return LabelSpecifier(kind=raw)
        return LabelSpecifier(kind="generic_key", value=raw)
    if not isinstance(raw, Mapping) or len(raw) != 1:
        return None
    (kind, body), = raw.items()
    if kind == "generic_key" and isinstance(body, Mapping) and isinstance(body.get("value"), str):
        key = body.get("key")
        return LabelSpecifier(kind=kind, key=key if isinstance(key, str) else None, value=body["value"])
    if kind == "request_headers" and isinstance(body, Mapping) and isinstance(body.get("header_name"), str):
        omit = body.get("omit_if_not_present")
        return LabelSpecifier(kind=kind, key=str(body.get("key", body["header_name"])),
                              header_name=body["header_name"], omit_if_not_present=omit if isinstance(omit, bool)
                              else None)
    if isinstance(body, Mapping) and kind in ("source_cluster", "destination_cluster", "remote_address"):
        return LabelSpecifier(kind=kind)
    if isinstance(body, str):  # {key: header-name}: a request header under that descriptor key (Emissary v2 form)
        return LabelSpecifier(kind="request_headers", key=str(kind), header_name=body)
    return None


def rate_limit_labels(fields: Fields, key: str = "labels") -> tuple[LabelGroup, ...]:
    """``{domain: [{group: [specifier, ...]}, ...]}`` → label groups, kept for the RateLimitService."""
    raw = fields.mapping(key)
    groups: list[LabelGroup] = []
    for domain, entries in sorted((raw or {}).items(), key=lambda kv: str(kv[0])):
        if not isinstance(entries, list):
            fields.invalid(f"{key}.{domain}", "must be a list of {group: [specifiers]}")
            continue
        for entry in entries:
            if not isinstance(entry, Mapping) or len(entry) != 1:
                fields.invalid(f"{key}.{domain}", "each entry must be one {group-name: [specifiers]}")
                continue
            (name, specs), = entry.items()
            parsed = [label_specifier(s) for s in specs] if isinstance(specs, list) else [None]
            if any(p is None for p in parsed):
                fields.invalid(f"{key}.{domain}.{name}", "has a specifier that is not understood")
                continue
            groups.append(LabelGroup(str(domain), str(name), tuple(p for p in parsed if p is not None)))
    return tuple(groups)


def keepalive(fields: Fields, key: str = "keepalive") -> Keepalive | None:
    raw = fields.mapping(key)
    if raw is None:
        return None
    values = {k: raw.get(k) for k in ("time", "interval", "probes")}
    if any(v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0) for v in values.values()):
        fields.invalid(key, "time, interval and probes must be whole numbers")
        return None
    return Keepalive(**values)
