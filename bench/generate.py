"""A generator of realistic multi-tenant configurations, written as the YAML files a platform team keeps.

Each tenant gets a TLS Host (its own certificate, signed by one generated CA) and its share of the Mappings, spread
over ten services per tenant: some with header matches, canary pairs, rewrites, timeouts, retries and CORS; a few
TCPMappings route by SNI. Services are IP literals (distinct ports on 127.0.0.1), so clusters need no DNS and
only the routes a benchmark sends traffic to need a live upstream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.tls import CertificateAuthority, tls_secret

__all__ = ["Shape", "Generated", "generate", "API", "tenant_hostname"]

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


@dataclass(frozen=True)
class Generated:
    counts: dict[str, int]
    ca: CertificateAuthority  # signed every tenant's certificate: clients trust it to reach the HTTPS Listener


def tenant_hostname(tenant: int) -> str:
    return f"tenant-{tenant}.example.com"


def generate(shape: Shape, directory: Path, *, http_port: int = 8080, https_port: int = 8443) -> Generated:
    """Write the configuration as one file per tenant plus listeners.yaml and a catch-all Host."""
    rng = random.Random(shape.seed)
    directory.mkdir(parents=True, exist_ok=True)
    listeners = _listeners()
    listeners[0]["spec"]["port"], listeners[1]["spec"]["port"] = http_port, https_port
    (directory / "listeners.yaml").write_text(_dump(listeners))
    hostnames = [tenant_hostname(t) for t in range(shape.tenants)]
    ca = CertificateAuthority("bench CA")
    counts = {"Mapping": 0, "Host": 0, "Secret": 0, "TCPMapping": 0}
    per_tenant = [shape.mappings // shape.tenants + (1 if t < shape.mappings % shape.tenants else 0)
                  for t in range(shape.tenants)]
    for tenant, hostname in enumerate(hostnames):
        docs: list[dict[str, Any]] = [tls_secret(f"tenant-{tenant}-tls", ca.issue(hostname)), _host(tenant, hostname)]
        made = 0
        while made < per_tenant[tenant]:
            batch = _mapping(rng, tenant, made, hostname)[: per_tenant[tenant] - made]
            docs += batch
            made += len(batch)
        counts["Mapping"] += made
        counts["Host"] += 1
        counts["Secret"] += 1
        (directory / f"tenant-{tenant:04d}.yaml").write_text(_dump(docs))
    # A catch-all Host, as most gateways have: it takes every Mapping, so its virtual host holds every route.
    (directory / "catch-all-host.yaml").write_text(_dump([{
        "apiVersion": API, "kind": "Host", "metadata": {"name": "bench-any"},
        "spec": {"hostname": "*", "requestPolicy": {"insecure": {"action": "Route"}}}}]))
    counts["Host"] += 1
    tcp = [{"apiVersion": API, "kind": "TCPMapping", "metadata": {"name": f"tcp-{i}"},
            "spec": {"port": 9400 + i, "service": f"127.0.0.1:{40000 + i}"}} for i in range(shape.tcp_mappings)]
    counts["TCPMapping"] = len(tcp)
    if tcp:
        (directory / "tcp.yaml").write_text(_dump(tcp))
    return Generated(counts=counts, ca=ca)
