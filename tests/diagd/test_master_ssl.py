"""diagd's gunicorn master runs without OpenSSL; its worker gets the real ssl module back."""

from __future__ import annotations

import subprocess
import sys

_MASTER = """
import sys
from diagd import master_ssl
assert master_ssl.install()
from diagd.server import DiagdServer
from diagd.settings import ServeSettings
server = DiagdServer(ServeSettings.from_env({"AMBASSADOR_HEALTHCHECK_PORT": "9877"}), {})
print("worker", server.cfg.worker_class.__name__, bool(server.cfg.is_ssl))
maps = open("/proc/self/maps").read()
print("openssl mapped", "libssl" in maps or "libcrypto" in maps)
try:
    sys.modules["ssl"].create_default_context
except AttributeError as exc:
    print("unavailable:", exc)
master_ssl.release()
import ssl
print("real ssl", hasattr(ssl, "SSLContext"), ssl.__file__ != master_ssl.STAND_IN)
"""


def _run(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.splitlines()


def test_the_master_configures_gunicorn_without_mapping_openssl_and_the_worker_gets_real_ssl() -> None:
    lines = _run(_MASTER)
    assert lines[0] == "worker ThreadWorker False", lines
    assert lines[1] == "openssl mapped False"
    assert lines[2].startswith("unavailable: ssl.create_default_context is not available in diagd's gunicorn master")
    assert lines[3] == "real ssl True True"


def test_install_leaves_a_loaded_ssl_alone_and_release_leaves_the_real_module() -> None:
    lines = _run("import ssl, sys\nfrom diagd import master_ssl\nprint(master_ssl.install())\n"
                 "master_ssl.release()\nprint(sys.modules['ssl'] is ssl)")
    assert lines == ["False", "True"]


def test_a_worker_that_writes_no_status_runs_without_openssl_and_still_hashes() -> None:
    code = ("from diagd import master_ssl\nmaster_ssl.install()\nimport diagd.server\n"
            "master_ssl.after_fork(needs_tls=False)\n"
            "import hashlib, urllib.request, http.client, flask, diagd.app, diagd.reconfig\n"
            "maps = open('/proc/self/maps').read()\n"
            "print('openssl mapped', 'libssl' in maps or 'libcrypto' in maps)\n"
            "print(hashlib.sha256(b'').hexdigest()[:16], hasattr(http.client, 'HTTPSConnection'))")
    assert _run(code) == ["openssl mapped False", "e3b0c44298fc1c14 False"]
