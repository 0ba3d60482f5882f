"""The route table at 1,000 Mappings, loaded in a real browser: every row is there, and the page's size and
render time are recorded in ``tests/artifacts/browser/route-table-1000.json`` (figures, not a timing assertion)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from werkzeug.serving import make_server

from tests.browser.conftest import screenshot
from tests.builders import host, listener, mapping, to_yaml
from tests.diagd.sample import compiled_state, make_app, settings_for

MAPPINGS = 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    docs = [listener("l", 8080), host("h", "*", action="Route")]
    docs += [mapping(f"m{i:04d}", f"/svc{i}/", f"127.0.0.1:{10000 + i % 50}") for i in range(MAPPINGS)]
    settings = settings_for(tmp_path_factory.mktemp("scale"))
    app = make_app(compiled_state(to_yaml(*docs), settings), settings)[0]
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="diag-1000", daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join(10)


def test_route_table_with_1000_mappings(browser: WebDriver, server: int, artifacts: Path) -> None:
    url = f"http://127.0.0.1:{server}/ambassador/v0/diag/routes?internal=0"
    browser.get(url)  # the first load builds the diagnostics index; measure the second, as an operator sees it
    started = time.perf_counter()
    browser.get(url)
    loaded = time.perf_counter() - started
    rows = browser.find_elements(By.CSS_SELECTOR, "table.routes tbody tr")
    assert len(rows) == MAPPINGS
    assert browser.find_element(By.ID, "route-count").text.startswith(f"Showing {MAPPINGS} of {MAPPINGS}")
    timing = browser.execute_script(
        "const t = performance.getEntriesByType('navigation')[0];"
        "return {server_ms: t.responseStart - t.requestStart, transfer_ms: t.responseEnd - t.responseStart,"
        " dom_ready_ms: t.domContentLoadedEventEnd - t.startTime, load_ms: t.loadEventEnd - t.startTime,"
        " bytes: t.decodedBodySize};")
    figures = {"mappings": MAPPINGS, "rows": len(rows), "browser_get_s": round(loaded, 3),
               **{k: round(v, 1) if isinstance(v, float) else v for k, v in timing.items()}}
    (artifacts / "route-table-1000.json").write_text(json.dumps(figures, indent=1))
    print(f"\nroute table at {MAPPINGS} Mappings: {figures}")
    assert figures["bytes"] > 100_000
    screenshot(browser, artifacts, "11-route-table-1000")
