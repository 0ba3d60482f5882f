"""Kubernetes write → route answering through Envoy, against a real kube-apiserver; and watt's memory.

    python -m bench.k8s_latency                      # 10 and 1,000 Mappings, 20 changes each
    python -m bench.k8s_latency --sizes 10 --changes 5

For each size: a namespace holds N Mappings (to an echo upstream on 127.0.0.1); the gateway (`emissary-py run`)
watches it as the shipped ServiceAccount. Each change creates one more Mapping through the API and polls Envoy until
the new path answers 200; the time runs from just before the create request. Then one Endpoints object is patched
N times and Envoy's config dump is polled until its ClusterLoadAssignment shows the new address (the endpoints-only
path: no compile). watt's RSS (psutil) is read at the end. Results are printed and saved to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from tests.k8s.apiserver import ApiServer, Etcd, build_apiserver, write_kubeconfig
from tests.k8s.conftest import MANIFESTS, install_crds
from tests.k8s.kube import Kube
from tests.support.addresses import endpoint_ip
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.upstreams import EchoServer

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results"
API = "getambassador.io/v3alpha1"


def _mapping(namespace: str, name: str, prefix: str, service: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "Mapping", "metadata": {"name": name, "namespace": namespace},
            "spec": {"hostname": "*", "prefix": prefix, "service": service, **spec}}


def _poll(check: Any, timeout: float = 60.0) -> float:
    """Seconds until ``check()`` is true (polled as fast as it answers); raises after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.002)
    raise RuntimeError("timed out")


def _populate(kube: Kube, namespace: str, size: int, gw: Gateway, upstream: str) -> None:
    kube.namespace(namespace)
    kube.create({"apiVersion": API, "kind": "Listener", "metadata": {"name": "http", "namespace": namespace},
                 "spec": {"port": gw.ports.http, "protocol": "HTTP", "securityModel": "XFP",
                          "hostBinding": {"namespace": {"from": "SELF"}}}})
    kube.create({"apiVersion": API, "kind": "Host", "metadata": {"name": "any", "namespace": namespace},
                 "spec": {"hostname": "*", "requestPolicy": {"insecure": {"action": "Route"}}}})
    for i in range(size):
        kube.create(_mapping(namespace, f"m-{i}", f"/m-{i}/", upstream))


def _route_changes(kube: Kube, gw: Gateway, namespace: str, upstream: str, changes: int) -> list[float]:
    samples = []
    for i in range(-1, changes):  # the first is a warm-up
        path = f"/change-{i + 1}/"
        started = time.monotonic()
        kube.create(_mapping(namespace, f"change-{i + 1}", path, upstream))
        _poll(lambda p=path: request(gw.ports.http, p, timeout=5).status == 200)
        if i >= 0:
            samples.append((time.monotonic() - started) * 1000)
    return samples


def _assignment_addresses(gw: Gateway, key: str) -> set[str]:
    dump = request(gw.ports.admin, "/config_dump?resource=dynamic_endpoint_configs&include_eds", timeout=10).json()
    out: set[str] = set()
    for entry in dump.get("configs", ()):
        config = entry.get("endpoint_config", {})
        if config.get("cluster_name") == key:
            out |= {lb["endpoint"]["address"]["socket_address"]["address"]
                    for group in config.get("endpoints", ()) for lb in group.get("lb_endpoints", ())}
    return out


def _endpoint_changes(kube: Kube, gw: Gateway, namespace: str, changes: int) -> dict[str, Any]:
    """Endpoint addresses are data for Envoy's config only (documentation addresses, never dialled)."""
    kube.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": namespace},
                 "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": namespace},
                 "subsets": [{"addresses": [{"ip": endpoint_ip(254)}], "ports": [{"name": "http", "port": 8080}]}]}
    kube.create(endpoints)
    kube.create(_mapping(namespace, "eds", "/eds/", "web:80", resolver="endpoint"))
    key = f"k8s/{namespace}/web/80"
    _poll(lambda: _assignment_addresses(gw, key) == {endpoint_ip(254)})
    samples = []
    for i in range(changes):
        address = endpoint_ip(1 + i % 250)
        started = time.monotonic()
        kube.patch(endpoints, {"subsets": [{"addresses": [{"ip": address}], "ports": [{"name": "http", "port": 8080}]}]})
        _poll(lambda a=address: _assignment_addresses(gw, key) == {a})
        samples.append((time.monotonic() - started) * 1000)
    last = gw.diag()["reconfig"]["last"]
    return {"median_ms": statistics.median(samples), "max_ms": max(samples), "endpoints_only": last["endpoints_only"],
            "last_compile_ms": round(last["compile_seconds"] * 1000, 2)}


def _service_account(kube: Kube, server: ApiServer, root: Path) -> Path:
    kube.namespace("emissary")
    kube.apply_file(MANIFESTS / "rbac.yaml")
    token = kube.service_account_token("emissary", "emissary-py")
    return write_kubeconfig(root / "sa.kubeconfig", server=server.url, ca_file=server.ca_file, token=token)


def run_size(kube: Kube, kubeconfig: Path, size: int, changes: int, upstream: EchoServer, root: Path) -> dict[str, Any]:
    namespace = f"bench-{size}"
    gw = Gateway(root / namespace, env={
        "KUBECONFIG": str(kubeconfig), "AMBASSADOR_CONFIG_DIR": "", "AMBASSADOR_NAMESPACE": namespace,
        "AMBASSADOR_SINGLE_NAMESPACE": "true"})
    _populate(kube, namespace, size, gw, upstream.address)
    gw.start(ready_timeout=300)
    try:
        _poll(lambda: request(gw.ports.http, f"/m-{size - 1}/", timeout=5).status == 200, timeout=300)
        live = _route_changes(kube, gw, namespace, upstream.address, changes)
        eds = _endpoint_changes(kube, gw, namespace, changes)
        watt = gw.children()["watt"]
        return {"mappings": size, "write_to_route_ms": {"median": round(statistics.median(live), 1),
                                                         "min": round(min(live), 1), "max": round(max(live), 1),
                                                         "changes": len(live)},
                "endpoints_to_envoy_ms": {k: round(v, 1) if isinstance(v, float) else v for k, v in eds.items()},
                "watt_rss_mib": round(watt.memory_info().rss / 2**20, 1),
                "watt_pss_mib": round(psutil.Process(watt.pid).memory_full_info().pss / 2**20, 1)}
    finally:
        gw.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.k8s_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args(argv)
    binary = build_apiserver()
    with tempfile.TemporaryDirectory(prefix="bench-k8s-") as tmp:
        root = Path(tmp)
        etcd = Etcd(root / "etcd").start()
        server = ApiServer(root / "api", binary, etcd).start()
        upstream = EchoServer("bench").start()
        try:
            kube = Kube(server.kubeconfig)
            install_crds(kube)
            kubeconfig = _service_account(kube, server, root)
            rows = [run_size(kube, kubeconfig, size, args.changes, upstream, root) for size in args.sizes]
        finally:
            upstream.stop()
            server.stop()
            etcd.stop()
    for row in rows:
        print(json.dumps(row))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "k8s_latency.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
