"""Who may see what: "local" clients are loopback peers; the diag UI follows the Module's diagnostics settings."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request

__all__ = ["is_local", "local_only", "diag_allowed", "diag_only"]

F = TypeVar("F", bound=Callable[..., Any])


def is_local() -> bool:
    """True when the TCP peer is a loopback address (proxy headers are not trusted for this)."""
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


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
    return options.diagnostics_enabled or options.diagnostics_allow_non_local


def diag_only(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not diag_allowed():
            return "Not Found\n", 404
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
