"""The compiler's steps, in the one order they run. ``compile`` is the package's entry point.

snapshot → resources (common rules) → Module options → Secrets → TLSContexts → Listeners → Hosts → external services
(auth, rate limit, tracing, logs) → Mappings → TCPMappings → clusters → groups → plan → Envoy. Every step records problems per resource and lets the rest go on.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

from diagd.compile.envoy.endpoints import render_load_assignments
from diagd.compile.envoy.output import EnvoyConfig, render_envoy
from diagd.compile.ir.cluster import Cluster, Upstream
from diagd.compile.ir.clusters import assign_clusters
from diagd.compile.ir.external import ExternalServices
from diagd.compile.ir.gateway import Gateway, ListenerPlan
from diagd.compile.ir.groups import RouteGroup, build_groups
from diagd.compile.ir.host import Host, InsecureAction
from diagd.compile.ir.listener import Listener
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.ir.plan import plan_listeners
from diagd.compile.ir.tcp import TcpMapping
from diagd.compile.ir.tcp_plan import synthesized_listeners, tcp_chains_by_port
from diagd.compile.ir.tls import TLSContext
from diagd.compile.ir.unrouted import report_unrouted
from diagd.compile.kinds import authservice as authservice_kind
from diagd.compile.kinds import host as host_kind
from diagd.compile.kinds import listener as listener_kind
from diagd.compile.kinds import logservice as logservice_kind
from diagd.compile.kinds import mapping as mapping_kind
from diagd.compile.kinds import module as module_kind
from diagd.compile.kinds import ratelimitservice as ratelimitservice_kind
from diagd.compile.kinds import resolvers as resolver_kind
from diagd.compile.kinds import tcpmapping as tcpmapping_kind
from diagd.compile.kinds import tlscontext as tlscontext_kind
from diagd.compile.kinds import tracingservice as tracingservice_kind
from diagd.compile.kinds.annotations import expand_annotations
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.endpoints import load_assignments
from diagd.compile.kinds.gateway_api import set_aside_gateway_api
from diagd.compile.kinds.ingress import ingress_statuses, translate_ingresses
from diagd.compile.kinds.probes import probe_mappings
from diagd.compile.kinds.resources import AMBASSADOR_KINDS, Collected, Resource, collect_resources
from diagd.compile.kinds.secrets import FALLBACK_SECRET, SecretStore
from diagd.compile.kinds.sources import report_source_problems
from diagd.compile.kinds.statsd import report_statsd_problems
from diagd.compile.kinds.status import resource_statuses
from diagd.compile.memo import CompileMemo
from diagd.compile.model.problems import Diagnostics, Problem, ResourceRef
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Location, Snapshot
from diagd.compile.model.status import StatusUpdate
from diagd.compile.splice import mapped, split

__all__ = ["compile", "refresh_endpoints", "CompileResult", "STEPS", "HANDLED_KINDS"]

_KEY = operator.attrgetter("key")
_KIND = operator.attrgetter("kind")
_REF = operator.attrgetter("ref")

HANDLED_KINDS = frozenset({"Module", "Listener", "Host", "Mapping", "Secret", "TLSContext", "TCPMapping",
                           "AuthService", "RateLimitService", "TracingService", "LogService",
                           *resolver_kind.RESOLVER_KINDS})


@dataclass(frozen=True, slots=True)
class CompileResult:
    """``secret_files`` maps paths under ``settings.secrets_dir`` to PEM bytes that diagd writes (mode 0600) before
    the configuration that references them; they are the only place key material appears."""

    ir: Gateway
    envoy: EnvoyConfig
    problems: tuple[Problem, ...]
    resources: tuple[ResourceRef, ...]
    secret_files: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    status_updates: tuple[StatusUpdate, ...] = ()


@dataclass
class _Build:
    """Accumulates one compile's intermediate results; private to this module."""

    settings: CompileSettings
    diag: Diagnostics
    by_kind: dict[str, list[Resource]]
    secrets: SecretStore
    options: GatewayOptions = field(default_factory=GatewayOptions)
    tls_contexts: dict[str, TLSContext] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)
    hosts: list[Host] = field(default_factory=list)
    mappings: list[HttpMapping] = field(default_factory=list)
    tcp_mappings: list[TcpMapping] = field(default_factory=list)
    clusters: tuple[Cluster, ...] = ()
    cluster_names: dict[Upstream, str] = field(default_factory=dict)
    groups: tuple[RouteGroup, ...] = ()
    plans: tuple[ListenerPlan, ...] = ()
    services: ExternalServices = field(default_factory=ExternalServices)
    ingresses: tuple[Resource, ...] = ()
    memo: CompileMemo | None = None

    @property
    def ctx(self) -> KindContext:
        return KindContext(settings=self.settings, options=self.options, secrets=self.secrets,
                           tls_contexts=self.tls_contexts,
                           upstreams=self.memo.upstreams.values if self.memo is not None else {})


