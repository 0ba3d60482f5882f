"""TLS settings for termination (a Host's context) and origination (a Mapping's upstream)."""

from __future__ import annotations

from dataclasses import dataclass

from diagd.compile.model.problems import ResourceRef

__all__ = ["Certificate", "TLSContext"]


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate and key taken from a Secret. Only file paths travel to Envoy; key bytes stay out of the IR."""

    secret: str  # "namespace/name"
    cert_file: str
    key_file: str | None
    fingerprint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TLSContext:
    ref: ResourceRef | None
    name: str
    hosts: tuple[str, ...] = ()
    certificate: Certificate | None = None
    ca_certificate: Certificate | None = None
    crl: Certificate | None = None
    cert_required: bool = False
    min_tls_version: str | None = None
    max_tls_version: str | None = None
    cipher_suites: tuple[str, ...] = ()
    ecdh_curves: tuple[str, ...] = ()
    alpn_protocols: tuple[str, ...] = ()
    sni: str | None = None

    @property
    def identity(self) -> tuple[object, ...]:
        """What must be equal for two Hosts to share one TLS filter chain (the name aside)."""
        return (self.certificate, self.ca_certificate, self.crl, self.cert_required, self.min_tls_version,
                self.max_tls_version, self.cipher_suites, self.ecdh_curves, self.alpn_protocols)
