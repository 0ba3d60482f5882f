"""Secrets: TLS certificates and keys that Hosts, TLSContexts and TCPMappings reference by name.

Key material never enters the IR or the Envoy configuration: a referenced Secret becomes PEM files named by a hash
of their content under ``settings.secrets_dir`` (``SecretStore.files``, which diagd writes with mode 0600), and the
IR carries only those paths and a fingerprint. Only referenced Secrets are written.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from diagd.compile.ir.tls import Certificate
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics, ResourceRef

__all__ = ["SecretStore", "FALLBACK_SECRET", "secret_reference"]

FALLBACK_SECRET = "fallback-self-signed-cert"

_CERT_KEYS = ("tls.crt", "cert-chain.pem")
_KEY_KEYS = ("tls.key", "key.pem")
_CA_KEYS = ("ca.crt", "tls.crt", "root-cert.pem", "cert-chain.pem")
_CRL_KEYS = ("crl.pem",)


@dataclass(frozen=True, slots=True)
class _SecretData:
    ref: ResourceRef
    values: Mapping[str, bytes]


def _decode(resource: Resource) -> dict[str, bytes] | str:
    """The Secret's values as bytes (``data`` is base64, ``stringData`` plain), or why they cannot be read."""
    out: dict[str, bytes] = {}
    data = resource.body.get("data") or {}
    plain = resource.body.get("stringData") or {}
    if not isinstance(data, Mapping) or not isinstance(plain, Mapping):
        return "data and stringData must be objects"
    for key, value in data.items():
        if not isinstance(value, str):
            return f"data.{key} must be a base64 string"
        try:
            out[str(key)] = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return f"data.{key} is not valid base64"
    for key, value in plain.items():
        if not isinstance(value, str):
            return f"stringData.{key} must be a string"
        out[str(key)] = value.encode("utf-8")
    return out


def _pem_ok(value: bytes, marker: bytes) -> bool:
    return b"-----BEGIN " in value and marker in value


class SecretStore:
    """Secrets by namespace and name; hands out Certificates and remembers which files must be written."""

    def __init__(self, secrets_dir: str) -> None:
        self.secrets_dir = secrets_dir.rstrip("/")
        self._secrets: dict[tuple[str, str], _SecretData | str] = {}
        self.files: dict[str, bytes] = {}
        self._recording: dict[str, bytes] | None = None

    @contextlib.contextmanager
    def recording(self) -> Iterator[dict[str, bytes]]:
        """The files handed out inside the block (to replay with ``files.update`` when the work is reused)."""
        outer, self._recording = self._recording, {}
        try:
            yield self._recording
        finally:
            if outer is not None:
                outer.update(self._recording)
            self._recording = outer

    def add(self, resource: Resource) -> None:
        values = _decode(resource)
        entry: _SecretData | str = values if isinstance(values, str) else _SecretData(resource.ref, values)
        self._secrets[(resource.namespace, resource.name)] = entry

    def exists(self, namespace: str, name: str) -> bool:
        return (namespace, name) in self._secrets

    def _file(self, data: bytes, suffix: str) -> str:
        path = f"{self.secrets_dir}/{hashlib.sha256(data).hexdigest()[:24]}.{suffix}"
        self.files[path] = data
        if self._recording is not None:
            self._recording[path] = data
        return path

    def _lookup(self, namespace: str, name: str, user: ResourceRef, diag: Diagnostics) -> _SecretData | None:
        entry = self._secrets.get((namespace, name))
        if entry is None:
            diag.error(user, "NoSuchSecret", f"Secret {namespace}/{name} does not exist")
            return None
        if isinstance(entry, str):
            diag.error(user, "InvalidSecret", f"Secret {namespace}/{name} cannot be read: {entry}")
            return None
        return entry

    def certificate(self, namespace: str, name: str, user: ResourceRef, diag: Diagnostics) -> Certificate | None:
        """A certificate chain and its private key (a ``kubernetes.io/tls`` Secret) for serving TLS."""
        entry = self._lookup(namespace, name, user, diag)
        if entry is None:
            return None
        cert = _first(entry.values, _CERT_KEYS)
        key = _first(entry.values, _KEY_KEYS)
        if cert is None or key is None or not _pem_ok(cert, b"CERTIFICATE") or not _pem_ok(key, b"PRIVATE KEY"):
            diag.error(user, "InvalidSecret", f"Secret {namespace}/{name} needs a PEM certificate in tls.crt and "
                       "a PEM private key in tls.key")
            return None
        return Certificate(secret=f"{namespace}/{name}", cert_file=self._file(cert, "crt"),
                           key_file=self._file(key, "key"), fingerprint=hashlib.sha256(cert).hexdigest()[:16])

    def ca_bundle(self, namespace: str, name: str, user: ResourceRef, diag: Diagnostics, *,
                  crl: bool = False) -> Certificate | None:
        """A CA certificate bundle (``ca.crt`` or ``tls.crt``), or with ``crl`` a revocation list (``crl.pem``)."""
        entry = self._lookup(namespace, name, user, diag)
        if entry is None:
            return None
        value = _first(entry.values, _CRL_KEYS if crl else _CA_KEYS)
        marker = b"X509 CRL" if crl else b"CERTIFICATE"
        if value is None or not _pem_ok(value, marker):
            what = "a PEM revocation list in crl.pem" if crl else "a PEM CA certificate in ca.crt or tls.crt"
            diag.error(user, "InvalidSecret", f"Secret {namespace}/{name} needs {what}")
            return None
        return Certificate(secret=f"{namespace}/{name}", cert_file=self._file(value, "crl" if crl else "ca.crt"),
                           key_file=None, fingerprint=hashlib.sha256(value).hexdigest()[:16])


def _first(values: Mapping[str, bytes], keys: tuple[str, ...]) -> bytes | None:
    return next((values[k] for k in keys if k in values and values[k]), None)


def secret_reference(raw: Any, default_namespace: str, *, namespacing: bool = True) -> tuple[str, str] | None:
    """``name`` or (with secret namespacing) ``name.namespace`` → (namespace, name)."""
    if not isinstance(raw, str) or not raw:
        return None
    if namespacing and "." in raw:
        name, namespace = raw.split(".", 1)
        return namespace, name
    return default_namespace, raw
