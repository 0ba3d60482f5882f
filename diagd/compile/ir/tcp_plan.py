"""TCPMappings → TCP filter chains per port, and the Listeners Emissary synthesizes for ports no Listener has."""

from __future__ import annotations

from collections.abc import Mapping

from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.gateway import FilterChain, TcpProxy
from diagd.compile.ir.listener import HostBinding, Listener, Protocol, SecurityModel
from diagd.compile.ir.tcp import TcpMapping
from diagd.compile.model.problems import Diagnostics

__all__ = ["tcp_chains_by_port", "synthesized_listeners"]


def _weights(members: list[TcpMapping], diag: Diagnostics) -> list[tuple[TcpMapping, int]]:
    """Relative weights: given ones as written, the rest of 100 split evenly over unweighted members."""
    given = sum(m.weight for m in members if m.weight is not None)
    unweighted = [m for m in members if m.weight is None]
    if given > 100:
        for member in members:
            diag.error(member.ref, "InvalidWeight", f"the weights of the TCPMappings on port {member.port} "
                       f"(host {member.host or '*'}) add up to {given}, over 100; they are not routed")
        return []
    share = (100 - given) // len(unweighted) if unweighted else 0
    weighted = [(m, m.weight if m.weight is not None else max(share, 1 if given == 0 else 0)) for m in members]
    return [(m, w) for m, w in weighted if w > 0]


def _chain(port: int, host: str | None, members: list[TcpMapping], clusters: Mapping[Upstream, str],
           diag: Diagnostics) -> FilterChain | None:
    weights = _weights(members, diag)
    if not weights:
        return None
    first = members[0]
    contexts = {m.tls for m in members}
    if len(contexts) > 1:
        diag.error(first.ref, "MismatchedTLSContext", f"TCPMappings for {host} on port {port} disagree on TLS")
    sni = host if host and host != "*" else None
    proxy = TcpProxy(stat_prefix=f"ingress_tcp_{port}" if host is None else f"ingress_tls_{port}_{host}",
                     clusters=tuple((clusters[m.upstream], w) for m, w in weights),
                     idle_timeout_ms=first.idle_timeout_ms, sources=tuple(m.ref.rkey for m in members))
    return FilterChain(name=f"tcphost-{first.ref.name}", server_names=(sni,) if sni else (), tls=first.tls,
                       route_config="", virtual_hosts=(), tcp=proxy, match_tls=host is not None)


def tcp_chains_by_port(tcp: tuple[TcpMapping, ...], clusters: Mapping[Upstream, str],
                       diag: Diagnostics) -> dict[int, tuple[FilterChain, ...]]:
    """One chain per (port, SNI host); several TCPMappings for the same pair split its connections by weight."""
    buckets: dict[tuple[int, str | None], list[TcpMapping]] = {}
    for mapping in tcp:
        buckets.setdefault((mapping.port, mapping.host), []).append(mapping)
    out: dict[int, list[FilterChain]] = {}
    for (port, host), members in sorted(buckets.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        chain = _chain(port, host, members, clusters, diag)
        if chain is not None:
            out.setdefault(port, []).append(chain)
    return {port: tuple(chains) for port, chains in out.items()}


def synthesized_listeners(tcp: tuple[TcpMapping, ...], listeners: tuple[Listener, ...]) -> tuple[Listener, ...]:
    """A Listener for every TCPMapping port that no Listener resource has: TLS if any of its TCPMappings has a
    host, else TCP (named ``listener-<address>-<port>`` as Emissary names them)."""
    taken = {listener.port for listener in listeners}
    made: dict[int, Listener] = {}
    for mapping in tcp:
        if mapping.port in taken:
            continue
        tls = mapping.host is not None or (mapping.port in made and made[mapping.port].protocol is Protocol.TLS)
        protocol = Protocol.TLS if tls else Protocol.TCP
        made[mapping.port] = Listener(
            ref=made[mapping.port].ref if mapping.port in made else mapping.ref,
            name=f"listener-{mapping.address}-{mapping.port}", port=mapping.port, bind_address=mapping.address,
            protocol=protocol, security_model=SecurityModel.XFP,
            host_binding=HostBinding(from_all=False, namespace=""),
            stats_prefix=f"ingress_{protocol.value.lower()}_{mapping.port}", synthesized=True)
    return tuple(made[port] for port in sorted(made))
