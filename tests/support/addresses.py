"""Endpoint addresses for objects stored in the test apiserver.

The apiserver refuses loopback IPs in Endpoints and EndpointSlices, so those objects use TEST-NET-1 (RFC 5737,
192.0.2.0/24): reserved for documentation and never routed. They are data in Envoy's configuration; no test or
benchmark sends a request to one (they read Envoy's config dump). Everything that is dialled is on 127.0.0.1.
"""

from __future__ import annotations

__all__ = ["endpoint_ip"]


def endpoint_ip(n: int) -> str:
    """The ``n``-th documentation address, 1 ≤ n ≤ 254."""
    if not 1 <= n <= 254:
        raise ValueError(f"endpoint address number {n} is outside 1..254")
    return f"192.0.2.{n}"
