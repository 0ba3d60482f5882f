"""Assemble listeners × hosts × route groups (and TCPMappings) into filter chains and virtual hosts (SPEC §4.4)."""

from __future__ import annotations

import functools
import hashlib
import heapq
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from diagd.compile.ir.attach import host_takes, listener_takes_host
from diagd.compile.ir.gateway import FilterChain, ListenerPlan, RouteAction, RouteVariant, VirtualHost
from diagd.compile.ir.groups import GroupMember, RouteGroup
from diagd.compile.ir.host import Host, InsecureAction
from diagd.compile.ir.listener import Listener, SecurityModel
from diagd.compile.ir.mapping import AttachKind
from diagd.compile.ir.tls import TLSContext
from diagd.compile.memo import CompileMemo
from diagd.compile.model.problems import Diagnostics

__all__ = ["plan_listeners", "route_variants"]


@functools.lru_cache(maxsize=None)
def route_variants(model: SecurityModel, insecure: InsecureAction, acme: bool, *,
                   scheme: str | None = None) -> tuple[tuple[str | None, RouteAction], ...]:
    """The (x-forwarded-proto condition, action) pairs a Mapping gets in one Host's virtual host. They depend on the
    Mapping only through ``acme`` (an ACME challenge path is always routed), so they are computed once per case.

    ``scheme`` is what x-forwarded-proto is bound to be on this filter chain, when it is known: on a Listener with
    ``l7Depth: 0`` Envoy trusts no downstream x-forwarded-proto and sets it from the connection, so a TLS chain only
    ever sees "https" and a cleartext chain only "http". Then only the variant that can match is emitted, with no
    header condition: the same behaviour with half the routes.
    """
    return tuple(_variants(model, InsecureAction.ROUTE if acme else insecure, scheme))


def _variants(model: SecurityModel, insecure: InsecureAction,
              scheme: str | None) -> Iterator[tuple[str | None, RouteAction]]:
    if model is SecurityModel.XFP and scheme == "https":
        yield None, RouteAction.ROUTE
        return
    if model is SecurityModel.XFP and scheme == "http":
        if insecure is not InsecureAction.REJECT:
            yield None, RouteAction.ROUTE if insecure is InsecureAction.ROUTE else RouteAction.REDIRECT_HTTPS
        return
    if model is SecurityModel.SECURE:
        yield None, RouteAction.ROUTE
        return
    if model is SecurityModel.INSECURE:
        if insecure is not InsecureAction.REJECT:
            yield None, RouteAction.ROUTE if insecure is InsecureAction.ROUTE else RouteAction.REDIRECT_HTTPS
        return
    if insecure is InsecureAction.ROUTE:
        yield None, RouteAction.ROUTE  # secure and insecure would be the same route: emit it once
        return
    yield "https", RouteAction.ROUTE
    if insecure is InsecureAction.REDIRECT:
        yield None, RouteAction.REDIRECT_HTTPS


_Kind = AttachKind
_Shape = tuple[str, int, bool, str]  # group_id, member index, ACME challenge, the Mapping's rkey
_Placed = tuple[int, int, _Shape]  # a member's group position, its index in the group, and its shape


