"""HTTP AuthServices through real Envoy to real HTTP auth services (SPEC §8 behaviours 9, 29, 32, 34).

Two AuthServices with the same settings are one load-balanced auth service. Requests steer the auth services'
answers with ``x-auth-*`` headers (see ``tests/support/auth_servers``), which the AuthService allows through.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.builders import host, listener, mapping, to_yaml
from tests.policies.conftest import apply, service
from tests.support.auth_servers import AuthCall, HttpAuthServer
from tests.support.gateway import Gateway
from tests.support.http import Response, request
from tests.support.ports import free_port
from tests.support.upstreams import EchoServer
from tests.support.ws import WebSocketEcho

pytestmark = pytest.mark.envoy

AUTH_SETTINGS: dict[str, Any] = {
    "proto": "http", "path_prefix": "/extauth", "timeout_ms": 3000,
    "allowed_request_headers": ["x-auth-status", "x-auth-add", "x-auth-delay-ms", "x-foo", "x-marker"],
    "allowed_authorization_headers": ["x-auth-server", "x-auth-user", "x-route"],
    "include_body": {"max_bytes": 7, "allow_partial": True}, "status_on_error": {"code": 503},
    "add_auth_headers": {"x-added-auth": "auth-added"}, "add_linkerd_headers": True,
}


def _auth(name: str, address: str, **overrides: Any) -> dict[str, Any]:
    """An AuthService with the module's settings; an override of None leaves that setting out."""
    spec = {"auth_service": address, **AUTH_SETTINGS, **overrides}
    return service("AuthService", name, {k: v for k, v in spec.items() if v is not None})


@pytest.fixture(scope="module")
def servers(upstreams: Callable[..., EchoServer]) -> Iterator[dict[str, Any]]:
    found: dict[str, Any] = {n: upstreams(n) for n in ("app", "route-a", "route-b")}
    found["auth-1"], found["auth-2"] = HttpAuthServer("auth-1").start(), HttpAuthServer("auth-2").start()
    found["ws"] = WebSocketEcho().start()
    yield found
    for name in ("auth-1", "auth-2", "ws"):
        found[name].stop()


def _auth_services(up: dict[str, Any]) -> str:
    return to_yaml(_auth("auth-1", up["auth-1"].address), _auth("auth-2", up["auth-2"].address))


@pytest.fixture(scope="module")
def gw(gateway_for_module: Callable[..., Gateway], servers: dict[str, Any]) -> Gateway:
    gateway = gateway_for_module()
    app = servers["app"].address
    gateway.write("routes.yaml", to_yaml(
        listener("http", gateway.ports.http, l7Depth=1), host("any"),
        host("secure", "secure.example.com", action="Redirect"),
        mapping("app", "/app/", app),
        mapping("route-a", "/route/", servers["route-a"].address),
        mapping("route-b", "/route/", servers["route-b"].address, headers={"x-route": "b"}),
        mapping("open", "/open/", app, bypass_auth=True),
        mapping("ws", "/ws/", servers["ws"].address, use_websocket=True),
        mapping("moved", "/moved/", "target.example.com", host_redirect=True),
        mapping("acme", "/.well-known/acme-challenge/", app),
    ))
    gateway.write("auth.yaml", _auth_services(servers))
    gateway.start()
    gateway.wait_for("/app/", 200)
    return gateway


def _calls(up: dict[str, Any], marker: str) -> list[AuthCall]:
    return [c for s in ("auth-1", "auth-2") for c in up[s].calls if c.headers.get("x-marker") == marker]


def _total(up: dict[str, Any]) -> int:
    return up["auth-1"].count() + up["auth-2"].count()


def _get(gw: Gateway, path: str, **headers: str) -> tuple[Response, str]:
    marker = uuid.uuid4().hex
    return gw.get(path, headers={"x-marker": marker, **headers}), marker


def test_allowed_request_reaches_the_upstream_with_the_auth_services_headers(gw: Gateway,
                                                                             servers: dict[str, Any]) -> None:
    response, marker = _get(gw, "/app/page?q=1", **{"x-foo": "foo", "baz": "baz", "user-agent": "policy-test",
                                                   "x-auth-add": "x-auth-user=alice;x-not-allowed=1"})
    assert response.status == 200
    upstream = response.json()["headers"]
    assert upstream["x-auth-user"] == "alice" and upstream["x-auth-server"] in ("auth-1", "auth-2")
    assert "x-not-allowed" not in upstream
    (call,) = _calls(servers, marker)
    assert call.path == "/extauth/app/page?q=1" and call.method == "GET"
    assert call.headers["content-length"] == "0"
    assert call.headers["user-agent"] == "policy-test" and call.headers["x-foo"] == "foo"
    assert "x-forwarded-for" in call.headers and "x-forwarded-proto" in call.headers
    assert "baz" not in call.headers, "only allowed headers reach an HTTP auth service"
    assert call.headers["x-added-auth"] == "auth-added"
    assert call.headers["l5d-dst-override"] == servers["auth-1"].address


