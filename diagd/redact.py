"""Keep secrets out of everything diagd shows: pages, JSON, log lines and snapshot downloads.

Two layers. ``redact_body`` removes what a resource may carry on purpose (a Secret's ``data`` and ``stringData``,
and the ``last-applied-configuration`` annotation kubectl copies them into). ``scrub_text`` is the safety net for
text about to leave the process: it replaces any PEM private key, plain or base64-encoded, whatever carried it in.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["redact_body", "scrub_text", "scrub_value", "RedactingFilter", "install_log_redaction", "REDACTED"]

REDACTED = "<redacted>"
_KEY_PLACEHOLDER = "<redacted private key>"
_SECRET_FIELDS = ("data", "stringData")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# A PEM private key block, also when its newlines are JSON-escaped ("\n") inside a string.
_PEM_KEY = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----"
    r"|-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[A-Za-z0-9+/=\s\\n:,-]*",
    re.DOTALL,
)
# The same, URL-encoded (a key typed into a form and echoed in a link): up to the end of that query value.
_URL_KEY = re.compile(r"-----BEGIN(?:(?:\+|%20)[A-Z0-9]+)*(?:\+|%20)PRIVATE(?:\+|%20)KEY-----[A-Za-z0-9%+/=._-]*")
# Base64 of "-----BEGIN": where a base64 blob of a PEM document starts.
_B64_PEM = re.compile(r"LS0tLS1CRUdJT[A-Za-z0-9+/]*={0,2}")


def _decodes_to_private_key(blob: str) -> bool:
    try:
        decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return b"PRIVATE KEY" in decoded


def scrub_text(text: str) -> str:
    """Replace PEM private keys and base64-encoded PEM private keys in ``text``; everything else is left alone."""
    if "PRIVATE KEY" in text:
        text = _PEM_KEY.sub(_KEY_PLACEHOLDER, text)
    if "PRIVATE+KEY" in text or "PRIVATE%20KEY" in text:
        text = _URL_KEY.sub(_KEY_PLACEHOLDER, text)
    if "LS0tLS1CRUdJT" in text:
        text = _B64_PEM.sub(lambda m: _KEY_PLACEHOLDER if _decodes_to_private_key(m.group(0)) else m.group(0), text)
    return text


def scrub_value(value: Any) -> Any:
    """``scrub_text`` applied to every string inside a JSON-like value (a new value; the input is not changed)."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {k: scrub_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_value(v) for v in value]
    return value


def _redacted_map(values: Any) -> Any:
    if not isinstance(values, Mapping):
        return REDACTED
    return {str(k): f"{REDACTED} ({len(str(v))} characters)" for k, v in values.items()}


def redact_body(kind: str, body: Any) -> Any:
    """A copy of a resource body that is safe to show: Secret payloads elided, private keys scrubbed anywhere."""
    if not isinstance(body, Mapping):
        return scrub_value(body)
    out = dict(body)
    if kind == "Secret":
        for name in _SECRET_FIELDS:
            if name in out:
                out[name] = _redacted_map(out[name])
        meta = out.get("metadata")
        if isinstance(meta, Mapping) and isinstance(meta.get("annotations"), Mapping):
            annotations = dict(meta["annotations"])
            if _LAST_APPLIED in annotations:
                annotations[_LAST_APPLIED] = REDACTED
            out["metadata"] = {**meta, "annotations": annotations}
    return scrub_value(out)


class RedactingFilter(logging.Filter):
    """Scrubs private keys out of a log record's final message before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = str(record.exc_info[1])
            if scrub_text(text) != text:
                record.exc_info = None
                record.msg = f"{record.msg} (exception details withheld: they contained key material)"
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach ``RedactingFilter`` to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
