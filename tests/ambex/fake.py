"""A fake Envoy on one ADS stream: sends requests to an ``AdsStream`` and checks every response it gets back."""

from __future__ import annotations

import hashlib
from pathlib import Path

from google.rpc.status_pb2 import Status

from ambex.snapshot import Resource, Snapshot
from ambex.status import StatusReporter
from ambex.stream import AdsStream
from envoy.service.discovery.v3.discovery_pb2 import DiscoveryRequest, DiscoveryResponse

__all__ = ["FakeEnvoy", "res", "snap"]


def res(name: str, body: str = "", refs: tuple[str, ...] = ()) -> Resource:
    data = (body or name).encode()
    return Resource(name=name, body=data, digest=hashlib.sha256(data).hexdigest()[:16], refs=frozenset(refs))


def snap(seq: int, **by_type: list[Resource]) -> Snapshot:
    from ambex.snapshot import CLUSTER, ENDPOINT, LISTENER, ROUTE

    urls = {"clusters": CLUSTER, "endpoints": ENDPOINT, "listeners": LISTENER, "routes": ROUTE}
    return Snapshot(seq=seq, resources={urls[k]: {r.name: r for r in v} for k, v in by_type.items()})


class FakeEnvoy:
    def __init__(self, tmp: Path) -> None:
        self.reporter = StatusReporter(str(tmp / "status.json"))
        self.stream = AdsStream(1, self.reporter)
        self.received: list[DiscoveryResponse] = []
        self._last_nonce = 0

    def _check(self, responses: list[DiscoveryResponse], type_url: str | None = None) -> list[DiscoveryResponse]:
        for response in responses:
            nonce = int(response.nonce)
            assert nonce > self._last_nonce, "nonces must increase"
            self._last_nonce = nonce
            assert all(r.type_url == response.type_url for r in response.resources), "resource type must match"
            if type_url is not None and response.type_url != type_url:
                assert response.type_url in self.stream.watches  # a follow-up of another type is allowed
        self.received.extend(responses)
        return responses

    def request(self, type_url: str, snapshot: Snapshot | None, *, version: str = "", nonce: str = "",
                names: tuple[str, ...] = (), error: str | None = None) -> list[DiscoveryResponse]:
        req = DiscoveryRequest(type_url=type_url, version_info=version, response_nonce=nonce,
                               resource_names=list(names))
        req.node.id = "test-id"
        if error is not None:
            req.error_detail.CopyFrom(Status(code=3, message=error))
        return self._check(self.stream.handle(req, snapshot), type_url)

    def ack(self, response: DiscoveryResponse, snapshot: Snapshot | None,
            names: tuple[str, ...] = ()) -> list[DiscoveryResponse]:
        return self.request(response.type_url, snapshot, version=response.version_info, nonce=response.nonce,
                            names=names)

    def nack(self, response: DiscoveryResponse, snapshot: Snapshot | None, message: str,
             accepted_version: str = "", names: tuple[str, ...] = ()) -> list[DiscoveryResponse]:
        return self.request(response.type_url, snapshot, version=accepted_version, nonce=response.nonce,
                            names=names, error=message)

    def update(self, snapshot: Snapshot) -> list[DiscoveryResponse]:
        return self._check(self.stream.update(snapshot))

    @staticmethod
    def names(response: DiscoveryResponse) -> list[str]:
        return [r.value.decode() for r in response.resources]