@pytest.mark.parametrize(("status", "added", "expected_header"), [
    (401, "www-authenticate=Basic realm=test;x-hidden=1", ("www-authenticate", "Basic realm=test")),
    (403, "set-cookie=session=none", ("set-cookie", "session=none")),
    (302, "location=https://login.example.com/", ("location", "https://login.example.com/")),
])
def test_denied_request_gets_the_auth_services_answer(gw: Gateway, servers: dict[str, Any], status: int, added: str,
                                                      expected_header: tuple[str, str]) -> None:
    before = servers["app"].count()
    response, _ = _get(gw, "/app/", **{"x-auth-status": str(status), "x-auth-add": added})
    assert response.status == status
    assert response.json()["status"] == status and response.json()["denied_by"] in ("auth-1", "auth-2")
    assert response.headers[expected_header[0]] == expected_header[1]
    assert "x-hidden" not in response.headers
    assert servers["app"].count() == before, "a denied request never reaches the upstream"


def test_auth_service_error_answers_status_on_error(gw: Gateway) -> None:
    assert _get(gw, "/app/", **{"x-auth-status": "500"})[0].status == 503


def test_a_header_added_by_the_auth_service_changes_the_route(gw: Gateway) -> None:
    assert _get(gw, "/route/")[0].json()["server"] == "route-a"
    assert _get(gw, "/route/", **{"x-auth-add": "x-route=b"})[0].json()["server"] == "route-b"


def test_bypass_auth_skips_the_auth_service(gw: Gateway, servers: dict[str, Any]) -> None:
    before = _total(servers)
    response, _ = _get(gw, "/open/", **{"x-auth-status": "401"})
    assert response.status == 200 and response.json()["server"] == "app"
    assert _total(servers) == before


def test_acme_challenges_skip_the_auth_service(gw: Gateway, servers: dict[str, Any]) -> None:
    before = _total(servers)
    response, _ = _get(gw, "/.well-known/acme-challenge/token", **{"x-auth-status": "401"})
    assert response.status == 200 and response.json()["path"] == "/token"
    assert _total(servers) == before


def test_two_auth_services_share_the_load(gw: Gateway, servers: dict[str, Any]) -> None:
    first, second = servers["auth-1"].count(), servers["auth-2"].count()
    for _ in range(30):
        assert _get(gw, "/app/")[0].status == 200
    assert servers["auth-1"].count() > first and servers["auth-2"].count() > second


@pytest.mark.parametrize(("body", "seen"), [(b"message_body", b"message"), (b"body", b"body")])
def test_the_body_reaches_the_auth_service_up_to_max_bytes(gw: Gateway, servers: dict[str, Any], body: bytes,
                                                           seen: bytes) -> None:
    marker = uuid.uuid4().hex
    response = request(gw.ports.http, "/app/", method="POST", body=body, headers={"x-marker": marker})
    assert response.status == 200 and response.json()["body"] == body.decode()
    (call,) = _calls(servers, marker)
    assert call.body == seen


def test_websocket_behind_the_auth_service_echoes_three_messages(gw: Gateway, servers: dict[str, Any]) -> None:
    marker = uuid.uuid4().hex
    with connect(f"ws://127.0.0.1:{gw.ports.http}/ws/", additional_headers={"x-marker": marker},
                 open_timeout=5, close_timeout=2) as ws:
        for message in ("one", "two", "three"):
            ws.send(message)
            assert ws.recv(timeout=5) == message
    (call,) = _calls(servers, marker)
    assert call.path == "/extauth/ws/"


def test_websocket_denied_by_the_auth_service_is_refused(gw: Gateway) -> None:
    with pytest.raises(InvalidStatus) as refused:
        with connect(f"ws://127.0.0.1:{gw.ports.http}/ws/", additional_headers={"x-auth-status": "403"},
                     open_timeout=5, close_timeout=2):
            pass
    assert refused.value.response.status_code == 403


def test_redirects_never_call_the_auth_service(gw: Gateway, servers: dict[str, Any]) -> None:
    before = _total(servers)
    to_https = gw.get("/app/x", host="secure.example.com", headers={"x-auth-status": "401"})
    assert to_https.status == 301 and to_https.headers["location"] == "https://secure.example.com/app/x"
    moved = gw.get("/moved/y?z=1", host="secure.example.com",
                   headers={"x-forwarded-proto": "https", "x-auth-status": "401"})
    assert moved.status == 301 and moved.headers["location"].startswith("https://target.example.com/moved/y")
    assert _total(servers) == before
    assert gw.get("/app/", host="secure.example.com", headers={"x-forwarded-proto": "https"}).status == 200
    assert _total(servers) == before + 1, "the secure route itself is checked"


def test_an_unreachable_auth_service_answers_status_on_error_or_lets_requests_through(
        gw: Gateway, servers: dict[str, Any]) -> None:
    dead = f"127.0.0.1:{free_port()}"
    steps = ((_auth("auth-1", dead, status_on_error=None), 403), (_auth("auth-1", dead), 503),
             (_auth("auth-1", dead, failure_mode_allow=True), 200))
    try:
        for doc, expected in steps:
            apply(gw, "auth.yaml", doc, until=lambda e=expected: gw.get("/app/").status == e,  # type: ignore[misc]
                  what=f"an unreachable auth service answering {expected}")
        assert gw.get("/app/").json()["server"] == "app"
    finally:
        apply(gw, "auth.yaml", _auth("auth-1", servers["auth-1"].address), _auth("auth-2", servers["auth-2"].address),
              until=lambda: _get(gw, "/app/", **{"x-auth-status": "401"})[0].status == 401,
              what="the working auth services again")