class _Attachments:
    """Which group members a Host takes depends only on a member's hostname, labels and internal flag (its "kind"):
    members are indexed by kind once, so each Host costs one decision per distinct kind plus its own routes.

    With a memo, decisions are remembered per (Host fingerprint, kind), and a virtual host is rebuilt only when the
    kinds its Host takes, or the shape of those kinds' members (see ``check``), changed.
    """

    def __init__(self, groups: tuple[RouteGroup, ...], strict: bool, memo: CompileMemo | None) -> None:
        self.groups = groups
        self.strict = strict
        self.memo = memo
        self._taken: dict[object, tuple[tuple[_Kind, ...], tuple[_Kind, ...]]] = {}
        # Equal RouteVariants are one object across compiles, so rendering can tell unchanged routes by identity.
        self.variants: dict[tuple[str, int, str], RouteVariant] = memo.variants.values if memo is not None else {}
        self._decided = False
        self._decisions: dict[tuple[Any, Any], bool] = {}  # without a memo: this compile's
        self.built: dict[tuple[object, ...], VirtualHost] = {}  # without a memo: this compile's, by the memo's key
        index = _index_of(groups, memo)
        self.by_kind, self.everything, self.labels, self.shapes = index.by_kind, index.everything, index.labels, \
            index.shapes
        self.kinds = tuple(self.by_kind)

    def kinds_for(self, host: Host) -> tuple[_Kind, ...]:
        """The kinds ``host`` takes: as in the previous compile when neither the kinds nor the Host's fingerprint
        changed, else decided per kind (each decision remembered per fingerprint and kind)."""
        fingerprint = (host.hostname, tuple(sorted(host.mapping_selector.items())) if host.mapping_selector else None)
        current = self._taken.get(fingerprint)  # the same Host on another Listener, or a Host like it
        if current is not None:
            return current[1]
        memo = self.memo
        previous = memo.taken.get(fingerprint) if memo is not None else None
        if previous is not None and previous[0] == self.kinds:
            taken = previous[1]
        else:
            decisions: dict[tuple[Any, Any], bool] = memo.takes if memo is not None else self._decisions
            taken = tuple(kind for kind in self.kinds if self._decide(decisions, fingerprint, host, kind))
        self._taken[fingerprint] = (self.kinds, taken)
        return taken

    def _decide(self, decisions: dict[tuple[Any, Any], bool], fingerprint: object, host: Host, kind: _Kind) -> bool:
        key = (fingerprint, kind)
        decision = decisions.get(key)
        if decision is None:
            decision = decisions[key] = host_takes(host, kind[0], self.labels[kind], internal=kind[1],
                                                   strict=self.strict)
            self._decided = True
        return decision

    def members_for(self, kinds: tuple[_Kind, ...]) -> Iterator[_Placed]:
        """The members of these kinds, in global route order."""
        if len(kinds) == len(self.by_kind):  # a Host that takes every Mapping (a catch-all) takes them in order
            return iter(self.everything)
        return heapq.merge(*(self.by_kind[kind] for kind in kinds))

    def check(self, kinds: tuple[_Kind, ...]) -> tuple[object, ...]:
        """What a virtual host's IR is made of: the kinds its Host takes and, for each, its members' group, position,
        ACME flag and source. A change inside a Mapping that leaves these alone (a timeout, a rewrite, a weight)
        keeps the virtual host as it is; its routes are rendered from the new groups."""
        return (*kinds, *[self.shapes[kind] for kind in kinds])

    def finish(self) -> None:
        """Keep what this compile used: the kinds per Host, and (after new decisions) the decisions that can still
        be asked for."""
        memo = self.memo
        if memo is None:
            return
        memo.taken = self._taken
        memo.variants.prune(lambda: {group.group_id for group in self.groups}, operator.itemgetter(0))
        if self._decided:
            memo.takes = {key: decision for key, decision in memo.takes.items()
                          if key[0] in self._taken and key[1] in self.by_kind}


@dataclass(frozen=True)
class _Index:
    """Group members by kind, in route order (see _Attachments)."""

    by_kind: dict[_Kind, list[_Placed]]
    everything: list[_Placed]  # every member in route order
    labels: dict[_Kind, Mapping[str, str]]
    shapes: dict[_Kind, tuple[_Shape, ...]]


def _index_of(groups: tuple[RouteGroup, ...], memo: CompileMemo | None) -> _Index:
    """The index of ``groups``; with a memo, the previous one while every group's attachments are equal (the same
    groups in the same order with the same members' kinds and shapes: a route-level edit)."""
    layout = [group.attachments for group in groups]
    previous = memo.plan_index if memo is not None else None
    if previous is not None and previous[0] == layout:
        index: _Index = previous[1]
        return index
    index = _build_index(groups)
    if memo is not None:
        memo.plan_index = (layout, index)
    return index