def _module(build: _Build) -> None:
    build.options = module_kind.parse_options(build.by_kind.get("Module", []), build.diag)


def _secrets(build: _Build) -> None:
    for res in build.by_kind.get("Secret", []):
        build.secrets.add(res)


def _tls_contexts(build: _Build) -> None:
    """TLSContexts by name; a same-named one from another namespace is known as ``name.namespace``."""
    for res in build.by_kind.get("TLSContext", []):
        context = tlscontext_kind.parse(res, build.secrets, build.diag)
        if context is not None:
            key = res.name if res.name not in build.tls_contexts else f"{res.name}.{res.namespace}"
            build.tls_contexts[key] = context


def _listeners(build: _Build) -> None:
    seen: dict[tuple[str, int], Listener] = {}
    for res in build.by_kind.get("Listener", []):
        listener = listener_kind.parse(res, build.ctx, build.diag)
        if listener is None:
            continue
        key = (listener.bind_address, listener.port)
        if key in seen:
            build.diag.error(res.ref, "DuplicateListener", f"port {listener.port} on {listener.bind_address} is "
                             f"already used by {seen[key].ref.describe()}; this Listener is ignored")
            continue
        seen[key] = listener
        build.listeners.append(listener)
    if not build.listeners and not build.by_kind.get("TCPMapping"):
        build.diag.notice(None, "NoListeners", "no Listener resources: Envoy serves no user traffic")


def _ingresses(build: _Build) -> None:
    """Our Ingresses become Mapping and Host resources, compiled by the steps that follow."""
    out = translate_ingresses(ingresses=build.by_kind.get("Ingress", []), classes=build.by_kind.get("IngressClass", []),
                              services=build.by_kind.get("Service", []), settings=build.settings, diag=build.diag)
    build.ingresses = out.ingresses
    build.by_kind.setdefault("Host", []).extend(out.hosts)
    build.by_kind.setdefault("Mapping", []).extend(out.mappings)


def _hosts(build: _Build) -> None:
    ctx, store = build.ctx, build.secrets

    def parse(res: Resource, diag: Diagnostics) -> tuple[Host | None, dict[str, bytes]]:
        with store.recording() as files:
            host = host_kind.parse(res, ctx, diag)
        return host, files
    memo = build.memo.hosts if build.memo is not None else None
    if memo is not None:  # a Host's result depends on the Secrets it names: they are part of the context
        memo.begin((ctx.settings, ctx.options, ctx.tls_contexts, tuple(build.by_kind.get("Secret", ()))))
    for host, files in mapped(build.by_kind.get("Host", []), build.diag, parse, memo, key=_KEY):
        store.files.update(files)
        if host is not None:
            build.hosts.append(host)
    if not build.by_kind.get("Host"):
        build.hosts.append(_default_host(build))


def _default_host(build: _Build) -> Host:
    """SPEC §4.5: ``default-host`` ``*``, TLS with the fallback Secret when it exists, else cleartext only."""
    namespace = build.settings.namespace
    ref = ResourceRef(kind="Host", name="default-host", namespace=namespace, rkey=f"default-host.{namespace}.1",
                      location=Location(kind="Host", namespace=namespace, name="default-host"))
    if build.secrets.exists(namespace, FALLBACK_SECRET):
        cert = build.secrets.certificate(namespace, FALLBACK_SECRET, ref, build.diag)
        if cert is not None:
            tls = TLSContext(ref=ref, name="default-host-context", hosts=("*",), certificate=cert)
            return Host(ref=ref, name="default-host", namespace=namespace, hostname="*",
                        insecure_action=InsecureAction.REDIRECT, tls=tls, synthesized=True)
    build.diag.notice(None, "DefaultHost", "No TLS termination and no fallback cert -- defaulting to "
                      "cleartext-only.")
    return Host(ref=ref, name="default-host", namespace=namespace, hostname="*",
                insecure_action=InsecureAction.ROUTE, synthesized=True)


