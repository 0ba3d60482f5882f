"""Secrets never leave diagd: a configuration holding real private keys (a TLS Secret with ``data``,
``stringData`` and kubectl's last-applied annotation, and a key pasted into a Mapping's annotation) is crawled page by
page, HTML and JSON, and no response carries any of the key's bytes."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from diagd.redact import install_log_redaction, redact_body, scrub_text
from tests.diagd.sample import key_markers, make_app, settings_for, tls_material

PAGES = ["/ambassador/v0/diag/", "/ambassador/v0/diag/errors", "/ambassador/v0/diag/routes",
         "/ambassador/v0/diag/clusters", "/ambassador/v0/diag/listeners", "/ambassador/v0/diag/resources",
         "/ambassador/v0/diag/history", "/ambassador/v0/diag/explain?host=secure.example.com&path=/backend/",
         "/metrics", "/debug", "/_internal/v0/debug/stacks"]


def _assert_clean(body: str, where: str) -> None:
    for marker in key_markers(tls_material()):
        assert marker not in body, f"{where} shows key material ({marker[:12]}…)"


def _crawl(get: Callable[..., Any]) -> dict[str, str]:
    keys = [r["rkey"] for r in get("/ambassador/v0/diag/resources?json=true").get_json()["resources"]]
    assert "config/gateway.yaml.5" in keys  # the Secret is listed, so its page is crawled too
    paths = PAGES + [f"/ambassador/v0/diag/{key}" for key in keys]
    seen = {}
    for path in paths:
        for variant in (path, path + ("&" if "?" in path else "?") + "json=true"):
            response = get(variant)
            assert response.status_code == 200, variant
            seen[variant] = response.get_data(as_text=True)
    seen["snapshot"] = get("/ambassador/v0/diag/snapshot").get_data(as_text=True)
    return seen


def test_no_page_or_json_shows_key_material(get: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="diagd.app"):
        pages = _crawl(get)
    assert len(pages) > 40
    for where, body in pages.items():
        _assert_clean(body, where)
    # Redaction happened where resources enter the index, not only in the last-resort response filter.
    assert not [r for r in caplog.records if "key material" in r.getMessage()]


def test_a_key_typed_into_the_explain_form_is_not_echoed(get: Callable[..., Any]) -> None:
    key = tls_material().key_pem
    for suffix in ("", "&json=true"):
        body = get("/ambassador/v0/diag/explain?" + urlencode({"host": "h", "path": "/", "headers": f"x-k: {key}"})
                   + suffix)
        _assert_clean(body.get_data(as_text=True), "explain echo")


def test_the_response_filter_catches_what_slipped_through(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = settings_for(tmp_path)
    app = make_app(None, settings)[0]
    app.add_url_rule("/leak", "leak", lambda: {"oops": tls_material().key_pkcs8})
    with caplog.at_level(logging.ERROR, logger="diagd.app"):
        body = app.test_client().get("/leak").get_data(as_text=True)
    _assert_clean(body, "a view that leaked")
    assert "<redacted private key>" in body
    assert [r for r in caplog.records if "key material" in r.getMessage()]


def test_the_secret_page_says_what_was_elided(get: Callable[..., Any]) -> None:
    data = get("/ambassador/v0/diag/config/gateway.yaml.5?json=true").get_json()
    assert data["resource"]["kind"] == "Secret"
    assert "tls.key: <redacted> (" in data["yaml"] and "tls.crt: <redacted> (" in data["yaml"]
    assert "last-applied-configuration: <redacted>" in data["yaml"]


def test_the_snapshot_download_is_complete_but_redacted(get: Callable[..., Any]) -> None:
    snapshot = json.loads(get("/ambassador/v0/diag/snapshot").get_data(as_text=True))
    kinds = [o["body"]["kind"] for o in snapshot["objects"]]
    assert kinds.count("Mapping") == 10 and "Secret" in kinds
    leaky = next(o for o in snapshot["objects"] if o["body"]["metadata"]["name"] == "leaky")
    assert leaky["body"]["metadata"]["annotations"]["note"].strip() == "<redacted private key>"


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_scrub_removes_plain_escaped_and_base64_keys(kind: str) -> None:
    material = tls_material(kind)
    for text in (material.key_pem, material.key_pkcs8, json.dumps({"k": material.key_pem}),
                 base64.b64encode(material.key_pem.encode()).decode(),
                 json.dumps({"data": {"tls.key": base64.b64encode(material.key_pkcs8.encode()).decode()}})):
        cleaned = scrub_text(f"before {text} after")
        assert "PRIVATE KEY" not in cleaned and "redacted private key" in cleaned
        assert cleaned.startswith("before ") and cleaned.endswith(" after")


def test_scrub_keeps_certificates_and_ordinary_text() -> None:
    material = tls_material()
    assert scrub_text(material.cert_pem) == material.cert_pem
    cert_b64 = base64.b64encode(material.cert_pem.encode()).decode()
    assert scrub_text(cert_b64) == cert_b64
    assert scrub_text("prefix: /backend/") == "prefix: /backend/"


def test_redact_body_elides_secret_payloads_only_for_secrets() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "data": {"token": "c2VjcmV0"}, "stringData": {"p": "pw"}}
    shown = redact_body("Secret", secret)
    assert shown["data"] == {"token": "<redacted> (8 characters)"} and shown["stringData"]["p"].startswith("<red")
    assert secret["data"]["token"] == "c2VjcmV0"  # the original is untouched
    config = {"kind": "ConfigMap", "data": {"greeting": "hello"}}
    assert redact_body("ConfigMap", config) == config


def test_log_lines_are_scrubbed() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.redaction")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        install_log_redaction(logger)
        logger.error("bad secret %s", tls_material().key_pem)
        logger.error("clean line %d", 7)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    _assert_clean(text, "log")
    assert "bad secret <redacted private key>" in text and "clean line 7" in text
