"""TLS contexts: DownstreamTlsContext for filter chains that terminate TLS, UpstreamTlsContext for origination.

Certificates and keys are referenced by file name only (``filename``); the files are written by diagd.
"""

from __future__ import annotations

from typing import Any

from diagd.compile.envoy.common import typed
from diagd.compile.ir.tls import TLSContext

__all__ = ["downstream_tls", "upstream_tls", "TLS_VERSION"]

TLS_VERSION = {"v1.0": "TLSv1_0", "v1.1": "TLSv1_1", "v1.2": "TLSv1_2", "v1.3": "TLSv1_3"}


def _common(context: TLSContext | None, *, alpn_default: tuple[str, ...] = ()) -> dict[str, Any]:
    common: dict[str, Any] = {}
    if context is None:
        return {"alpn_protocols": list(alpn_default)} if alpn_default else common
    cert = context.certificate
    if cert is not None and cert.key_file is not None:
        common["tls_certificates"] = [{"certificate_chain": {"filename": cert.cert_file},
                                       "private_key": {"filename": cert.key_file}}]
    params: dict[str, Any] = {}
    if context.min_tls_version:
        params["tls_minimum_protocol_version"] = TLS_VERSION[context.min_tls_version]
    if context.max_tls_version:
        params["tls_maximum_protocol_version"] = TLS_VERSION[context.max_tls_version]
    if context.cipher_suites:
        params["cipher_suites"] = list(context.cipher_suites)
    if context.ecdh_curves:
        params["ecdh_curves"] = list(context.ecdh_curves)
    if params:
        common["tls_params"] = params
    alpn = context.alpn_protocols or alpn_default
    if alpn:
        common["alpn_protocols"] = list(alpn)
    validation: dict[str, Any] = {}
    if context.ca_certificate is not None:
        validation["trusted_ca"] = {"filename": context.ca_certificate.cert_file}
    if context.crl is not None:
        validation["crl"] = {"filename": context.crl.cert_file}
    if validation:
        common["validation_context"] = validation
    return common


def downstream_tls(context: TLSContext) -> dict[str, Any]:
    """The transport socket of a filter chain that terminates TLS with ``context``."""
    config: dict[str, Any] = {"common_tls_context": _common(context)}
    if context.cert_required:
        config["require_client_certificate"] = True
    return {"name": "envoy.transport_sockets.tls",
            "typed_config": typed("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", **config)}


def upstream_tls(context: TLSContext | None, *, sni: str | None, http2: bool) -> dict[str, Any]:
    """The transport socket of a cluster that originates TLS (gRPC upstreams offer ``h2`` by ALPN)."""
    config: dict[str, Any] = {"common_tls_context": _common(context, alpn_default=("h2",) if http2 else ())}
    if sni:
        config["sni"] = sni
    return {"name": "envoy.transport_sockets.tls",
            "typed_config": typed("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", **config)}