def _external_services(build: _Build) -> None:
    """AuthServices, the RateLimitService, the TracingService and LogServices (SPEC §4.6)."""
    kinds, ctx, diag = build.by_kind, build.ctx, build.diag
    auth, failure = authservice_kind.auth_services(kinds.get("AuthService", []), ctx, diag)
    build.services = ExternalServices(
        auth=auth, auth_failure=failure,
        ratelimit=ratelimitservice_kind.rate_limit_service(kinds.get("RateLimitService", []), ctx, diag),
        tracing=tracingservice_kind.tracing_service(kinds.get("TracingService", []), ctx, diag),
        log_services=logservice_kind.log_services(kinds.get("LogService", []), ctx, diag),
    )


def _mappings(build: _Build) -> None:
    ctx = build.ctx
    table = build.memo.mappings if build.memo is not None else None
    if table is not None:
        table.begin((ctx.settings, ctx.options, ctx.tls_contexts))
    def parse(res: Resource, diag: Diagnostics) -> HttpMapping | None:
        mapping = mapping_kind.parse(res, ctx, diag)
        if mapping is None:
            return None
        upstream = ctx.interned(mapping.upstream)  # (a plain one already is; see KindContext.upstreams)
        return mapping if upstream is mapping.upstream else dataclasses.replace(mapping, upstream=upstream)

    build.mappings.extend(filter(None, mapped(build.by_kind.get("Mapping", []), build.diag, parse, table, key=_KEY)))
    if table is None:
        build.mappings.extend(probe_mappings(build.options, build.settings, build.diag))
        return
    probes = build.memo.probes if build.memo is not None else None
    assert probes is not None
    probes.begin((build.options, build.settings))
    build.mappings.extend(probes.get("probes", build.diag, lambda b, child: probe_mappings(b.options, b.settings, child),
                                     build))


def _tcp_mappings(build: _Build) -> None:
    for res in build.by_kind.get("TCPMapping", []):
        mapping = tcpmapping_kind.parse(res, build.ctx, build.diag, build.hosts)
        if mapping is not None:
            build.tcp_mappings.append(mapping)


def _resolvers(build: _Build) -> None:
    table = resolver_kind.resolver_table(build.by_kind, build.diag)
    defaults = resolver_kind.ResolverDefaults.from_modules(build.by_kind.get("Module", []))

    @functools.cache
    def resources() -> dict[str, Resource]:
        return {res.ref.rkey: res for kind in ("Mapping", "TCPMapping") for res in build.by_kind.get(kind, [])}
    memo = build.memo.resolved if build.memo is not None else None
    if memo is not None:
        memo.begin((defaults, build.settings, table))
    build.mappings = resolver_kind.apply_resolvers(build.mappings, resources, table=table, defaults=defaults,
                                                   settings=build.settings, diag=build.diag, memo=memo)
    build.tcp_mappings = resolver_kind.apply_resolvers(build.tcp_mappings, resources, table=table,
                                                       defaults=defaults, settings=build.settings, diag=build.diag)


def _clusters(build: _Build) -> None:
    memo = build.memo
    if memo is not None:
        memo.cluster_users.begin(None)
    of_mappings = mapped(build.mappings, build.diag, _cluster_user, memo.cluster_users if memo is not None else None)
    users = [*filter(None, of_mappings), *((m.upstream, m.ref) for m in build.tcp_mappings),
             *build.services.upstreams()]
    if memo is not None and memo.clusters_made is not None and memo.clusters_made[0] == users:
        memo.clusters.keep_all()  # the same upstreams for the same resources
        build.clusters, build.cluster_names = memo.clusters_made[1]
    else:
        if memo is not None:
            memo.clusters.begin(None)
        build.clusters, build.cluster_names = assign_clusters(users, memo)
        if memo is not None:
            memo.clusters_made = (users, (build.clusters, build.cluster_names))
    if memo is not None:
        memo.upstreams.prune(lambda: {m.upstream for m in build.mappings}, lambda upstream: upstream)
    build.services = build.services.with_clusters(build.cluster_names)


def _cluster_user(mapping: HttpMapping, _diag: Diagnostics) -> tuple[Upstream, ResourceRef] | None:
    return (mapping.upstream, mapping.ref) if mapping.redirect is None else None


def _groups(build: _Build) -> None:
    if build.memo is not None:
        build.memo.groups.begin(None)
        build.memo.vhosts.begin((build.settings.strict_label_selectors,))
    build.groups = build_groups(build.mappings, build.cluster_names, build.diag, build.memo)


