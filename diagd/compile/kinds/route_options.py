"""What a Mapping does with a matched request besides choosing its upstream: rewrites, added and removed headers,
CORS, retries, upgrades, redirects. Module defaults fill what the Mapping leaves out; an explicit empty value
(``{}`` or ``[]``) switches a default off."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagd.compile.ir.module import MappingDefaults
from diagd.compile.ir.policies import REDIRECT_CODES, CorsPolicy, HeaderToAdd, Redirect, RetryPolicy
from diagd.compile.kinds import policies
from diagd.compile.kinds.fields import Fields
from diagd.compile.model.records import direct_init

__all__ = ["RouteOptions", "route_options", "defaults_only", "redirect_for"]


@direct_init
@dataclass(frozen=True, slots=True, kw_only=True)
class RouteOptions:
    add_request_headers: tuple[HeaderToAdd, ...]
    add_response_headers: tuple[HeaderToAdd, ...]
    remove_request_headers: tuple[str, ...]
    remove_response_headers: tuple[str, ...]
    cors: CorsPolicy | None
    retry_policy: RetryPolicy | None
    upgrades: tuple[str, ...]


def _or_default(value: Any, default: Any) -> Any:
    if value is not None:
        return value
    return default if default is not None else ()


_NO_CORS, _NO_RETRY = CorsPolicy(), RetryPolicy()
_ROUTE_KEYS = frozenset({"add_request_headers", "add_response_headers", "remove_request_headers",
                         "remove_response_headers", "cors", "retry_policy", "allow_upgrade", "use_websocket",
                         "add_linkerd_headers"})


def _cors(fields: Fields, default: CorsPolicy | None) -> CorsPolicy | None:
    policy = policies.cors_policy(fields) if "cors" in fields.spec else default
    return policy if policy is not None and policy != _NO_CORS else None


def _retry(fields: Fields, default: RetryPolicy | None) -> RetryPolicy | None:
    policy = policies.retry_policy(fields) if "retry_policy" in fields.spec else default
    return policy if policy is not None and policy != _NO_RETRY else None


def _upgrades(fields: Fields) -> tuple[str, ...]:
    upgrades = list(fields.string_list("allow_upgrade"))
    if fields.boolean("use_websocket") and "websocket" not in (u.lower() for u in upgrades):
        upgrades.append("websocket")
    return tuple(upgrades)


def route_options(fields: Fields, defaults: MappingDefaults, *, linkerd_host: str | None,
                  usual: RouteOptions) -> RouteOptions:
    """Read the route-side fields; ``linkerd_host`` is ``host:port`` when ``l5d-dst-override`` must be added.
    ``usual`` is ``defaults_only(defaults, None)``, which most Mappings get."""
    if fields.spec.keys().isdisjoint(_ROUTE_KEYS):  # the usual case: the Module's defaults, read without probing
        return defaults_only(defaults, linkerd_host) if defaults.add_linkerd_headers else usual
    add_request = _or_default(policies.headers_to_add(fields, "add_request_headers"), defaults.add_request_headers)
    if linkerd_host is not None and fields.boolean("add_linkerd_headers", defaults.add_linkerd_headers):
        add_request = (*add_request, HeaderToAdd("l5d-dst-override", linkerd_host, False))
    return RouteOptions(
        add_request_headers=add_request,
        add_response_headers=_or_default(policies.headers_to_add(fields, "add_response_headers"),
                                         defaults.add_response_headers),
        remove_request_headers=_or_default(policies.header_names(fields, "remove_request_headers"),
                                           defaults.remove_request_headers),
        remove_response_headers=_or_default(policies.header_names(fields, "remove_response_headers"),
                                            defaults.remove_response_headers),
        cors=_cors(fields, defaults.cors), retry_policy=_retry(fields, defaults.retry_policy),
        upgrades=_upgrades(fields),
    )


def defaults_only(defaults: MappingDefaults, linkerd_host: str | None) -> RouteOptions:
    """What ``route_options`` gives for a Mapping that names none of its fields."""
    add_request = _or_default(None, defaults.add_request_headers)
    if linkerd_host is not None and defaults.add_linkerd_headers:
        add_request = (*add_request, HeaderToAdd("l5d-dst-override", linkerd_host, False))
    return RouteOptions(
        add_request_headers=add_request, add_response_headers=_or_default(None, defaults.add_response_headers),
        remove_request_headers=_or_default(None, defaults.remove_request_headers),
        remove_response_headers=_or_default(None, defaults.remove_response_headers),
        cors=defaults.cors if defaults.cors != _NO_CORS else None,
        retry_policy=defaults.retry_policy if defaults.retry_policy != _NO_RETRY else None, upgrades=())


def _redirect_code(fields: Fields) -> int:
    code = fields.spec.get("redirect_response_code")
    if code is None:
        return 301
    if code not in REDIRECT_CODES or isinstance(code, bool):
        fields.diag.error(fields.ref, "InvalidRedirectCode", f"Unknown redirect_response_code={code}, must be one of "
                          "[301, 302, 303, 307, 308]. Using default redirect_response_code=301")
        return 301
    return int(code)


_REDIRECT_KEYS = frozenset({"host_redirect", "path_redirect", "prefix_redirect", "regex_redirect",
                            "redirect_response_code"})


def redirect_for(fields: Fields, service: str | None) -> Redirect | None:
    """``host_redirect: true``: redirect to ``service`` (path, prefix or regex rewritten as asked)."""
    if fields.spec.keys().isdisjoint(_REDIRECT_KEYS):  # the usual case
        return None
    if not fields.boolean("host_redirect"):
        for key in ("path_redirect", "prefix_redirect", "regex_redirect", "redirect_response_code"):
            if key in fields.spec:
                fields.diag.notice(fields.ref, "InertField", f"{key} has no effect without host_redirect: true")
        return None
    path, prefix = fields.string("path_redirect"), fields.string("prefix_redirect")
    regex_raw: Mapping[str, Any] | None = fields.mapping("regex_redirect")
    regex = None
    if regex_raw is not None:
        pattern, substitution = regex_raw.get("pattern"), regex_raw.get("substitution")
        if not isinstance(pattern, str) or not isinstance(substitution, str):
            fields.invalid("regex_redirect", "needs a string pattern and a string substitution")
        else:
            regex = (pattern, substitution)
    given = [k for k, v in (("path_redirect", path), ("prefix_redirect", prefix), ("regex_redirect", regex)) if v]
    for extra in given[1:]:
        fields.diag.error(fields.ref, "ConflictingRedirect",
                          f"Cannot specify both {given[0]} and {extra}. Using {given[0]} and ignoring {extra}.")
    first = given[0] if given else None
    return Redirect(host=service or "", path=path if first == "path_redirect" else None,
                    prefix=prefix if first == "prefix_redirect" else None,
                    regex=regex if first == "regex_redirect" else None, response_code=_redirect_code(fields))