def _build_index(groups: tuple[RouteGroup, ...]) -> _Index:
    by_kind: dict[_Kind, list[_Placed]] = {}
    everything: list[_Placed] = []
    labels: dict[_Kind, Mapping[str, str]] = {}
    shapes: dict[_Kind, list[_Shape]] = {}
    for gi, group in enumerate(groups):
        for kind, mi, shape in group.attachments:
            positions = by_kind.get(kind)
            if positions is None:
                positions = by_kind[kind] = []
                shapes[kind] = []
                labels[kind] = group.members[mi].mapping.labels
            position = (gi, mi, shape)
            positions.append(position)
            everything.append(position)
            shapes[kind].append(shape)
    return _Index(by_kind, everything, labels, {kind: tuple(shape) for kind, shape in shapes.items()})


def plan_listeners(listeners: tuple[Listener, ...], hosts: tuple[Host, ...], groups: tuple[RouteGroup, ...],
                   *, strict_selectors: bool, diag: Diagnostics,
                   tcp_chains: Mapping[int, tuple[FilterChain, ...]] | None = None,
                   memo: CompileMemo | None = None) -> tuple[ListenerPlan, ...]:
    plans = []
    attachments = _Attachments(groups, strict_selectors, memo)
    for listener in sorted(listeners, key=lambda lst: (lst.port, lst.name)):
        taken = sorted((h for h in hosts if listener_takes_host(listener, h)), key=lambda h: (h.hostname, h.name))
        tcp = (tcp_chains or {}).get(listener.port, ())
        http = _chains(listener, taken, attachments, diag) if listener.protocol.has_http else ()
        chains = (*tcp, *_without_conflicts(listener, http, tcp, diag))
        if not chains:
            if not listener.synthesized:  # a synthesized Listener's TCPMappings already carry their errors
                diag.error(listener.ref, "NoMatchingHosts", "No matching Hosts/TCPMappings found, disabling!")
            continue
        plans.append(ListenerPlan(listener=listener, chains=chains))
    attachments.finish()
    return tuple(plans)


def _without_conflicts(listener: Listener, http: tuple[FilterChain, ...], tcp: tuple[FilterChain, ...],
                       diag: Diagnostics) -> tuple[FilterChain, ...]:
    """TCP chains win: an HTTP chain with the same match as a TCP chain is dropped."""
    taken = {(c.matches_tls, c.server_names) for c in tcp}
    kept = []
    for chain in http:
        if (chain.matches_tls, chain.server_names) in taken:
            hosts = ", ".join(vh.hostname for vh in chain.virtual_hosts)
            diag.notice(listener.ref, "TCPMappingWins", f"{listener.name}: a TCPMapping takes the connections "
                        f"{'for SNI ' + ', '.join(chain.server_names) if chain.server_names else 'of this chain'}; "
                        f"HTTP for {hosts} is not served there")
            continue
        kept.append(chain)
    return tuple(kept)


def _tls_chains(listener: Listener, hosts: list[Host], attachments: _Attachments,
                diag: Diagnostics) -> list[FilterChain]:
    """One chain per SNI name; Hosts sharing an SNI name share the chain if their TLS settings agree."""
    by_sni: dict[str, tuple[TLSContext, list[Host]]] = {}
    for host in hosts:
        if host.tls is None:
            continue
        entry = by_sni.get(host.sni)
        if entry is None:
            by_sni[host.sni] = (host.tls, [host])
        elif entry[0].identity != host.tls.identity:
            diag.error(host.ref, "DuplicateSNI", f"{listener.name}: TLS Host {host.name}: discarding because "
                       f"mismatching TLSContext between Hosts matching on dns hostname={host.sni}")
        else:
            entry[1].append(host)
    chains = []
    for sni, (context, members) in by_sni.items():
        vhosts = _unique_vhosts(listener, members, attachments, diag, tls=True)
        chains.append(FilterChain(name=f"httpshost-{members[0].name}", server_names=() if sni == "*" else (sni,),
                                  tls=context, route_config=_route_config_name(f"tls-{sni}", listener, vhosts),
                                  virtual_hosts=vhosts))
    return chains


