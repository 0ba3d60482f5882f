"""TLSContext (SPEC §4.6): certificates and TLS parameters, for Hosts (termination) and Mappings (origination).

The same reader serves a TLSContext resource and a Host's inline ``tls`` block, whose keys may be camelCase.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from diagd.compile.ir.tls import Certificate, TLSContext
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.kinds.secrets import SecretStore, secret_reference
from diagd.compile.model.problems import Diagnostics, ResourceRef

__all__ = ["KIND", "parse", "context_from_spec", "TLS_VERSIONS", "snake_keys"]

KIND = "TLSContext"

TLS_VERSIONS = ("v1.0", "v1.1", "v1.2", "v1.3")
_KNOWN = frozenset({
    "hosts", "secret", "ca_secret", "cert_required", "crl_secret", "alpn_protocols", "min_tls_version",
    "max_tls_version", "cipher_suites", "ecdh_curves", "sni", "secret_namespacing", "redirect_cleartext_from",
    "cert_chain_file", "private_key_file", "cacert_chain_file", "ambassador_id", "ambassadorId", "v3CRLSecret",
})
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_keys(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``certRequired`` → ``cert_required``; Hosts' inline ``tls`` accepts either spelling."""
    return {_CAMEL.sub(r"_\1", str(k)).lower(): v for k, v in raw.items()}


def _version(fields: Fields, key: str) -> str | None:
    raw = fields.string(key)
    if raw is None:
        return None
    if raw not in TLS_VERSIONS:
        fields.invalid(key, f"must be one of {', '.join(TLS_VERSIONS)}, not {raw!r}")
        return None
    return raw


def _files(fields: Fields, name: str) -> tuple[Certificate | None, Certificate | None]:
    """The ``*_file`` variants: paths already on Envoy's filesystem, used as they are."""
    chain, key, ca = (fields.string(k) for k in ("cert_chain_file", "private_key_file", "cacert_chain_file"))
    cert = Certificate(secret=f"file:{name}", cert_file=chain, key_file=key, fingerprint="") if chain and key else None
    if (chain is None) != (key is None):
        fields.invalid("cert_chain_file", "cert_chain_file and private_key_file go together")
    ca_cert = Certificate(secret=f"file:{name}", cert_file=ca, key_file=None, fingerprint="") if ca else None
    return cert, ca_cert


def _secret(fields: Fields, key: str, namespace: str, store: SecretStore, *, namespacing: bool,
            kind: str) -> Certificate | None:
    raw = fields.spec.get(key)
    if raw is None:
        return None
    where = secret_reference(raw, namespace, namespacing=namespacing)
    if where is None:
        fields.invalid(key, "must be a Secret name")
        return None
    found = (store.certificate(where[0], where[1], fields.ref, fields.diag) if kind == "cert"
             else store.ca_bundle(where[0], where[1], fields.ref, fields.diag, crl=kind == "crl"))
    if found is None:
        fields.ok = False
    return found


def context_from_spec(spec: Mapping[str, Any], *, name: str, ref: ResourceRef, namespace: str,
                      store: SecretStore, diag: Diagnostics, secret: Certificate | None = None) -> TLSContext | None:
    """Read TLS parameters; ``secret`` (a Host's ``tlsSecret``) is used when the spec names none."""
    fields = Fields(spec, ref, diag)
    namespacing = fields.boolean("secret_namespacing", True)
    cert = _secret(fields, "secret", namespace, store, namespacing=namespacing, kind="cert")
    file_cert, file_ca = _files(fields, name)
    ca = _secret(fields, "ca_secret", namespace, store, namespacing=namespacing, kind="ca")
    crl = _secret(fields, "crl_secret", namespace, store, namespacing=namespacing, kind="crl")
    alpn = fields.string_list("alpn_protocols", allow_scalar=True)
    context = TLSContext(
        ref=ref, name=name, hosts=fields.string_list("hosts"), certificate=cert or file_cert or secret,
        ca_certificate=ca or file_ca, crl=crl, cert_required=fields.boolean("cert_required"),
        min_tls_version=_version(fields, "min_tls_version"), max_tls_version=_version(fields, "max_tls_version"),
        cipher_suites=fields.string_list("cipher_suites"), ecdh_curves=fields.string_list("ecdh_curves"),
        alpn_protocols=tuple(p.strip() for a in alpn for p in a.split(",") if p.strip()), sni=fields.string("sni"),
    )
    tls13 = [c for c in context.cipher_suites if c.startswith("TLS_")]
    if tls13:
        fields.invalid("cipher_suites", f"{', '.join(tls13)} are TLS 1.3 suites, which Envoy does not let you "
                       "choose; cipher_suites applies to TLS 1.2 and below")
    if context.cert_required and context.ca_certificate is None:
        fields.invalid("cert_required", "needs ca_secret (the CA that signs client certificates)")
    if "redirect_cleartext_from" in spec:
        diag.notice(ref, "InertField", "redirect_cleartext_from has no effect: use a Host's "
                    "requestPolicy.insecure.action and Listeners instead")
    return context if fields.ok else None


def parse(res: Resource, store: SecretStore, diag: Diagnostics) -> TLSContext | None:
    Fields(res.spec, res.ref, diag).notice_unknown(_KNOWN)
    return context_from_spec(res.spec, name=res.name, ref=res.ref, namespace=res.namespace, store=store, diag=diag)
