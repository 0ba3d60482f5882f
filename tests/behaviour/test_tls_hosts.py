"""Hosts, Listeners and TLS termination through real Envoy with certificates made in the test (SPEC §8 behaviours
21–28, 30): SNI filter chains, insecure actions, TLS versions, client certificates, wildcard Hosts, XFP."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.builders import host, listener, mapping, module, resource, to_yaml
from tests.support.gateway import Gateway
from tests.support.ports import free_port
from tests.support.tls import CertificateAuthority, client_context, common_name, https_request, tls_secret
from tests.support.upstreams import EchoServer

pytestmark = pytest.mark.envoy

TLS_HOSTS = ("redirect.example.com", "reject.example.com", "route.example.com", "strict.example.com",
             "max12.example.com", "mtls.example.com", "a.wild.example.com", "cross.example.com")


def _tls_host(name: str, hostname: str, secret: str, action: str | None, **spec: Any) -> dict[str, Any]:
    return host(name, hostname, action=action, tlsSecret={"name": secret}, **spec)


def _config(gw: Gateway, ca: CertificateAuthority, echo: EchoServer, edge_port: int) -> str:
    secrets = [tls_secret(h.split(".")[0] + "-cert", ca.issue(h)) for h in TLS_HOSTS]
    wild = ca.issue("*.wild.example.com")
    a = echo.address
    docs = [
        listener("http", gw.ports.http), listener("https", gw.ports.https, protocol="HTTPS"),
        listener("edge", edge_port, protocol="HTTP", l7Depth=1),
        module({"use_remote_address": False}),
        *secrets, tls_secret("wild-cert", wild), tls_secret("client-ca", ca_pem=ca.cert_pem),
        tls_secret("cross-cert", ca.issue("cross.example.com"), namespace="certs"),
        tls_secret("site-cert", ca.issue("site-a.example.com"), namespace="team-a"),
        tls_secret("site-cert", ca.issue("site-b.example.com"), namespace="team-b"),
        _tls_host("redirect", "redirect.example.com", "redirect-cert", None,
                  mappingSelector={"matchLabels": {"site": "redirect"}}),
        _tls_host("reject", "reject.example.com", "reject-cert", "Reject"),
        _tls_host("route", "route.example.com", "route-cert", "Route"),
        host("cleartext", "cleartext.example.com", action="Route"),
        resource("TLSContext", "tls13-only", {"hosts": ["strict.example.com"], "secret": "strict-cert",
                                              "min_tls_version": "v1.3"}),
        host("strict", "strict.example.com", action="Route", tlsSecret={"name": "strict-cert"},
             tlsContext={"name": "tls13-only"}),
        _tls_host("max12", "max12.example.com", "max12-cert", "Route", tls={"maxTlsVersion": "v1.2"}),
        resource("TLSContext", "mtls", {"hosts": ["mtls.example.com"], "secret": "mtls-cert",
                                        "ca_secret": "client-ca", "cert_required": True}),
        host("mtls", "mtls.example.com", action="Route", tlsSecret={"name": "mtls-cert"}, tlsContext={"name": "mtls"}),
        _tls_host("wild", "*.wild.example.com", "wild-cert", "Route"),
        _tls_host("a-wild", "a.wild.example.com", "a-cert", None),
        host("cross", "cross.example.com", action="Route", tlsSecret={"name": "cross-cert", "namespace": "certs"}),
        resource("Host", "site-a", {"hostname": "site-a.example.com", "tlsSecret": {"name": "site-cert"},
                                    "requestPolicy": {"insecure": {"action": "Route"}}}, namespace="team-a"),
        resource("Host", "site-b", {"hostname": "site-b.example.com", "tlsSecret": {"name": "site-cert"},
                                    "requestPolicy": {"insecure": {"action": "Route"}}}, namespace="team-b"),
        mapping("everywhere", "/app/", a),
        mapping("selected", "/selected/", a, hostname=None, labels={"site": "redirect"}),
        mapping("acme", "/.well-known/acme-challenge/", a),
    ]
    return to_yaml(*docs)


@pytest.fixture(scope="module")
def gw(gateway_for_module: Callable[..., Gateway], upstreams: Callable[..., EchoServer],
       ca: CertificateAuthority) -> Gateway:
    gateway = gateway_for_module()
    gateway.edge_port = free_port()  # type: ignore[attr-defined]
    gateway.write("all.yaml", _config(gateway, ca, upstreams("app"), gateway.edge_port))  # type: ignore[attr-defined]
    gateway.start()
    gateway.wait_for("/app/", 200, host="route.example.com")
    return gateway


@pytest.fixture(scope="module")
def client(ca: CertificateAuthority) -> ssl.SSLContext:
    return client_context(ca)


def https(gw: Gateway, context: ssl.SSLContext, sni: str, path: str = "/app/", **kwargs: Any) -> Any:
    return https_request(gw.ports.https, path, sni=sni, context=context, **kwargs)


def http(gw: Gateway, hostname: str, path: str = "/app/", **kwargs: Any) -> Any:
    return gw.get(path, port=gw.ports.https, host=hostname, **kwargs)


def test_tls_host_serves_https_and_redirects_http_with_301(gw: Gateway, client: ssl.SSLContext) -> None:
    status, _, body, _ = https(gw, client, "redirect.example.com", "/selected/x")
    assert status == 200 and b'"path": "/x"' in body
    resp = http(gw, "redirect.example.com", "/selected/x")
    assert resp.status == 301 and resp.headers["location"] == "https://redirect.example.com/selected/x"


def test_redirect_host_answers_404_not_301_for_a_path_without_a_route(gw: Gateway) -> None:
    assert http(gw, "redirect.example.com", "/no-route-here/").status == 404


def test_reject_host_serves_https_and_answers_http_with_404_except_acme(gw: Gateway, client: ssl.SSLContext) -> None:
    assert https(gw, client, "reject.example.com")[0] == 200
    assert http(gw, "reject.example.com").status == 404
    assert http(gw, "reject.example.com", "/.well-known/acme-challenge/token").status == 200


def test_route_host_serves_both_http_and_https(gw: Gateway, client: ssl.SSLContext) -> None:
    assert https(gw, client, "route.example.com")[0] == 200
    assert http(gw, "route.example.com").status == 200


def test_cleartext_host_serves_http_and_has_no_tls(gw: Gateway, client: ssl.SSLContext) -> None:
    assert http(gw, "cleartext.example.com").status == 200
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        https(gw, client, "cleartext.example.com")


def test_each_host_presents_its_own_certificate_for_its_sni(gw: Gateway, client: ssl.SSLContext) -> None:
    paths = {"redirect.example.com": "/selected/", "reject.example.com": "/app/", "route.example.com": "/app/",
             "cross.example.com": "/app/"}
    for hostname, path in paths.items():
        status, _, _, peer = https(gw, client, hostname, path)
        assert status == 200 and common_name(peer) == hostname


def test_same_named_secrets_in_two_namespaces_stay_distinct(gw: Gateway, client: ssl.SSLContext) -> None:
    assert common_name(https(gw, client, "site-a.example.com")[3]) == "site-a.example.com"
    assert common_name(https(gw, client, "site-b.example.com")[3]) == "site-b.example.com"


def test_min_tls_version_13_refuses_a_tls12_client(gw: Gateway, ca: CertificateAuthority) -> None:
    assert https(gw, client_context(ca, minimum=ssl.TLSVersion.TLSv1_3), "strict.example.com")[0] == 200
    with pytest.raises(ssl.SSLError):
        https(gw, client_context(ca, maximum=ssl.TLSVersion.TLSv1_2), "strict.example.com")


def test_inline_max_tls_version_12_refuses_a_tls13_only_client(gw: Gateway, ca: CertificateAuthority) -> None:
    assert https(gw, client_context(ca, maximum=ssl.TLSVersion.TLSv1_2), "max12.example.com")[0] == 200
    with pytest.raises(ssl.SSLError):
        https(gw, client_context(ca, minimum=ssl.TLSVersion.TLSv1_3), "max12.example.com")


def test_cert_required_refuses_a_client_without_a_certificate(gw: Gateway, ca: CertificateAuthority,
                                                            client: ssl.SSLContext, tmp_path: Path) -> None:
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        https(gw, client, "mtls.example.com")
    with_cert = client_context(ca, client=ca.issue("client.example.com", client=True), tmp_dir=tmp_path)
    assert https(gw, with_cert, "mtls.example.com")[0] == 200


def test_most_specific_host_wins_between_wildcard_and_exact(gw: Gateway, client: ssl.SSLContext) -> None:
    assert http(gw, "a.wild.example.com").status == 301
    assert http(gw, "b.wild.example.com").status == 200
    status, _, _, peer = https(gw, client, "b.wild.example.com")
    assert status == 200 and common_name(peer) == "*.wild.example.com"


def test_selector_mapping_attaches_only_to_the_selecting_host(gw: Gateway, client: ssl.SSLContext) -> None:
    assert https(gw, client, "redirect.example.com", "/selected/")[0] == 200
    assert https(gw, client, "route.example.com", "/selected/")[0] == 404


def test_l7_depth_listener_redirects_xfp_http_and_routes_xfp_https(gw: Gateway) -> None:
    port = gw.edge_port  # type: ignore[attr-defined]
    plain = gw.get("/selected/", port=port, host="redirect.example.com", headers={"x-forwarded-proto": "http"})
    assert plain.status == 301
    secure = gw.get("/selected/", port=port, host="redirect.example.com", headers={"x-forwarded-proto": "https"})
    assert secure.status == 200


def test_a_client_claiming_xfp_https_over_cleartext_is_still_redirected_without_l7_depth(gw: Gateway) -> None:
    """With l7Depth 0 Envoy trusts no downstream x-forwarded-proto, which is why cleartext chains carry only the
    insecure variant of each route: a client cannot talk its way past the redirect."""
    resp = http(gw, "redirect.example.com", "/selected/x", headers={"x-forwarded-proto": "https"})
    assert resp.status == 301 and resp.headers["location"] == "https://redirect.example.com/selected/x"


def test_private_keys_are_written_0600_and_never_shown_in_diag(gw: Gateway, ca: CertificateAuthority) -> None:
    secrets_dir = gw.base / "secrets"
    keys = sorted(secrets_dir.glob("*.key"))
    assert keys, "no key files were written"
    for key in keys:
        assert key.stat().st_mode & 0o777 == 0o600, key
    diag_text = json.dumps(gw.diag())
    for key in keys:
        body = key.read_text().strip().splitlines()[1]  # a line of the key's base64
        assert body not in diag_text
    envoy_dir_text = "".join(p.read_text() for p in (gw.base / "envoy").glob("*.json"))
    assert "PRIVATE KEY" not in envoy_dir_text and "PRIVATE KEY" not in diag_text
