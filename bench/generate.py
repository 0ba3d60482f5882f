"""A generator of realistic multi-tenant configurations, written as the YAML files a platform team keeps.

Each tenant gets a TLS Host (its own certificate, signed by one generated CA) and its share of the Mappings, spread
over ten services per tenant: some with header matches, canary pairs, rewrites, timeouts, retries and CORS; a few
TCPMappings route by SNI. Services are IP literals (distinct ports on 127.0.0.1), so clusters need no DNS and
only the routes a benchmark sends traffic to need a live upstream.
"""

from __future__ import annotations

import base64
import datetime
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["Shape", "generate", "API"]

API = "getambassador.io/v3alpha1"
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SERVICES_PER_TENANT = 10


@dataclass(frozen=True)
class Shape:
    mappings: int
    tenants: int
    tcp_mappings: int = 5
    seed: int = 1

    @classmethod
    def for_size(cls, mappings: int) -> "Shape":
        return cls(mappings=mappings, tenants=max(2, mappings // 100))


def _dump(docs: list[dict[str, Any]]) -> str:
    return str(yaml.dump_all(docs, Dumper=_DUMPER, sort_keys=False))


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificates(hostnames: list[str]) -> dict[str, tuple[bytes, bytes]]:
    """A CA and one EC leaf certificate per hostname: {hostname: (cert PEM, key PEM)}."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("bench-ca")).issuer_name(_name("bench-ca"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    out = {}
    for serial, hostname in enumerate(hostnames, start=2):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(hostname)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(serial).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
        out[hostname] = (cert.public_bytes(serialization.Encoding.PEM), key_pem)
    return out


def _secret(name: str, cert: bytes, key: bytes) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": name},
            "data": {"tls.crt": base64.b64encode(cert).decode(), "tls.key": base64.b64encode(key).decode()}}


def _host(tenant: int, hostname: str) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "Host", "metadata": {"name": f"tenant-{tenant}"},
            "spec": {"hostname": hostname, "tlsSecret": {"name": f"tenant-{tenant}-tls"},
                     "requestPolicy": {"insecure": {"action": "Redirect"}}}}


def _mapping(rng: random.Random, tenant: int, index: int, hostname: str) -> list[dict[str, Any]]:
    service = f"127.0.0.1:{20000 + tenant * SERVICES_PER_TENANT + index % SERVICES_PER_TENANT}"
    spec: dict[str, Any] = {"hostname": hostname, "prefix": f"/t{tenant}/api{index}/", "service": service,
                            "timeout_ms": rng.choice([1000, 3000, 5000, 15000])}
    roll = rng.random()
    if roll < 0.2:
        spec["headers"] = {"x-tenant-tier": rng.choice(["gold", "silver"])}
    if 0.2 <= roll < 0.5:
        spec["rewrite"] = f"/v{rng.randint(1, 3)}/"
    if rng.random() < 0.1:
        spec["retry_policy"] = {"retry_on": "5xx", "num_retries": 3}
    if rng.random() < 0.1:
        spec["cors"] = {"origins": [f"https://{hostname}"], "methods": ["GET", "POST"], "max_age": "86400"}
    name = f"t{tenant}-m{index}"
    docs = [{"apiVersion": API, "kind": "Mapping", "metadata": {"name": name}, "spec": spec}]
    if rng.random() < 0.1:  # a canary for this route, taking a share of it
        canary = dict(spec, service=f"127.0.0.1:{30000 + tenant}", weight=rng.choice([10, 20, 50]))
        docs.append({"apiVersion": API, "kind": "Mapping", "metadata": {"name": f"{name}-canary"}, "spec": canary})
    return docs


def _listeners() -> list[dict[str, Any]]:
    def listener(name: str, port: int, protocol: str) -> dict[str, Any]:
        return {"apiVersion": API, "kind": "Listener", "metadata": {"name": name},
                "spec": {"port": port, "protocol": protocol, "securityModel": "XFP",
                         "hostBinding": {"namespace": {"from": "ALL"}}}}
    return [listener("http", 8080, "HTTP"), listener("https", 8443, "HTTPS")]


def generate(shape: Shape, directory: Path, *, http_port: int = 8080, https_port: int = 8443) -> dict[str, int]:
    """Write the configuration as one file per tenant plus listeners.yaml; returns counts by kind."""
    rng = random.Random(shape.seed)
    directory.mkdir(parents=True, exist_ok=True)
    listeners = _listeners()
    listeners[0]["spec"]["port"], listeners[1]["spec"]["port"] = http_port, https_port
    (directory / "listeners.yaml").write_text(_dump(listeners))
    hostnames = [f"tenant-{t}.example.com" for t in range(shape.tenants)]
    certs = _certificates(hostnames)
    counts = {"Mapping": 0, "Host": 0, "Secret": 0, "TCPMapping": 0}
    per_tenant = [shape.mappings // shape.tenants + (1 if t < shape.mappings % shape.tenants else 0)
                  for t in range(shape.tenants)]
    for tenant, hostname in enumerate(hostnames):
        docs: list[dict[str, Any]] = [_secret(f"tenant-{tenant}-tls", *certs[hostname]), _host(tenant, hostname)]
        made = 0
        while made < per_tenant[tenant]:
            batch = _mapping(rng, tenant, made, hostname)[: per_tenant[tenant] - made]
            docs += batch
            made += len(batch)
        counts["Mapping"] += made
        counts["Host"] += 1
        counts["Secret"] += 1
        (directory / f"tenant-{tenant:04d}.yaml").write_text(_dump(docs))
    tcp = [{"apiVersion": API, "kind": "TCPMapping", "metadata": {"name": f"tcp-{i}"},
            "spec": {"port": 9400 + i, "service": f"127.0.0.1:{40000 + i}"}} for i in range(shape.tcp_mappings)]
    counts["TCPMapping"] = len(tcp)
    if tcp:
        (directory / "tcp.yaml").write_text(_dump(tcp))
    return counts
