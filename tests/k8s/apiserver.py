"""A real etcd and kube-apiserver v1.20.2 on free loopback ports, for the Kubernetes tests.

The apiserver comes from ``scripts/build-kube-apiserver.sh`` (built once, then cached); etcd from Debian's
etcd-server. The admin identity is a static token in ``system:masters``; authorization is RBAC, so tests can also
act as a ServiceAccount bound to the shipped ClusterRole. Both processes are stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.ports import free_port
from tests.support.processes import start, stop, wait_until

__all__ = ["ApiServer", "Etcd", "build_apiserver", "ADMIN_TOKEN", "write_kubeconfig"]

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "emissary-py-test-admin-token"  # noqa: S105 - a loopback-only test server's static token
BUILD_TIMEOUT = 1500


def build_apiserver() -> str:
    """The cached kube-apiserver binary, built first if needed (scripts/build-kube-apiserver.sh)."""
    script = REPO / "scripts" / "build-kube-apiserver.sh"
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=BUILD_TIMEOUT,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{script} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result.stdout.strip().splitlines()[-1]


@dataclass
class Etcd:
    workdir: Path
    client_port: int = field(default_factory=free_port)
    peer_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    def start(self) -> Etcd:
        binary = shutil.which("etcd") or "/usr/bin/etcd"
        peer = f"http://127.0.0.1:{self.peer_port}"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = start([
            binary, "--name", "test", "--data-dir", str(self.workdir / "data"),
            "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"test={peer}", "--unsafe-no-fsync", "--log-level", "warn",
        ], log_path=str(self.workdir / "etcd.log"))
        wait_until(lambda: _get(f"{self.url}/health").startswith("{"), timeout=30, what="etcd /health")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


@dataclass
class ApiServer:
    """One kube-apiserver; several may share one etcd (a second one with ``--watch-cache=false`` to provoke 410)."""

    workdir: Path
    binary: str
    etcd: Etcd
    extra_flags: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.workdir / "certs" / "apiserver.crt"

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "admin.kubeconfig"

    def start(self) -> ApiServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "certs").mkdir(exist_ok=True)
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(f'{ADMIN_TOKEN},admin,admin,"system:masters"\n')
        key = self.workdir / "sa.key"
        if not key.exists():
            key.write_bytes(_rsa_key_pem())
        self.proc = start([
            self.binary, f"--etcd-servers={self.etcd.url}", "--bind-address=127.0.0.1",
            f"--secure-port={self.port}", f"--cert-dir={self.workdir / 'certs'}", f"--token-auth-file={tokens}",
            "--authorization-mode=RBAC", "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={key}", f"--service-account-signing-key-file={key}",
            "--service-cluster-ip-range=10.96.0.0/16", "--advertise-address=127.0.0.1",
            "--endpoint-reconciler-type=none", "--enable-priority-and-fairness=false", *self.extra_flags,
        ], log_path=str(self.workdir / "apiserver.log"))
        wait_until(self._ready, timeout=90, interval=0.2, what="kube-apiserver /readyz")
        write_kubeconfig(self.kubeconfig, server=self.url, ca_file=self.ca_file, token=ADMIN_TOKEN)
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            log = (self.workdir / "apiserver.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"kube-apiserver exited with {self.proc.returncode}:\n{log}")
        return _get(f"{self.url}/readyz", token=ADMIN_TOKEN) == "ok"

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


def write_kubeconfig(path: Path, *, server: str, ca_file: Path, token: str) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: test\n  cluster:\n    server: {server}\n    certificate-authority: {ca_file}\n"
        f"users:\n- name: test\n  user:\n    token: {token}\n"
        "contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n"
        "current-context: test\n"
    )
    os.chmod(path, 0o600)
    return path


def _rsa_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _get(url: str, *, token: str | None = None) -> str:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=2, context=context) as response:  # noqa: S310 - loopback
            return str(response.read().decode())
    except OSError:
        return ""
