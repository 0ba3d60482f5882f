"""The diagnostics UI in a real browser, against a real gateway: what a person sees on the overview, the errors,
a filtered route table, a resource page, clusters, history, and "explain a request" for a matching and a
non-matching request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import screenshot
from tests.diagd.sample import sample_yaml
from tests.support.gateway import Gateway
from tests.support.upstreams import EchoServer

pytestmark = [pytest.mark.envoy, pytest.mark.slow]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    main, other = EchoServer("main").start(), EchoServer("other").start()
    gw = Gateway(tmp_path_factory.mktemp("uigw"), env={"AMBASSADOR_MEMORY_LOG_INTERVAL": "1"})
    gw.write("gateway.yaml", sample_yaml(upstream=main.address, other=other.address,
                                         ports=(gw.ports.http, gw.ports.https)))
    gw.start(ready_timeout=120)
    gw.wait_for("/backend/", 200, timeout=30)
    for _ in range(5):
        gw.get("/backend/x", host="example.com")
    yield gw
    gw.stop()
    main.stop()
    other.stop()


def _open(browser: WebDriver, gw: Gateway, path: str) -> str:
    browser.get(f"http://127.0.0.1:{gw.ports.diag}{path}")
    return browser.find_element(By.TAG_NAME, "body").text


def _click(browser: WebDriver, text: str) -> str:
    """Follow a link and return the new page's visible text."""
    old = browser.find_element(By.TAG_NAME, "body")
    browser.find_element(By.LINK_TEXT, text).click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(old))
    return browser.find_element(By.TAG_NAME, "body").text


def test_overview(browser: WebDriver, gateway: Gateway, artifacts: Path) -> None:
    text = _open(browser, gateway, "/ambassador/v0/diag/")
    assert browser.title == "Overview · emissary-py diagnostics"
    for seen in ("System", "Envoy", "ready", "Last reconfiguration", "compile", "Resources", "Mapping",
                 "Errors and notices", "2 errors", "service: is required", "Route table", "/canary/"):
        assert seen in text, seen
    assert browser.find_element(By.CSS_SELECTOR, "header nav .badge.error").text == "2"
    screenshot(browser, artifacts, "01-overview")


def test_errors_page_and_link_to_the_resource(browser: WebDriver, gateway: Gateway, artifacts: Path) -> None:
    _open(browser, gateway, "/ambassador/v0/diag/")
    text = _click(browser, "Errors 2")
    assert "2 errors and" in text and "default/no-service" in text and "service: is required" in text
    assert "InvalidWeight" in text and "from gateway.yaml:" in text
    screenshot(browser, artifacts, "02-errors")
    text = _click(browser, "default/no-service")
    assert "Mapping default/no-service" in text and "has errors" in text and "InvalidField" in text
    screenshot(browser, artifacts, "03-resource-with-error")


def test_route_table_with_a_filter(browser: WebDriver, gateway: Gateway, artifacts: Path) -> None:
    _open(browser, gateway, "/ambassador/v0/diag/routes")
    total = browser.find_element(By.ID, "route-count").text
    path = browser.find_element(By.NAME, "path")
    path.send_keys("/canary/x")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("path=%2Fcanary%2Fx"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.routes tbody tr")
    sources = {row.find_elements(By.TAG_NAME, "td")[-1].text.split(" ")[0] for row in rows}
    assert sources == {"default/canary-main", "default/canary-next"}
    assert len(rows) >= 8  # two Mappings × two listeners × at least two virtual hosts
    assert browser.find_element(By.ID, "route-count").text.startswith(f"Showing {len(rows)} of {len(rows)} matching")
    assert total != browser.find_element(By.ID, "route-count").text
    screenshot(browser, artifacts, "04-routes-filtered")


def test_resource_page(browser: WebDriver, gateway: Gateway, artifacts: Path) -> None:
    _open(browser, gateway, "/ambassador/v0/diag/routes?resource=api-users")
    text = _click(browser, "default/api-users")
    assert "Mapping default/api-users" in text and "accepted" in text
    source = browser.find_element(By.CSS_SELECTOR, "pre.source").text
    assert "host_rewrite: users.internal" in source and "hostname: api.example.com" in source
    assert "Envoy routes" in text and "host_rewrite_literal" in text
    screenshot(browser, artifacts, "05-resource")
    secret = _open(browser, gateway, "/ambassador/v0/diag/resources?kind=Secret")
    assert "default/secure-cert" in secret
    text = _click(browser, "default/secure-cert")
    assert "tls.key: <redacted>" in text and "PRIVATE KEY" not in browser.page_source
    screenshot(browser, artifacts, "06-secret-redacted")


def _explain(browser: WebDriver, gw: Gateway, host: str, path: str, headers: str = "") -> str:
    _open(browser, gw, "/ambassador/v0/diag/explain")
    browser.find_element(By.NAME, "host").send_keys(host)
    browser.find_element(By.NAME, "path").send_keys(path)
    if headers:
        browser.find_element(By.NAME, "headers").send_keys(headers)
    browser.find_element(By.CSS_SELECTOR, "form.explain button").click()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("path="))
    return browser.find_element(By.ID, "verdict").text


def test_explain_a_matching_request(browser: WebDriver, gateway: Gateway, artifacts: Path) -> None:
    verdict = _explain(browser, gateway, "api.example.com", "/users/42")
    assert "GET http://api.example.com/users/42" in verdict and "100% →" in verdict
    assert "users.internal/v1/users/42" in verdict
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "100% of these requests go upstream, routed by default.api-users" in text
    assert "Host header\nusers.internal" in text and "timeout\n1500 ms" in text
    chosen = browser.find_element(By.CSS_SELECTOR, "table.tried tr.chosen").text
    assert "default.api-users" in chosen and "takes 100%" in chosen
    passed = browser.find_elements(By.CSS_SELECTOR, "table.tried tbody tr:not(.chosen)")
    assert passed and all("passed over" in row.text for row in passed)
    screenshot(browser, artifacts, "07-explain-match")


def test_explain_a_request_that_matches_nothing(browser: WebDriver, gateway: Gateway, artifacts: Path) -> None:
    verdict = _explain(browser, gateway, "www.example.com", "/users/42")
    assert "100% → 404 Not Found: no route matches" in verdict
    rows = browser.find_elements(By.CSS_SELECTOR, "table.tried tbody tr")
    api = next(row for row in rows if "default.api-users" in row.text)
    assert "header :authority must match exact 'api.example.com'; it is 'www.example.com'" in api.text
    assert not browser.find_elements(By.CSS_SELECTOR, "table.tried tr.chosen")
    screenshot(browser, artifacts, "08-explain-no-match")


def test_clusters_and_history(browser: WebDriver, gateway: Gateway, artifacts: Path) -> None:
    text = _open(browser, gateway, "/ambassador/v0/diag/clusters")
    assert "healthy" in text and "100% healthy" in text
    screenshot(browser, artifacts, "09-clusters")
    _open(browser, gateway, "/ambassador/v0/diag/history")
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 2 and all(c.size["height"] > 100 for c in charts)
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect title")  # bars of the phase chart
    screenshot(browser, artifacts, "10-history")
