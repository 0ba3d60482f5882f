"""Which Hosts a Listener takes, and which Mappings a Host takes (SPEC §4.1 "Mapping ↔ Host", §4.4 step 1)."""

from __future__ import annotations

from collections.abc import Mapping

from diagd.compile.ir.host import Host
from diagd.compile.ir.listener import Listener
from diagd.compile.ir.mapping import HttpMapping
from diagd.compile.ir.matches import glob_compatible

__all__ = ["labels_match", "listener_takes_host", "host_takes_mapping", "host_takes"]


def labels_match(selector: Mapping[str, str], labels: Mapping[str, str], *, strict: bool) -> bool:
    """All selector labels present (strict), or any one of them (DISABLE_STRICT_LABEL_SELECTORS)."""
    if not selector:
        return True
    hits = [labels.get(key) == value for key, value in selector.items()]
    return all(hits) if strict else any(hits)


def listener_takes_host(listener: Listener, host: Host) -> bool:
    binding = listener.host_binding
    if not binding.from_all and host.namespace != binding.namespace:
        return False
    return binding.match_labels is None or labels_match(binding.match_labels, host.labels, strict=True)


def host_takes_mapping(host: Host, mapping: HttpMapping, *, strict: bool) -> bool:
    """A Host with a mappingSelector takes labelled Mappings whose hostname (if any) fits; one without a
    selector takes Mappings whose hostname fits. A Mapping with no hostname needs a selector to attach."""
    return host_takes(host, mapping.hostname, mapping.labels, internal=mapping.internal, strict=strict)


def host_takes(host: Host, hostname: str | None, labels: Mapping[str, str], *, internal: bool, strict: bool) -> bool:
    """``host_takes_mapping`` on the only Mapping properties it depends on (so callers can decide once per kind)."""
    if internal:
        return True
    if host.mapping_selector:
        if not labels_match(host.mapping_selector, labels, strict=strict):
            return False
        return hostname is None or glob_compatible(hostname, host.hostname)
    return hostname is not None and glob_compatible(hostname, host.hostname)
