"""Listener (SPEC §4.3): port, protocol or protocolStack, securityModel, hostBinding, l7Depth, statsPrefix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagd.compile.ir.listener import HostBinding, Listener, Protocol, SecurityModel
from diagd.compile.kinds.context import KindContext
from diagd.compile.kinds.fields import Fields
from diagd.compile.kinds.resources import Resource
from diagd.compile.model.problems import Diagnostics

__all__ = ["KIND", "parse"]

KIND = "Listener"

_KNOWN = frozenset({"port", "protocol", "protocolStack", "securityModel", "hostBinding", "l7Depth", "statsPrefix",
                    "ambassador_id", "ambassadorId", "http2MaxConcurrentStreams", "bind_address"})


def _default_stats_prefix(protocol: Protocol, port: int) -> str:
    if protocol in (Protocol.HTTP, Protocol.HTTPPROXY):
        return "ingress_http"
    if protocol in (Protocol.HTTPS, Protocol.HTTPSPROXY):
        return "ingress_https"
    return f"ingress_{protocol.value.lower()}_{port}"


def _enum(fields: Fields, key: str, enum: type[Protocol] | type[SecurityModel]) -> Any:
    raw = fields.string(key)
    if raw is None:
        fields.invalid(key, "is required")
        return None
    try:
        return enum(raw.upper())
    except ValueError:
        fields.invalid(key, f"must be one of {', '.join(e.value for e in enum)}, not {raw!r}")
        return None


_STACKS = {
    ("HTTP", "TCP"): Protocol.HTTP, ("TLS", "HTTP", "TCP"): Protocol.HTTPS,
    ("PROXY", "HTTP", "TCP"): Protocol.HTTPPROXY, ("TLS", "PROXY", "HTTP", "TCP"): Protocol.HTTPSPROXY,
    ("TCP",): Protocol.TCP, ("TLS", "TCP"): Protocol.TLS,
}


def _protocol(fields: Fields) -> Protocol | None:
    """``protocol``, or the same thing spelled as ``protocolStack`` (layers from the outside in, ending TCP/UDP)."""
    if "protocolStack" not in fields.spec:
        protocol: Protocol | None = _enum(fields, "protocol", Protocol)
        return protocol
    if "protocol" in fields.spec:
        fields.invalid("protocolStack", "cannot be used together with protocol")
        return None
    stack = fields.string_list("protocolStack")
    if not fields.ok:
        return None
    layers = tuple(layer.upper() for layer in stack)
    if layers[-1:] == ("UDP",):
        fields.invalid("protocolStack", "UDP listeners (HTTP/3) are not supported")
        return None
    if layers not in _STACKS:
        known = "; ".join("[" + ", ".join(k) + "]" for k in _STACKS)
        fields.invalid("protocolStack", f"{list(stack)} is not a supported stack (use one of {known})")
        return None
    return _STACKS[layers]


def _host_binding(fields: Fields, res: Resource) -> HostBinding | None:
    raw = fields.mapping("hostBinding")
    if raw is None:
        fields.invalid("hostBinding", "is required (namespace.from and/or selector)")
        return None
    namespace = raw.get("namespace") or {}
    source = namespace.get("from", "SELF") if isinstance(namespace, Mapping) else None
    if source not in ("SELF", "ALL"):
        fields.invalid("hostBinding.namespace.from", f"must be SELF or ALL, not {source!r}")
        return None
    selector = raw.get("selector")
    labels = selector.get("matchLabels") if isinstance(selector, Mapping) else None
    if selector is not None and not isinstance(labels, Mapping):
        fields.invalid("hostBinding.selector", "must have matchLabels")
        return None
    return HostBinding(from_all=source == "ALL", namespace=res.namespace,
                       match_labels={str(k): str(v) for k, v in labels.items()} if labels else None)


def parse(res: Resource, ctx: KindContext, diag: Diagnostics) -> Listener | None:
    fields = Fields(res.spec, res.ref, diag)
    port = fields.integer("port", minimum=1, maximum=65535)
    if port is None and "port" not in res.spec:
        fields.invalid("port", "is required")
    protocol = _protocol(fields)
    model = _enum(fields, "securityModel", SecurityModel)
    binding = _host_binding(fields, res)
    l7_depth = fields.integer("l7Depth", 0, minimum=0)
    stats_prefix = fields.string("statsPrefix")
    bind_address = fields.string("bind_address", ctx.settings.envoy_bind_address)
    fields.notice_unsupported(("http2MaxConcurrentStreams",), "not implemented yet")
    fields.notice_unknown(_KNOWN)
    if not fields.ok or port is None or protocol is None or model is None or binding is None:
        return None
    return Listener(
        ref=res.ref, name=res.name, port=port, bind_address=bind_address or ctx.settings.envoy_bind_address,
        protocol=protocol, security_model=model, host_binding=binding, l7_depth=l7_depth or 0,
        stats_prefix=stats_prefix or _default_stats_prefix(protocol, port), labels=res.labels,
    )
