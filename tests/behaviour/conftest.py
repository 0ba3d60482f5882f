"""Behaviour suite fixtures: one real gateway per test module, real upstreams, real certificates.

Each module writes all its resources once (``module_gateway``) and each test sends its own requests, so the
suite pays for one gateway start per module rather than per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.gateway import Gateway
from tests.support.tls import CertificateAuthority
from tests.support.upstreams import EchoServer

pytestmark = pytest.mark.envoy


@pytest.fixture(scope="session")
def ca() -> CertificateAuthority:
    return CertificateAuthority()


@pytest.fixture(scope="module")
def upstreams() -> Iterator[Callable[..., EchoServer]]:
    """Start echo servers that live as long as the test module."""
    started: list[EchoServer] = []

    def make(name: str, **kwargs: Any) -> EchoServer:
        server = EchoServer(name, **kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def gateway_for_module(tmp_path_factory: pytest.TempPathFactory,
                       request: pytest.FixtureRequest) -> Iterator[Callable[..., Gateway]]:
    """Make (not start) gateways for this module; all are stopped when the module ends."""
    made: list[Gateway] = []

    def make(env: dict[str, str] | None = None) -> Gateway:
        gateway = Gateway(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]), env=env)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.stop()
