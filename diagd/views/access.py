"""Who may see what: "local" clients are loopback peers; the diag UI follows the Module's diagnostics settings.

A loopback peer is not always a local client: Envoy runs on the same host, and a Mapping can point at diagd, so a
request relayed by Envoy arrives from 127.0.0.1 too. Envoy records the real client in ``X-Forwarded-For`` and
``X-Envoy-External-Address``; when those name a non-loopback address the request is not local. (Headers can only
make a request *less* local here, so forging them gains nothing.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request

__all__ = ["is_local", "local_only", "diag_allowed", "diag_only"]

F = TypeVar("F", bound=Callable[..., Any])


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _relayed_from_elsewhere() -> bool:
    forwarded = [a for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
    external = request.headers.get("X-Envoy-External-Address", "").strip()
    return any(not _loopback(a) for a in forwarded) or bool(external and not _loopback(external))


def is_local() -> bool:
    """True when the TCP peer is a loopback address and no proxy says the request came from elsewhere."""
    return _loopback(request.remote_addr or "") and not _relayed_from_elsewhere()


def local_only(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_local():
            return "Forbidden\n", 403
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def diag_allowed() -> bool:
    """Emissary's rule: diagnostics enabled (the default), or a local client, or allow_non_local."""
    if is_local():
        return True
    result = current_app.config["STATE"].current.result
    if result is None:
        return True
    options = result.ir.options
    return bool(options.diagnostics_enabled or options.diagnostics_allow_non_local)


def diag_only(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not diag_allowed():
            return "Not Found\n", 404
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