def _plan(build: _Build) -> None:
    tcp = tuple(build.tcp_mappings)
    listeners = (*build.listeners, *synthesized_listeners(tcp, tuple(build.listeners)))
    build.plans = plan_listeners(listeners, tuple(build.hosts), build.groups,
                                 strict_selectors=build.settings.strict_label_selectors, diag=build.diag,
                                 tcp_chains=tcp_chains_by_port(tcp, build.cluster_names, build.diag),
                                 memo=build.memo)
    state = report_unrouted(build.plans, build.groups, build.mappings, build.diag,
                            build.memo.unrouted if build.memo is not None else None)
    if build.memo is not None:
        build.memo.unrouted = state


STEPS: tuple[tuple[str, Callable[[_Build], None]], ...] = (
    ("module", _module),
    ("secrets", _secrets),
    ("tls_contexts", _tls_contexts),
    ("listeners", _listeners),
    ("ingresses", _ingresses),
    ("hosts", _hosts),
    ("external_services", _external_services),
    ("mappings", _mappings),
    ("tcp_mappings", _tcp_mappings),
    ("resolvers", _resolvers),
    ("clusters", _clusters),
    ("groups", _groups),
    ("plan", _plan),
)


def compile(snapshot: Snapshot, settings: CompileSettings,  # noqa: A001 - the package's verb
            memo: CompileMemo | None = None) -> CompileResult:
    """Compile one snapshot into IR and Envoy configuration. Pure: no I/O, no environment, no clock.

    ``memo`` (optional) carries per-resource results from the previous compile; the output is the same without it.
    """
    diag = Diagnostics()
    report_source_problems(snapshot.meta, diag)
    report_statsd_problems(settings.statsd, diag)
    if memo is not None:
        if memo.resources is None:
            memo.resources = Collected()
        memo.resources.begin(settings)
        memo.annotations.begin(None)
    source = expand_annotations(set_aside_gateway_api(snapshot, diag, memo.gateway_api if memo is not None else None),
                                diag, parents=memo.parents if memo is not None else None,
                                children=memo.annotations if memo is not None else None)
    resources = collect_resources(source, settings, diag, memo.resources if memo is not None else None)
    by_kind = cast(dict[str, list[Resource]], split(resources, _KIND, memo.by_kind if memo is not None else None))
    for kind in by_kind.keys() & AMBASSADOR_KINDS - HANDLED_KINDS:
        for res in by_kind[kind]:
            diag.notice(res.ref, "UnsupportedKind", f"{res.kind} is not implemented yet; it is ignored")
    build = _Build(settings=settings, diag=diag, by_kind=by_kind, secrets=SecretStore(settings.secrets_dir),
                   memo=memo)
    for _name, step in STEPS:
        step(build)
    if memo is not None:
        for table in memo.tables():
            table.end()
    gateway = Gateway(options=build.options, listeners=build.plans, hosts=tuple(build.hosts),
                      mappings=tuple(build.mappings), groups=build.groups, clusters=build.clusters,
                      tls_contexts=tuple(build.tls_contexts[k] for k in sorted(build.tls_contexts)),
                      tcp_mappings=tuple(build.tcp_mappings), services=build.services)
    statuses = ingress_statuses(build.ingresses, by_kind.get("Service", []), settings, diag)
    problems = diag.problems()
    statuses += resource_statuses(resources, problems, mappings=settings.update_mapping_status,
                                  memo=memo.statuses if memo is not None else None)
    envoy = _with_endpoints(render_envoy(gateway, settings, memo), gateway, snapshot, settings)
    return CompileResult(ir=gateway, envoy=envoy, problems=problems,
                         resources=tuple(map(_REF, resources)), status_updates=statuses,
                         secret_files=dict(build.secrets.files))


def _with_endpoints(envoy: EnvoyConfig, gateway: Gateway, snapshot: Snapshot, settings: CompileSettings) -> EnvoyConfig:
    assignments = load_assignments(gateway.clusters, snapshot, settings)
    return dataclasses.replace(envoy, endpoints=render_load_assignments(assignments))


def refresh_endpoints(previous: CompileResult, snapshot: Snapshot, settings: CompileSettings) -> CompileResult:
    """When only Endpoints/EndpointSlices changed: the same compile result with new ClusterLoadAssignments.
    Gives exactly what ``compile`` would, without compiling (nothing else reads endpoints)."""
    return dataclasses.replace(previous, envoy=_with_endpoints(previous.envoy, previous.ir, snapshot, settings))
