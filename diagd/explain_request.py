"""The request being explained, as Envoy sees it once it reached a listener's HTTP connection manager.

A person types a method, host, path and headers (and says whether the connection is TLS). Envoy then picks a
listener and a filter chain, normalises the path, sets ``X-Forwarded-Proto`` and matches on pseudo-headers
(``:authority``, ``:method``, ``:path``, ``:scheme``); ``request_view`` applies those steps and records each one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diagd.envoy_match import Check, normalize_path, parse_query, split_path

__all__ = ["ExplainRequest", "RequestView", "pick_listener", "chain_for", "hcm_of", "HCM_NAME", "parse_header_lines"]

HCM_NAME = "envoy.filters.network.http_connection_manager"
_MAX_HEADERS = 100


def parse_header_lines(text: str) -> tuple[tuple[str, str], ...]:
    """``Name: value`` lines (blank and malformed lines skipped) → ((name, value), …), names lower-cased."""
    out = []
    for line in text.splitlines()[:_MAX_HEADERS]:
        name, sep, value = line.partition(":")
        if sep and name.strip() and " " not in name.strip():
            out.append((name.strip().lower(), value.strip()))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ExplainRequest:
    method: str = "GET"
    host: str = ""
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    scheme: str = "http"
    listener: str | None = None  # a listener name or port; None picks the first that serves the scheme

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ExplainRequest:
        path = (args.get("path") or "/").strip() or "/"
        return cls(
            method=(args.get("method") or "GET").strip().upper()[:16] or "GET",
            host=(args.get("host") or "").strip()[:255],
            path=path if path.startswith("/") else "/" + path,
            headers=parse_header_lines(args.get("headers") or ""),
            scheme="https" if (args.get("scheme") or "").lower() == "https" else "http",
            listener=(args.get("listener") or "").strip() or None,
        )


@dataclass(slots=True)
class RequestView:
    """The request after Envoy's connection manager: what routes are matched against."""

    method: str
    host: str
    path: str
    original_path: str
    scheme: str
    headers: dict[str, str]
    query: list[tuple[str, str]]
    host_for_domains: str
    notes: list[Check] = field(default_factory=list)
    suppress_envoy_headers: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "host": self.host, "path": self.path, "original_path": self.original_path,
                "scheme": self.scheme, "headers": dict(self.headers)}


def hcm_of(chain: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The HTTP connection manager's typed_config in a filter chain, if it has one."""
    for flt in (chain or {}).get("filters", ()):
        if flt.get("name") == HCM_NAME or str(flt.get("typed_config", {}).get("@type", "")).endswith(
                "HttpConnectionManager"):
            return dict(flt.get("typed_config", {}))
    return None


def _port(listener: Mapping[str, Any]) -> int | None:
    value = listener.get("address", {}).get("socket_address", {}).get("port_value")
    return int(value) if value is not None else None


def _is_tls(chain: Mapping[str, Any]) -> bool:
    return bool(chain.get("filter_chain_match", {}).get("transport_protocol") == "tls")


def pick_listener(request: ExplainRequest, listeners: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any] | None,
                                                                                           Check]:
    if not listeners:
        return None, Check(False, "the configuration has no Listener: Envoy serves no user traffic")
    if request.listener:
        for listener in listeners:
            if request.listener in (str(listener.get("name")), str(_port(listener))):
                return listener, Check(True, f"listener {listener.get('name')} (port {_port(listener)}), as asked")
        return None, Check(False, f"no listener is named or listens on {request.listener!r}")
    want_tls = request.scheme == "https"
    for listener in listeners:
        if any(_is_tls(c) == want_tls for c in listener.get("filter_chains", ())):
            return listener, Check(True, f"listener {listener.get('name')} (port {_port(listener)}): the first that "
                                         f"serves {request.scheme}")
    first = listeners[0]
    return first, Check(True, f"listener {first.get('name')} (port {_port(first)}): no listener serves "
                              f"{request.scheme}; showing the first")