def _chains(listener: Listener, hosts: list[Host], attachments: _Attachments,
            diag: Diagnostics) -> tuple[FilterChain, ...]:
    chains = _tls_chains(listener, hosts, attachments, diag) if listener.protocol.has_tls else []
    cleartext = [h for h in hosts if not (listener.security_model is SecurityModel.INSECURE
                                          and h.insecure_action is InsecureAction.REJECT)]
    vhosts = _unique_vhosts(listener, cleartext, attachments, diag, tls=False)
    if vhosts:
        chains.append(FilterChain(name="httphost-shared", server_names=(), tls=None,
                                  route_config=_route_config_name("cleartext", listener, vhosts), virtual_hosts=vhosts))
    return tuple(chains)


def _route_config_name(chain: str, listener: Listener, vhosts: tuple[VirtualHost, ...]) -> str:
    """Named by what decides its content, so that chains with the same Hosts under the same security model (an HTTP
    and an HTTPS Listener's cleartext chains, typically) share one route configuration, which Envoy then loads
    once per change instead of once per Listener."""
    basis = repr((chain, listener.security_model.value, listener.l7_depth, tuple(vh.name for vh in vhosts)))
    return f"routes-{chain}-{hashlib.sha1(basis.encode('utf-8')).hexdigest()[:12]}"


def _unique_vhosts(listener: Listener, hosts: list[Host], attachments: _Attachments,
                   diag: Diagnostics, *, tls: bool) -> tuple[VirtualHost, ...]:
    by_hostname: dict[str, Host] = {}
    for host in hosts:
        if host.hostname in by_hostname:
            diag.error(host.ref, "DuplicateHostname", f"{listener.name}: hostname {host.hostname} is already served "
                       f"by {by_hostname[host.hostname].ref.describe()}; this Host is skipped on that Listener")
            continue
        by_hostname[host.hostname] = host
    scheme = None if listener.l7_depth else "https" if tls else "http"
    return tuple(_virtual_host(listener, host, attachments, scheme) for host in by_hostname.values())


def _virtual_host(listener: Listener, host: Host, attachments: _Attachments, scheme: str | None) -> VirtualHost:
    kinds = attachments.kinds_for(host)
    key = (listener.security_model, listener.l7_depth, scheme, host.ref.rkey, host.name, host.namespace,
           host.hostname, host.insecure_action)  # not the Listener's name: equal chains of two Listeners share their virtual hosts
    memo = attachments.memo
    if memo is None:
        vhost = attachments.built.get(key)
        if vhost is None:
            vhost = attachments.built[key] = _build_virtual_host(listener, host, attachments, scheme, kinds)
        return vhost
    vhost = memo.vhosts.get(key, Diagnostics(), lambda k, _: _build_virtual_host(listener, host, attachments, scheme, k),
                            kinds, check=attachments.check(kinds))
    assert isinstance(vhost, VirtualHost)
    return vhost


def _build_virtual_host(listener: Listener, host: Host, attachments: _Attachments, scheme: str | None,
                        kinds: tuple[_Kind, ...]) -> VirtualHost:
    routes: list[RouteVariant] = []
    sources: set[str] = set()
    model, insecure = listener.security_model, host.insecure_action
    by_acme = {acme: [(xfp, action, f"{xfp}:{action.value}") for xfp, action in
                      route_variants(model, insecure, acme, scheme=scheme)] for acme in (False, True)}
    pool = attachments.variants
    for _, _, (group_id, mi, acme, rkey) in attachments.members_for(kinds):
        variants = by_acme[acme]
        if variants:
            for xfp, action, case in variants:
                variant = pool.get(key := (group_id, mi, case))
                if variant is None:
                    variant = pool[key] = RouteVariant(group=group_id, member=mi, xfp=xfp, action=action)
                routes.append(variant)
            sources.add(rkey)
    return VirtualHost(name=f"{host.name}.{host.namespace}", hostname=host.hostname, domains=(host.hostname,),
                       host=host.ref.rkey, routes=tuple(routes), sources=frozenset(sources))
