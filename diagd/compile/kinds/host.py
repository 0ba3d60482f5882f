"""Host (SPEC §4.2): hostname, TLS termination (tlsSecret, tlsContext or inline tls), insecure action, selector."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from diagd.compile.ir.host import Host, InsecureAction
from diagd.compile.ir.tls import Certificate, TLSContext
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.kinds.tlscontext import context_from_spec, snake_keys
from diagd.compile.model.problems import Diagnostics

__all__ = ["KIND", "parse"]

KIND = "Host"

_HOSTNAME = re.compile(r"^(\*|\*?[A-Za-z0-9_.\-]+\*?|\[[0-9A-Fa-f:.]+\])(:[0-9]+)?$")
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


def _certificate(fields: Fields, res: Resource, ctx: KindContext) -> Certificate | None:
    raw = fields.mapping("tlsSecret")
    if raw is None:
        return None
    name, namespace = raw.get("name"), raw.get("namespace", res.namespace)
    if not isinstance(name, str) or not name or not isinstance(namespace, str):
        fields.invalid("tlsSecret", "needs a name (and optionally a namespace)")
        return None
    cert = ctx.secrets.certificate(namespace, name, res.ref, fields.diag)
    if cert is None:
        fields.ok = False
    return cert


def _named_context(fields: Fields, res: Resource, ctx: KindContext, hostname: str,
                   cert: Certificate | None) -> TLSContext | None:
    raw = fields.mapping("tlsContext") or {}
    name = raw.get("name")
    context = ctx.tls_context(str(name), res.namespace) if isinstance(name, str) else None
    if context is None:
        fields.ok = False
        fields.diag.error(res.ref, "NoSuchTLSContext", f"tlsContext {name!r} does not exist (or is invalid)")
        return None
    if context.hosts and hostname not in context.hosts and res.name not in context.hosts:
        fields.invalid("tlsContext", f"TLSContext {name} does not list this Host's hostname {hostname!r} in hosts")
        return None
    if cert is not None and context.certificate is not None and context.certificate != cert:
        fields.invalid("tlsContext", f"TLSContext {name} uses a different secret than tlsSecret")
        return None
    return context if context.certificate is not None else dataclasses.replace(context, certificate=cert)


def _tls(fields: Fields, res: Resource, ctx: KindContext, hostname: str) -> TLSContext | None:
    cert = _certificate(fields, res, ctx)
    if not fields.ok:
        return None
    inline: Mapping[str, Any] | None = fields.mapping("tls")
    if inline is not None and "tlsContext" in res.spec:
        fields.invalid("tls", "cannot be combined with tlsContext")
        return None
    if "tlsContext" in res.spec:
        context = _named_context(fields, res, ctx, hostname, cert)
    elif inline is not None:
        context = context_from_spec(snake_keys(inline), name=f"{res.name}-context", ref=res.ref,
                                    namespace=res.namespace, store=ctx.secrets, diag=fields.diag, secret=cert)
        context = dataclasses.replace(context, hosts=(hostname,)) if context is not None else None
        fields.ok = fields.ok and context is not None
    elif cert is not None:
        listed = next((c for c in ctx.tls_contexts.values() if hostname in c.hosts), None)
        context = (dataclasses.replace(listed, certificate=listed.certificate or cert) if listed is not None else
                   TLSContext(ref=res.ref, name=f"{res.name}-context", hosts=(hostname,), certificate=cert))
    else:
        return None
    if context is not None and context.certificate is None:
        fields.invalid("tlsSecret", "TLS termination needs a certificate: set tlsSecret")
        return None
    return context


def parse(res: Resource, ctx: KindContext, diag: Diagnostics) -> Host | None:
    fields = Fields(res.spec, res.ref, diag)
    hostname = fields.string("hostname", "*") or "*"
    if not _HOSTNAME.match(hostname):
        fields.invalid("hostname", f"{hostname!r} is not a hostname or a DNS glob")
    action = _insecure_action(fields, InsecureAction.REDIRECT)
    selector = _selector(fields)
    tls = _tls(fields, res, ctx, hostname)
    fields.notice_unsupported(("acmeProvider", "previewUrl"), "Emissary does not act on it either")
    fields.notice_unknown(_KNOWN)
    if not fields.ok or action is None:
        return None
    if action is InsecureAction.REDIRECT and tls is None:
        diag.notice(res.ref, "RedirectWithoutTLS", f"Host {res.name} has no TLS, yet redirects cleartext requests "
                    "to HTTPS (requestPolicy.insecure.action defaults to Redirect); set it to Route to serve HTTP")
    return Host(ref=res.ref, name=res.name, namespace=res.namespace, hostname=hostname, insecure_action=action,
                tls=tls, mapping_selector=selector, labels=res.labels)
