"""A realistic configuration for the diagnostics tests, with real TLS key material, and an app serving it.

The configuration has what an operator debugs: two Listeners, Hosts (one terminating TLS with a Secret that holds a
real private key), plain, canary, header-matched, regex and host-specific Mappings, and resources with errors.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from flask import Flask

from diagd.app import create_app
from diagd.compile import compile
from diagd.envoy_admin import EnvoyAdmin
from diagd.memory import MemoryWatch
from diagd.settings import DiagdSettings
from diagd.state import CompiledState, ReconfigRecord, StateHolder
from tests.builders import host, listener, mapping, resource, to_yaml
from tests.support.ports import free_port
from tests.support.snapshots import snapshot_from_text

__all__ = ["TlsMaterial", "tls_material", "sample_yaml", "compiled_state", "make_app", "key_markers", "settings_for"]


class TlsMaterial:
    def __init__(self, key: Any, hostname: str) -> None:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
                .sign(key, hashes.SHA256()))
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        self.key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption()).decode("ascii")
        self.key_pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()).decode("ascii")


@functools.lru_cache(maxsize=None)
def tls_material(kind: str = "ec", hostname: str = "secure.example.com") -> TlsMaterial:
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)
    return TlsMaterial(key, hostname)


def key_markers(material: TlsMaterial) -> list[str]:
    """Strings that appear only if key material leaked: PEM body lines, the base64 of whole PEMs, the header."""
    markers = ["PRIVATE KEY"]
    for pem in (material.key_pem, material.key_pkcs8):
        body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
        markers += [line[8:40] for line in body if len(line) >= 40]
        markers.append(base64.b64encode(pem.encode("ascii")).decode("ascii")[20:60])
    return markers


def _secret(material: TlsMaterial) -> dict[str, Any]:
    data = {"tls.crt": base64.b64encode(material.cert_pem.encode()).decode(),
            "tls.key": base64.b64encode(material.key_pem.encode()).decode()}
    body = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "secure-cert", "namespace": "default"}, "data": data}
    applied = json.dumps(body)
    body["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": applied}
    body["stringData"] = {"extra.key": material.key_pkcs8}
    return body


def sample_yaml(material: TlsMaterial | None = None, *, upstream: str = "127.0.0.1:9", other: str = "127.0.0.1:10",
                extra: tuple[dict[str, Any], ...] = (), ports: tuple[int, int] = (8080, 8443)) -> str:
    material = material or tls_material()
    docs = [
        listener("http-listener", ports[0], protocol="HTTP"),
        listener("https-listener", ports[1], protocol="HTTPS"),
        host("everything", "*", action="Route"),
        host("secure", "secure.example.com", action="Route", tlsSecret={"name": "secure-cert"}),
        _secret(material),
        mapping("backend", "/backend/", upstream),
        mapping("canary-main", "/canary/", upstream),
        mapping("canary-next", "/canary/", other, weight=20),
        mapping("v2-only", "/versioned/", other, headers={"x-version": "2"}),
        mapping("versioned", "/versioned/", upstream),
        mapping("api-users", "/users/", upstream, hostname="api.example.com", rewrite="/v1/users/",
                host_rewrite="users.internal", timeout_ms=1500),
        mapping("regex-items", "^/items/[0-9]+$", upstream, prefix_regex=True),
        resource("Mapping", "no-service", {"prefix": "/nothing/", "hostname": "*"}),
        mapping("too-heavy", "/canary/", other, weight=90),
        _leaky(material, upstream),
        *extra,
    ]
    return to_yaml(*docs)


def _leaky(material: TlsMaterial, upstream: str) -> dict[str, Any]:
    """A Mapping someone pasted a private key into (an annotation): pages must not show the key."""
    body = mapping("leaky", "/leaky/", upstream)
    body["metadata"]["annotations"] = {"note": material.key_pkcs8}
    return body


def settings_for(base: Path, **env: str) -> DiagdSettings:
    return DiagdSettings.from_env({"AMBASSADOR_CONFIG_BASE_DIR": str(base), **env})


def compiled_state(text: str, settings: DiagdSettings, *, seq: int = 1, acked: bool = True,
                   nack: dict[str, Any] | None = None) -> CompiledState:
    snapshot = snapshot_from_text(text, "config/gateway.yaml")
    result = compile(snapshot, settings.compile)
    now = time.time()
    record = ReconfigRecord(seq=seq, change_seen=now - 1.2, snapshot_written=now - 1.15, compiled=now - 1.0,
                            written=now - 0.95, compile_seconds=0.04, pushed=now - 0.9,
                            acked=now - 0.85 if acked else None, nack=nack["message"] if nack else None,
                            counts=result.envoy.counts(), errors=sum(p.severity.value == "error" for p in
                                                                     result.problems))
    ambex = {"acked": now - 0.85, "acked_seq": seq, "acked_version": "v-test", "streams": 1} if acked else {}
    if nack:
        ambex["last_nack"] = nack
    return CompiledState(started=now - 60, result=result, snapshot=snapshot, applied_seq=seq,
                         source={"kind": "files", "dir": "/config", "files": 1}, last=record, history=(record,),
                         ambex=ambex, first_applied=now - 0.95)


def make_app(state: CompiledState | None, settings: DiagdSettings, *, envoy_ready: Callable[[], bool] = lambda: True,
             worker_alive: Callable[[], bool] = lambda: True, admin_port: int | None = None) -> tuple[Flask,
                                                                                                     StateHolder]:
    holder = StateHolder(state or CompiledState(started=time.time()))
    admin = EnvoyAdmin(admin_port or free_port(), timeout=0.5)
    memory = MemoryWatch(settings.layout, interval=3600)
    app = create_app(settings, holder, envoy_ready=envoy_ready, worker_alive=worker_alive, envoy_admin=admin,
                     memory=memory)
    return app, holder

