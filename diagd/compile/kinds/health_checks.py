"""A Mapping's ``health_checks`` (SPEC §4.1): active health checks for its EDS cluster.

Each check: ``timeout`` (default 3s), ``interval`` (5s), ``healthy_threshold`` (1), ``unhealthy_threshold`` (2), and
``health_check`` holding exactly one of ``http: {path, hostname, add_request_headers, remove_request_headers,
expected_statuses: [{min, max}]}`` and ``grpc: {upstream_name, authority}``. A wrong check gets an
``InvalidField`` error naming the field and is dropped; the Mapping still routes, with its other checks. Only the
first valid check is used: Envoy 1.40 needs a ``name`` on each of several checks of a cluster, a field the xDS
protos ambex parses with do not have, so later valid checks get an error and are dropped. Whether the checks apply
at all (EDS clusters only) is decided where resolvers are applied (``kinds/resolvers.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagd.compile.ir.health import GrpcHealthCheck, HealthCheck, HttpHealthCheck, StatusRange
from diagd.compile.kinds import policies
from diagd.compile.kinds.fields import Fields, type_name
from diagd.compile.model.regex import header_name_problem

__all__ = ["health_checks"]

_DROPPED = "; this health check is ignored"
_CHECK_KEYS = frozenset({"timeout", "interval", "healthy_threshold", "unhealthy_threshold", "health_check"})
_HTTP_KEYS = frozenset({"path", "hostname", "add_request_headers", "remove_request_headers", "expected_statuses"})
_GRPC_KEYS = frozenset({"upstream_name", "authority"})
_UINT32_MAX = 2**32 - 1
_UNSAFE = "\x00\r\n"  # Envoy rejects these in paths, hosts and header values


def health_checks(fields: Fields, *, http2: bool) -> tuple[HealthCheck, ...]:
    """The valid checks of ``health_checks`` (or ``v3health_checks``, its name in a v2 Mapping)."""
    key = "health_checks" if "health_checks" in fields.spec else "v3health_checks"
    raw = fields.spec.get(key)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        fields.part("", fields.spec, outcome="; the Mapping has no health checks").invalid(
            key, f"must be a list of objects, not {type_name(raw)}")
        return ()
    used: tuple[str, HealthCheck] | None = None
    for index, item in enumerate(raw):
        where = f"{key}[{index}]"
        if not isinstance(item, Mapping):
            fields.part("", fields.spec, outcome=_DROPPED).invalid(where, f"must be an object, not {type_name(item)}")
            continue
        check = _check(fields.part(f"{where}.", item, outcome=_DROPPED), http2=http2)
        if check is not None and used is not None:
            fields.diag.error(fields.ref, "OneHealthCheckOnly", f"{where}: only one health check per Mapping is "
                              f"supported and {used[0]} is the one used{_DROPPED}")
        elif check is not None:
            used = (where, check)
    return () if used is None else (used[1],)


def _check(part: Fields, *, http2: bool) -> HealthCheck | None:
    timeout = _duration(part, "timeout", 3000)
    interval = _duration(part, "interval", 5000)
    healthy = part.integer("healthy_threshold", 1, minimum=0, maximum=_UINT32_MAX)
    unhealthy = part.integer("unhealthy_threshold", 2, minimum=0, maximum=_UINT32_MAX)
    part.notice_unknown(_CHECK_KEYS)
    probe = _probe(part, http2=http2)
    if not part.ok or probe is None or healthy is None or unhealthy is None:
        return None
    return HealthCheck(timeout_ms=timeout, interval_ms=interval, healthy_threshold=healthy,
                       unhealthy_threshold=unhealthy, http=probe if isinstance(probe, HttpHealthCheck) else None,
                       grpc=probe if isinstance(probe, GrpcHealthCheck) else None)


def _duration(part: Fields, key: str, default: int) -> int:
    value = part.spec.get(key)
    if value is None:
        return default
    ms = policies.duration_ms(value)
    if ms is None or ms <= 0:
        part.invalid(key, f"must be a duration of at least 1ms such as '5s' or '100ms', not {value!r}")
        return default
    return ms


def _probe(part: Fields, *, http2: bool) -> HttpHealthCheck | GrpcHealthCheck | None:
    inner = part.nested("health_check")
    if inner is None:
        if "health_check" not in part.spec:
            part.invalid("health_check", "is required, with either http or grpc")
        return None
    kinds = [k for k in ("http", "grpc") if inner.spec.get(k) is not None]
    if len(kinds) != 1:
        part.invalid("health_check", "must have exactly one of http and grpc" + (", not both" if kinds else ""))
        return None
    inner.notice_unknown(frozenset({"http", "grpc"}))
    probe_fields = inner.nested(kinds[0])
    if probe_fields is None:
        part.ok = False
        return None
    if kinds[0] == "grpc" and not http2:
        part.invalid("health_check.grpc", "needs grpc: true on the Mapping, since gRPC health checks speak HTTP/2")
        return None
    probe = _http(probe_fields) if kinds[0] == "http" else _grpc(probe_fields)
    part.ok = part.ok and probe is not None
    return probe


def _http(part: Fields) -> HttpHealthCheck | None:
    path = part.string("path")
    if not path and part.ok:
        part.invalid("path", "is required and must not be empty")
    host = part.string("hostname")
    add = policies.headers_to_add(part, "add_request_headers") or ()
    remove = policies.header_names(part, "remove_request_headers") or ()
    statuses = _statuses(part)
    _safe_values(part, {"path": path, "hostname": host, **{f"add_request_headers.{h.name}": h.value for h in add}})
    _safe_names(part, [("add_request_headers", h.name) for h in add] + [("remove_request_headers", n) for n in remove])
    part.notice_unknown(_HTTP_KEYS)
    if not part.ok or not path:
        return None
    return HttpHealthCheck(path=path, host=host, add_request_headers=add, remove_request_headers=remove,
                           expected_statuses=statuses)


def _statuses(part: Fields) -> tuple[StatusRange, ...]:
    raw = part.spec.get("expected_statuses")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        part.invalid("expected_statuses", f"must be a list of {{min, max}}, not {type_name(raw)}")
        return ()
    out = []
    for index, item in enumerate(raw):
        statuses = _status_range(item)
        if statuses is None:
            part.invalid(f"expected_statuses[{index}]", "must be {min, max} with 100 <= min <= max <= 599, "
                         f"not {item!r}")
            continue
        out.append(statuses)
    return tuple(out)


def _status_range(item: Any) -> StatusRange | None:
    if not isinstance(item, Mapping):
        return None
    low, high = _status(item.get("min")), _status(item.get("max"))
    return StatusRange(low, high) if low is not None and high is not None and low <= high else None


def _status(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599
    return value if ok else None


def _grpc(part: Fields) -> GrpcHealthCheck | None:
    name = part.string("upstream_name")
    if not name and part.ok:
        part.invalid("upstream_name", "is required and must not be empty")
    authority = part.string("authority")
    _safe_values(part, {"authority": authority})
    part.notice_unknown(_GRPC_KEYS)
    if not part.ok or not name:
        return None
    return GrpcHealthCheck(service_name=name, authority=authority)


def _safe_values(part: Fields, values: Mapping[str, str | None]) -> None:
    """Envoy rejects NUL, CR and LF here, and the whole cluster (with every route to it) with them."""
    for key, value in values.items():
        if value is not None and any(ch in value for ch in _UNSAFE):
            part.invalid(key, "must not contain NUL, CR or LF characters")


def _safe_names(part: Fields, names: list[tuple[str, str]]) -> None:
    for key, name in names:
        problem = header_name_problem(name)
        if problem:
            part.invalid(key, f"{name!r} {problem}")
