"""Helpers every diagnostics page uses: the context, HTML-or-JSON answers, and the "no configuration yet" answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from diagd.context import DiagContext
from diagd.diag_model import VERSION, human_duration
from diagd.redact import scrub_text
from diagd.state import CompiledState

__all__ = ["context", "wants_json", "respond", "needs_config", "register_template_globals", "json_url", "when"]

F = TypeVar("F", bound=Callable[..., Any])


def context() -> DiagContext:
    ctx: DiagContext = current_app.extensions["diagd"]
    return ctx


def wants_json() -> bool:
    return request.args.get("json", "").lower() == "true"


def json_url() -> str:
    args = {k: scrub_text(v) for k, v in request.args.items() if k != "json"}
    return request.path + "?" + urlencode({**args, "json": "true"})


def respond(template: str, data: Any, *, status: int = 200, **extra: Any) -> ResponseReturnValue:
    """``data`` as JSON for ``?json=true``, else the page rendered from it."""
    if wants_json():
        return jsonify(data), status
    return render_template(template, data=data, **extra), status


def needs_config(view: Callable[..., ResponseReturnValue]) -> Callable[..., Any]:
    """Answer 503 until the first configuration is compiled (Emissary: "ambassador waiting for config")."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        state, index = context().current()
        if index is None:
            data = {"error": "ambassador waiting for config", "last_error": state.last_error}
            return respond("waiting.html", data, status=503)
        return view(state, index, *args, **kwargs)

    return wrapper


def _nav() -> dict[str, Any]:
    state, index = context().current()
    return {
        "version": VERSION,
        "errors": len(index.errors()) if index is not None else 0,
        "notices": len(index.notices()) if index is not None else 0,
        "envoy_ready": context().envoy_ready(),
        "config_seq": state.applied_seq,
        "json_url": json_url(),
        "endpoint": request.endpoint or "",
    }


def when(epoch: float | None) -> str:
    """``2024-05-01 12:00:03 (42 s ago)`` for an epoch time."""
    if epoch is None:
        return "never"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))
    return f"{stamp} ({human_duration(time.time() - epoch)} ago)"


def register_template_globals(blueprint: Blueprint) -> None:
    @blueprint.app_context_processor
    def inject() -> dict[str, Any]:
        return {"nav": _nav}

    blueprint.add_app_template_filter(when, "when")
