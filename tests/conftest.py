"""Shared fixtures: real upstreams and a whole gateway on loopback ports, and the golden-file switch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.gateway import Gateway
from tests.support.upstreams import EchoServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*/expected from the current compiler and remove orphans")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def echo_factory() -> Iterator[Callable[[str], EchoServer]]:
    servers: list[EchoServer] = []

    def make(name: str) -> EchoServer:
        server = EchoServer(name).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def gateway_factory(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    """Make (not start) gateways rooted in this test's tmp dir; every one is stopped at teardown."""
    made: list[Gateway] = []

    def make(name: str = "gw", env: dict[str, str] | None = None) -> Gateway:
        gateway = Gateway(tmp_path / name, env=env)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.stop()