def _sni_matches(names: Sequence[str], sni: str) -> int | None:
    """Envoy's server_names order: exact (0), then wildcard ``*.x`` (1), then a chain without names (2)."""
    if not names:
        return 2
    if sni in names:
        return 0
    if any(n.startswith("*.") and sni.endswith(n[1:]) for n in names):
        return 1
    return None


def chain_for(listener: Mapping[str, Any], request: ExplainRequest) -> tuple[Mapping[str, Any] | None, Check]:
    chains = list(listener.get("filter_chains", ()))
    if request.scheme != "https":
        for chain in chains:
            if not _is_tls(chain):
                return chain, Check(True, f"cleartext filter chain {chain.get('name', '')!r}")
        return None, Check(False, "this listener has no cleartext filter chain: Envoy closes a plain HTTP connection")
    sni = request.host.rsplit(":", 1)[0].lower() if request.host.count(":") == 1 else request.host.lower()
    ranked = [(rank, i) for i, c in enumerate(chains) if _is_tls(c)
              and (rank := _sni_matches(c.get("filter_chain_match", {}).get("server_names", ()), sni)) is not None]
    if not ranked:
        return None, Check(False, f"no TLS filter chain takes SNI {sni!r}: the TLS handshake fails")
    chain = chains[min(ranked)[1]]
    return chain, Check(True, f"TLS filter chain {chain.get('name', '')!r} for SNI {sni!r}")


def _forwarded_proto(request: ExplainRequest, hcm: Mapping[str, Any], given: str | None) -> tuple[str, Check]:
    trusted = int(hcm.get("xff_num_trusted_hops", 0) or 0)
    if given and (trusted > 0 or hcm.get("use_remote_address") is False):
        return given, Check(True, f"X-Forwarded-Proto {given!r} from the client is kept (a trusted proxy set it)")
    note = f"X-Forwarded-Proto is set to {request.scheme!r}, the scheme of the connection"
    if given and given != request.scheme:
        note += f" (the client's {given!r} is not trusted: l7Depth is 0)"
    return request.scheme, Check(True, note)


def _domain_host(host: str, hcm: Mapping[str, Any], listener_port: int | None) -> str:
    name, sep, port = host.rpartition(":")
    if not sep or "]" in port or not port.isdigit():
        return host
    if hcm.get("strip_any_host_port") or (hcm.get("strip_matching_host_port") and port == str(listener_port)):
        return name
    return host


def request_view(request: ExplainRequest, listener: Mapping[str, Any] | None,
                 hcm: Mapping[str, Any] | None) -> RequestView:
    hcm = hcm or {}
    headers = {k: v for k, v in request.headers if not k.startswith(":")}
    host = request.host or headers.get("host", "")
    normalize = hcm.get("normalize_path", False) is not False
    path = normalize_path(request.path, normalize=normalize, merge_slashes=bool(hcm.get("merge_slashes")))
    notes = []
    if path != request.path:
        notes.append(Check(True, f"Envoy normalises the path {request.path!r} to {path!r} before matching"))
    proto, note = _forwarded_proto(request, hcm, headers.get("x-forwarded-proto"))
    notes.append(note)
    headers.pop("host", None)
    headers.update({":authority": host, ":method": request.method, ":path": path, ":scheme": request.scheme,
                    "x-forwarded-proto": proto})
    return RequestView(method=request.method, host=host, path=path, original_path=request.path, scheme=request.scheme,
                       headers=headers, query=parse_query(split_path(path)[1]),
                       host_for_domains=_domain_host(host, hcm, _port(listener or {})), notes=notes,
                       suppress_envoy_headers=_suppresses_envoy_headers(hcm))


def _suppresses_envoy_headers(hcm: Mapping[str, Any]) -> bool:
    for flt in hcm.get("http_filters", ()):
        if str(flt.get("name", "")).endswith(".router"):
            return bool(flt.get("typed_config", {}).get("suppress_envoy_headers"))
    return False
