from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.builders import host, listener, mapping, to_yaml
from tests.support.gateway import Gateway
from tests.support.upstreams import EchoServer


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[EchoServer, EchoServer]]:
    with EchoServer("alpha") as alpha, EchoServer("beta") as beta:
        yield alpha, beta


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, upstreams: tuple[EchoServer, EchoServer]) -> Iterator[Gateway]:
    """One running gateway for a test module: HTTP Listener, a catch-all Host, /backend/ → alpha."""
    alpha, _ = upstreams
    gw = Gateway(tmp_path_factory.mktemp("gateway"))
    gw.write("base.yaml", to_yaml(listener("http", gw.ports.http), host("any"),
                                   mapping("backend", "/backend/", alpha.address)))
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()
