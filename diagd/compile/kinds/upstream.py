"""A Mapping's (or TCPMapping's) upstream: service address, TLS origination and the cluster settings that make
two upstreams different clusters (SPEC §4.1, §5.4)."""

from __future__ import annotations

from diagd.compile.ir.cluster import Discovery, Upstream
from diagd.compile.ir.tls import TLSContext
from diagd.compile.kinds import policies
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.service import ServiceAddress, ServiceError, is_ip_literal, parse_service, qualify_host

__all__ = ["upstream_for", "origination_context"]

_DNS_TYPES = {"strict_dns": Discovery.STRICT_DNS, "logical_dns": Discovery.LOGICAL_DNS}
# The fields besides the service that shape an upstream (``upstream_for`` reads them only when one is present).
_CLUSTER_KEYS = frozenset({"circuit_breakers", "cluster_tag", "dns_type", "grpc", "connect_timeout_ms", "stats_name",
                           "load_balancer", "cluster_idle_timeout_ms", "cluster_max_connection_lifetime_ms",
                           "respect_dns_ttl", "enable_ipv4", "enable_ipv6", "keepalive"})


def origination_context(fields: Fields, res: Resource, ctx: KindContext) -> tuple[bool, TLSContext | None] | None:
    """The ``tls`` field: ``true`` (plain TLS), a TLSContext name, or absent. None when the context is unknown."""
    raw = res.spec.get("tls")
    if raw is None or raw is False:
        return False, None
    if raw is True:
        return True, None
    if not isinstance(raw, str) or not raw:
        fields.invalid("tls", "must be true or the name of a TLSContext")
        return None
    context = ctx.tls_context(raw, res.namespace)
    if context is None:
        fields.ok = False
        fields.diag.error(res.ref, "NoSuchTLSContext", f"Originate-TLS context {raw} is not defined")
        return None
    return True, context


def _address(fields: Fields, res: Resource, tls: bool, key: str) -> ServiceAddress | None:
    service = fields.string(key)
    if service is None:
        if key not in res.spec:
            fields.invalid(key, "is required")
        return None
    parsed = parse_service(service, tls=tls)
    if isinstance(parsed, ServiceError):
        fields.ok = False
        fields.diag.error(res.ref, parsed.reason, parsed.message)
        return None
    if parsed.scheme == "http" and tls:
        fields.diag.notice(res.ref, "TLSOverHTTPScheme", f"Originate-TLS context is used even though service "
                           f"{service} lists http://")
    return parsed


def _discovery(fields: Fields, parsed: ServiceAddress) -> Discovery:
    if is_ip_literal(parsed.host):
        return Discovery.STATIC
    raw = fields.string("dns_type", "strict_dns") or "strict_dns"
    if raw.lower() not in _DNS_TYPES:
        fields.invalid("dns_type", f"must be strict_dns or logical_dns, not {raw!r}")
    return _DNS_TYPES.get(raw.lower(), Discovery.STRICT_DNS)


def _ip_family(fields: Fields, default: str) -> str:
    if "enable_ipv4" not in fields.spec and "enable_ipv6" not in fields.spec:
        return default
    v4, v6 = fields.boolean("enable_ipv4", True), fields.boolean("enable_ipv6", False)
    return "AUTO" if v4 and v6 else "V6_ONLY" if v6 else "V4_ONLY"


def upstream_for(fields: Fields, res: Resource, ctx: KindContext, *, marker: str = "",
                 host_rewrite: str | None = None, service_key: str = "service") -> Upstream | None:
    """The upstream named by ``service`` (``service_key``: AuthService calls it ``auth_service``)."""
    spec = res.spec
    service = spec.get(service_key)
    if not isinstance(service, str) or spec.get("tls") or not spec.keys().isdisjoint(_CLUSTER_KEYS):
        return _upstream(fields, res, ctx, marker, host_rewrite, service_key)
    # The usual case: a service string, no TLS origination (so no notice to give) and the Module's defaults.
    key = (service, res.namespace, marker, host_rewrite or "", service_key)
    upstream = ctx.plain_upstreams.get(key)
    if upstream is None:
        upstream = _upstream(fields, res, ctx, marker, host_rewrite, service_key)
        if upstream is not None:
            upstream = ctx.plain_upstreams[key] = ctx.interned(upstream)
    return upstream


def _upstream(fields: Fields, res: Resource, ctx: KindContext, marker: str, host_rewrite: str | None,
              service_key: str) -> Upstream | None:
    origination = origination_context(fields, res, ctx)
    if origination is None:
        return None
    tls, context = origination
    parsed = _address(fields, res, tls, service_key)
    if parsed is None:
        return None
    originate = parsed.tls or tls
    host = parsed.host
    if not is_ip_literal(host) and not ctx.options.own_namespace_services:
        host = qualify_host(host, namespace=res.namespace, own_namespace=ctx.settings.namespace)
    defaults = ctx.options.defaults
    sni = (host_rewrite or (context.sni if context else None)) if originate else None
    if res.spec.keys().isdisjoint(_CLUSTER_KEYS):  # the usual case: the Module's defaults, read without probing
        return Upstream(
            service=str(res.spec[service_key]), host=host, port=parsed.port,
            discovery=Discovery.STATIC if is_ip_literal(parsed.host) else Discovery.STRICT_DNS,
            namespace=res.namespace, tls=context, tls_origination=originate, marker=marker, sni=sni,
            load_balancer=defaults.load_balancer, circuit_breakers=defaults.circuit_breakers,
            idle_timeout_ms=defaults.cluster_idle_timeout_ms,
            max_connection_lifetime_ms=defaults.cluster_max_connection_lifetime_ms,
            ip_family=ctx.options.ip_family, keepalive=defaults.keepalive)
    breakers = policies.circuit_breakers(fields)
    tag = fields.string("cluster_tag")
    return Upstream(
        service=str(res.spec[service_key]), host=host, port=parsed.port, discovery=_discovery(fields, parsed),
        namespace=res.namespace, tls=context, tls_origination=originate, http2=fields.boolean("grpc"),
        connect_timeout_ms=fields.integer("connect_timeout_ms", 3000, minimum=0) or 3000,
        marker=marker or tag or "", sni=sni, stats_name=fields.string("stats_name"),
        load_balancer=(policies.load_balancer(fields) if "load_balancer" in res.spec else defaults.load_balancer),
        circuit_breakers=breakers if breakers is not None else defaults.circuit_breakers,
        idle_timeout_ms=_ms(fields, "cluster_idle_timeout_ms", defaults.cluster_idle_timeout_ms),
        max_connection_lifetime_ms=_ms(fields, "cluster_max_connection_lifetime_ms",
                                       defaults.cluster_max_connection_lifetime_ms),
        respect_dns_ttl=fields.boolean("respect_dns_ttl"), ip_family=_ip_family(fields, ctx.options.ip_family),
        keepalive=policies.keepalive(fields) if "keepalive" in res.spec else defaults.keepalive,
    )


def _ms(fields: Fields, key: str, default: int | None) -> int | None:
    return fields.integer(key, default, minimum=0)
