"""`make run`: start two demo upstreams and the gateway on this directory, print what to try, stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from demo_upstream import serve  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def main() -> int:
    serve("demo-a", 8780)
    serve("demo-b", 8781)
    env = dict(os.environ)
    env.setdefault("AMBASSADOR_CONFIG_BASE_DIR", str(REPO / ".run" / "quickstart"))
    diag_port = env.get("AMBASSADOR_HEALTHCHECK_PORT", "8877")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "entrypoint", "run", "--config-dir", str(HERE)], env=env,
                            start_new_session=True)

    def stop(*_: object) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    urllib.request.install_opener(opener)
    if wait_ready(f"http://127.0.0.1:{diag_port}/ambassador/v0/check_ready", proc):
        print(f"\nemissary-py is ready ({time.monotonic() - started:.1f} s). Try:\n"
              "  curl http://localhost:8080/backend/          # demo-a, path rewritten to /\n"
              "  curl http://localhost:8080/echo/hello        # demo-a, path kept\n"
              "  curl http://localhost:8080/canary/           # 80 % demo-a, 20 % demo-b\n"
              "  curl http://localhost:8443/backend/          # the HTTPS Listener also serves cleartext\n"
              f"  open http://localhost:{diag_port}/ambassador/v0/diag/   # diagnostics\n"
              f"Edit {HERE}/mappings.yaml and the routes change live. Ctrl-C stops everything.\n", flush=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        stop()
        return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
