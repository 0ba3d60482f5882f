"""Real TLS material for tests: a CA, server and client certificates (``cryptography``), and Kubernetes TLS Secrets.

Keys are ECDSA P-256 (fast to make). Nothing here touches the network.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CertificateAuthority", "Issued", "tls_secret", "client_context", "https_request", "common_name"]


@dataclass(frozen=True)
class Issued:
    cert_pem: bytes
    key_pem: bytes
    common_name: str

    def write(self, directory: Any, stem: str) -> tuple[str, str]:
        cert, key = directory / f"{stem}.crt", directory / f"{stem}.key"
        cert.write_bytes(self.cert_pem)
        key.write_bytes(self.key_pem)
        return str(cert), str(key)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


@dataclass
class CertificateAuthority:
    """A self-signed CA that issues server and client certificates valid for ``days``."""

    common_name: str = "emissary-py test CA"
    days: int = 3650
    _key: ec.EllipticCurvePrivateKey = field(init=False)
    cert: x509.Certificate = field(init=False)

    def __post_init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(_name(self.common_name))
                     .issuer_name(_name(self.common_name)).public_key(self._key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=self.days))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self._key, hashes.SHA256()))

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, *names: str, client: bool = False) -> Issued:
        """A leaf for ``names`` (the first is the common name); ``client`` makes it a client certificate."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        cert = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=self.days))
                .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .sign(self._key, hashes.SHA256()))
        return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key), names[0])


def tls_secret(name: str, issued: Issued | None = None, *, ca_pem: bytes | None = None,
               namespace: str | None = None) -> dict[str, Any]:
    """A ``kubernetes.io/tls`` Secret (or, with only ``ca_pem``, an Opaque one holding ``ca.crt``)."""
    data: dict[str, str] = {}
    if issued is not None:
        data["tls.crt"] = base64.b64encode(issued.cert_pem).decode()
        data["tls.key"] = base64.b64encode(issued.key_pem).decode()
    if ca_pem is not None:
        data["ca.crt"] = base64.b64encode(ca_pem).decode()
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta,
            "type": "kubernetes.io/tls" if issued is not None else "Opaque", "data": data}


def client_context(ca: CertificateAuthority, *, client: Issued | None = None, tmp_dir: Any = None,
                   minimum: ssl.TLSVersion | None = None, maximum: ssl.TLSVersion | None = None,
                   alpn: list[str] | None = None) -> ssl.SSLContext:
    """A client SSLContext that trusts ``ca`` (and presents ``client`` when given)."""
    context = ssl.create_default_context(cadata=ca.cert_pem.decode())
    if client is not None:
        cert, key = client.write(tmp_dir, f"client-{client.common_name}")
        context.load_cert_chain(cert, key)
    if minimum is not None:
        context.minimum_version = minimum
    if maximum is not None:
        context.maximum_version = maximum
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def https_request(port: int, path: str = "/", *, sni: str | None, context: ssl.SSLContext,
                  host: str | None = None, method: str = "GET", headers: dict[str, str] | None = None,
                  timeout: float = 5.0) -> tuple[int, dict[str, str], bytes, dict[str, Any]]:
    """An HTTPS request to 127.0.0.1:``port`` with SNI ``sni`` (None sends none). Returns status, headers, body and
    the server certificate as ``ssl.SSLSocket.getpeercert()`` reports it (empty when unverified)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=sni) as tls:
            peer = tls.getpeercert() or {}
            lines = [f"{method} {path} HTTP/1.1", f"Host: {host or sni or '127.0.0.1'}", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            tls.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            response = http.client.HTTPResponse(tls)
            response.begin()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read(), peer


def common_name(peer: dict[str, Any]) -> str | None:
    for rdn in peer.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None
