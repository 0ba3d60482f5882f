"""What a kind's ``parse`` may consult besides its own resource: settings and what earlier kinds produced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from diagd.compile.ir.cluster import Upstream
from diagd.compile.ir.module import GatewayOptions
from diagd.compile.ir.tls import TLSContext
from diagd.compile.kinds.route_options import RouteOptions, defaults_only
from diagd.compile.kinds.secrets import SecretStore
from diagd.compile.model.settings import CompileSettings

__all__ = ["KindContext"]


@dataclass(frozen=True, slots=True)
class KindContext:
    settings: CompileSettings
    options: GatewayOptions
    secrets: SecretStore = field(default_factory=lambda: SecretStore("/ambassador/secrets"))
    tls_contexts: Mapping[str, TLSContext] = field(default_factory=dict)  # by name
    # Equal upstreams as one object (with a memo, its pool, kept across compiles): the Mappings of a service share
    # it, and later steps (clusters, groups) find it by identity instead of comparing every field.
    upstreams: dict[Upstream, Upstream] = field(default_factory=dict, compare=False)
    # Those made from nothing but a service string and the Module's defaults, by what they were made from (see
    # kinds.upstream), so that each is made once.
    plain_upstreams: dict[tuple[str, ...], Upstream] = field(default_factory=dict, compare=False)
    # What a Mapping that names none of the route fields gets: the Module's defaults, made once.
    route_defaults: RouteOptions = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "route_defaults", defaults_only(self.options.defaults, None))

    def interned(self, upstream: Upstream) -> Upstream:
        return self.upstreams.setdefault(upstream, upstream)

    def tls_context(self, name: str, namespace: str) -> TLSContext | None:
        """A TLSContext by name: ``name`` itself, else ``name.namespace`` (a same-named one in another namespace)."""
        return self.tls_contexts.get(name) or self.tls_contexts.get(f"{name}.{namespace}")
