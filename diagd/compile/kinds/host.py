"""Host (SPEC §4.2): hostname, insecure action, mappingSelector."""

from __future__ import annotations

from collections.abc import Mapping

from diagd.compile.ir.host import Host, InsecureAction
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics

__all__ = ["KIND", "parse"]

KIND = "Host"

_KNOWN = frozenset({"hostname", "requestPolicy", "mappingSelector", "selector", "tlsSecret", "tlsContext", "tls",
                    "acmeProvider", "previewUrl", "ambassador_id", "ambassadorId", "tlsSecretName"})


def _insecure_action(fields: Fields, default: InsecureAction) -> InsecureAction | None:
    policy = fields.mapping("requestPolicy") or {}
    insecure = policy.get("insecure") or {}
    raw = insecure.get("action") if isinstance(insecure, Mapping) else None
    if raw is None:
        return default
    try:
        return InsecureAction(str(raw))
    except ValueError:
        fields.invalid("requestPolicy.insecure.action", f"must be Redirect, Route or Reject, not {raw!r}")
        return None


def _selector(fields: Fields) -> dict[str, str] | None:
    raw = fields.mapping("mappingSelector") or fields.mapping("selector")
    if raw is None:
        return None
    labels = raw.get("matchLabels")
    if not isinstance(labels, Mapping):
        fields.invalid("mappingSelector", "must have matchLabels")
        return None
    return {str(k): str(v) for k, v in labels.items()}


def parse(res: Resource, ctx: KindContext, diag: Diagnostics) -> Host | None:
    fields = Fields(res.spec, res.ref, diag)
    hostname = fields.string("hostname", "*") or "*"
    action = _insecure_action(fields, InsecureAction.REDIRECT)
    selector = _selector(fields)
    fields.notice_unsupported(("tlsSecret", "tlsContext", "tls"), "TLS termination is not implemented yet")
    fields.notice_unsupported(("acmeProvider", "previewUrl"), "Emissary does not act on it either")
    fields.notice_unknown(_KNOWN)
    if not fields.ok or action is None:
        return None
    if action is InsecureAction.REDIRECT:
        diag.notice(res.ref, "RedirectWithoutTLS", f"Host {res.name} has no TLS, yet redirects cleartext requests "
                    "to HTTPS (requestPolicy.insecure.action defaults to Redirect); set it to Route to serve HTTP")
    return Host(ref=res.ref, name=res.name, namespace=res.namespace, hostname=hostname, insecure_action=action,
                mapping_selector=selector, labels=res.labels)
