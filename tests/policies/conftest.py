"""Gateway-policy suites: real auth, rate-limit, tracing and access-log services on loopback, one gateway per
module (the behaviour suite's fixtures), each service speaking its real protocol."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.behaviour.conftest import ca, gateway_for_module, upstreams  # noqa: F401 - shared module fixtures
from tests.builders import resource
from tests.support.gateway import Gateway
from tests.support.processes import wait_until
from tests.support.tls import CertificateAuthority, tls_secret

pytestmark = pytest.mark.envoy


def service(kind: str, name: str, spec: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """An AuthService, RateLimitService, TracingService or LogService resource."""
    return resource(kind, name, spec, **kwargs)


def trusting_context(name: str, ca: CertificateAuthority, sni: str) -> list[dict[str, Any]]:
    """A TLSContext ``name`` (and its CA Secret) that verifies a service's certificate from ``ca`` for ``sni``."""
    return [tls_secret(f"{name}-ca", ca_pem=ca.cert_pem),
            resource("TLSContext", name, {"ca_secret": f"{name}-ca", "sni": sni})]


def apply(gw: Gateway, name: str, *docs: dict[str, Any], until: Callable[[], Any], what: str,
          timeout: float = 20.0) -> Any:
    """Write (or replace) one config file and wait, bounded, until ``until`` says the change is live."""
    gw.write(name, yaml.safe_dump_all(list(docs), sort_keys=False))
    return wait_until(until, timeout=timeout, interval=0.1, what=what)


def errors_for(gw: Gateway, name: str) -> list[str]:
    """diag's error messages for the resource with this name."""
    return [p["message"] for p in gw.diag()["problems"] if p["name"] == name and p["severity"] == "error"]
