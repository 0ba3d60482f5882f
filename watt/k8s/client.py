"""A small JSON client for list and watch, on the official ``kubernetes`` package's configuration loaders.

The official package finds the credentials (in-cluster ServiceAccount with token refresh, or KUBECONFIG with its
contexts and exec plugins); the requests themselves go through one urllib3 pool so that watch streams are read
line by line as raw JSON, with BOOKMARK and ERROR events seen as the API server sends them, and no model classes.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import urllib3
from kubernetes import config as kube_config
from kubernetes.client import Configuration

__all__ = ["ApiError", "KubeClient", "WatchStream", "load_configuration"]


class ApiError(Exception):
    """An answer other than 2xx from the API server (or an ERROR watch event), with the server's own message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message

    @classmethod
    def from_status(cls, status: Mapping[str, Any], http_status: int = 0) -> ApiError:
        code = status.get("code") if isinstance(status.get("code"), int) else http_status
        return cls(int(code or 0), str(status.get("reason") or ""), str(status.get("message") or ""))


def load_configuration(kubeconfig: str | None) -> Configuration:
    """KUBECONFIG (its current context) when given, else the in-cluster ServiceAccount."""
    configuration = Configuration()
    if kubeconfig:
        kube_config.load_kube_config(config_file=kubeconfig, client_configuration=configuration,  # type: ignore[no-untyped-call]
                                     persist_config=False)
    else:
        kube_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    return configuration


class WatchStream:
    """One open watch: iterate decoded events; ``close()`` from another thread ends the iteration."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response

    def __iter__(self) -> Iterator[dict[str, Any]]:
        pending = b""
        for chunk in self._response.stream(65536, decode_content=True):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    yield json.loads(line)
        if pending.strip():
            yield json.loads(pending)

    def close(self) -> None:
        """End the watch; the connection is dropped, never reused half-read. Safe to call twice."""
        shutdown = getattr(self._response, "shutdown", None)
        if shutdown is not None:  # urllib3 ≥ 2.3: unblocks a read in progress in another thread
            try:
                shutdown()
            except RuntimeError:  # already released to the pool: the server ended the watch cleanly
                pass
        self._response.close()
        self._response.release_conn()


class KubeClient:
    def __init__(self, configuration: Configuration) -> None:
        self.configuration = configuration
        self.host = str(configuration.host).rstrip("/")
        self._pool = urllib3.PoolManager(num_pools=2, maxsize=64, block=False, **_tls_options(configuration))

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "emissary-py-watt"}
        settings: Mapping[str, Any] = self.configuration.auth_settings()  # refreshes an expiring token first
        for auth in settings.values():
            if auth.get("in") == "header" and auth.get("value"):
                headers[str(auth["key"]).title()] = str(auth["value"])
        headers.update(extra or {})
        return headers

    def _url(self, path: str, params: Mapping[str, str | int] | None) -> str:
        query = urlencode({k: v for k, v in (params or {}).items() if v not in (None, "")})
        return f"{self.host}{path}" + (f"?{query}" if query else "")

    def request(self, method: str, path: str, *, params: Mapping[str, str | int] | None = None,
                body: Any = None, content_type: str = "application/json", timeout: float = 30.0) -> dict[str, Any]:
        """One request with a JSON answer; raises ApiError on a non-2xx answer."""
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = self._headers({"Content-Type": content_type} if data is not None else None)
        response = self._pool.request(method, self._url(path, params), body=data, headers=headers,
                                      timeout=urllib3.Timeout(connect=10.0, read=timeout), retries=False)
        payload = _json_or_text(response.data)
        if not 200 <= response.status < 300:
            raise _error(response.status, payload)
        return payload if isinstance(payload, dict) else {}

    def watch(self, path: str, params: Mapping[str, str | int], *, read_timeout: float) -> WatchStream:
        """Open a watch (``watch=1`` is added); raises ApiError if the server refuses it outright."""
        response = self._pool.request("GET", self._url(path, {**params, "watch": 1}), headers=self._headers(),
                                      timeout=urllib3.Timeout(connect=10.0, read=read_timeout),
                                      retries=False, preload_content=False)
        if not 200 <= response.status < 300:
            payload = _json_or_text(response.read())
            response.release_conn()
            raise _error(response.status, payload)
        return WatchStream(response)


def _tls_options(configuration: Configuration) -> dict[str, Any]:
    if not str(configuration.host).startswith("https"):
        return {}
    options: dict[str, Any] = {"cert_reqs": ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE}
    if configuration.ssl_ca_cert:
        options["ca_certs"] = configuration.ssl_ca_cert
    if configuration.cert_file:
        options["cert_file"] = configuration.cert_file
    if configuration.key_file:
        options["key_file"] = configuration.key_file
    if configuration.tls_server_name:
        options["server_hostname"] = configuration.tls_server_name
    if not configuration.verify_ssl:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return options


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace").strip()


def _error(http_status: int, payload: Any) -> ApiError:
    if isinstance(payload, dict) and payload.get("kind") == "Status":
        return ApiError.from_status(payload, http_status)
    return ApiError(http_status, "", str(payload)[:500])
