"""supervisord (launched by entrypoint.supervise) and ambex run without OpenSSL mapped (ambex without grpcio's C
core too), and still work."""

import subprocess
import sys

_BLOCK = "from watt.formats.openssl import without_openssl\nwithout_openssl()\n"
_SUPERVISOR_MODULES = "supervisor.supervisord, supervisor.rpcinterface, supervisor.http, supervisor.supervisorctl"


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)


def _maps_after(code: str) -> str:
    return _run(f"{code}\nprint(open('/proc/self/maps').read())").stdout


def test_supervisord_imports_everything_it_serves_without_mapping_openssl() -> None:
    maps = _maps_after(f"{_BLOCK}import {_SUPERVISOR_MODULES}")
    assert "libcrypto" not in maps and "libssl" not in maps


def test_ambex_entry_point_keeps_openssl_and_grpcio_out() -> None:
    maps = _maps_after("import runpy, sys\nsys.argv = ['ambex', '--help']\n"
                       "try:\n    runpy.run_module('ambex', run_name='__main__')\nexcept SystemExit:\n    pass\n"
                       "print('modules:', 'ambex.grpc_h2' in sys.modules, 'grpc' in sys.modules)")
    assert "modules: True False" in maps  # ambex's own gRPC transport was imported, grpcio was not
    assert "libcrypto" not in maps and "libssl" not in maps and "cygrpc" not in maps


def test_supervisord_still_hashes_with_cpythons_own_digests() -> None:
    out = _run(f"{_BLOCK}from supervisor.compat import md5, sha1\nprint(sha1(b'').hexdigest(), md5(b'').hexdigest())")
    assert out.stdout.split() == ["da39a3ee5e6b4b0d3255bfef95601890afd80709", "d41d8cd98f00b204e9800998ecf8427e"]
    assert out.stderr == ""
