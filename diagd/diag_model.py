"""The diagnostics document: what diag JSON returns and the UI renders, computed from the published state."""

from __future__ import annotations

import socket
import time
from collections import Counter
from typing import Any

from diagd.compile import CompileResult
from diagd.compile.ir.gateway import Gateway, RouteAction
from diagd.compile.ir.matches import PathKind
from diagd.compile.model.problems import Problem, Severity
from diagd.state import CompiledState

__all__ = ["diag_document", "route_info", "tcp_info", "tls_info", "problem_json", "VERSION"]

VERSION = "0.1.0"


def problem_json(problem: Problem) -> dict[str, Any]:
    location = problem.location.describe() if problem.location is not None else None
    return {"rkey": problem.rkey, "severity": problem.severity.value, "reason": problem.reason,
            "message": problem.message, "kind": problem.kind, "name": problem.name,
            "namespace": problem.namespace, "location": location}


def route_info(ir: Gateway) -> list[dict[str, Any]]:
    """One row per route in every virtual host: where it is, what it matches, where it goes, who made it."""
    rows = []
    for plan in ir.listeners:
        for chain in plan.chains:
            for vhost in chain.virtual_hosts:
                for variant in vhost.routes:
                    member = ir.groups[variant.group].members[variant.member]
                    mapping = member.mapping
                    rows.append({
                        "listener": plan.listener.name,
                        "chain": chain.name,
                        "host": vhost.hostname,
                        "prefix": mapping.path.value,
                        "match": mapping.path.kind.value,
                        "regex": mapping.path.kind is PathKind.REGEX,
                        "case_sensitive": mapping.path.case_sensitive,
                        "method": mapping.method,
                        "headers": [{"name": h.name, "value": h.value, "match": h.match.value}
                                    for h in mapping.match_headers],
                        "query": [{"name": q.name, "value": q.value, "match": q.match.value} for q in mapping.query],
                        "xfp": variant.xfp,
                        "action": variant.action.value,
                        "weight": mapping.weight if member.fraction is not None else 100,
                        "fraction": member.fraction,
                        "cluster": member.cluster if variant.action is RouteAction.ROUTE else None,
                        "service": mapping.upstream.service,
                        "rewrite": mapping.rewrite,
                        "precedence": mapping.precedence,
                        "timeout_ms": mapping.timeout_ms,
                        "redirect": mapping.redirect.host if mapping.redirect is not None else None,
                        "shadows": [s.cluster for s in ir.groups[variant.group].shadows],
                        "docs": dict(mapping.docs),
                        "group_id": ir.groups[variant.group].group_id,
                        "source": mapping.ref.rkey,
                        "source_kind": mapping.ref.kind,
                        "source_name": f"{mapping.ref.namespace}/{mapping.ref.name}",
                    })
    return rows


def tcp_info(ir: Gateway) -> list[dict[str, Any]]:
    """One row per TCPMapping: port, SNI host, upstream, and whether TLS is terminated, passed through or neither."""
    return [{"name": f"{t.ref.namespace}/{t.ref.name}", "source": t.ref.rkey, "port": t.port, "host": t.host,
             "service": t.upstream.service, "weight": t.weight,
             "tls": "terminate" if t.tls is not None else "passthrough" if t.host else None}
            for t in ir.tcp_mappings]


def tls_info(ir: Gateway) -> list[dict[str, Any]]:
    """TLS contexts by name, with the Secret they use (never its content)."""
    contexts = list(ir.tls_contexts) + [h.tls for h in ir.hosts if h.tls is not None and h.tls not in ir.tls_contexts]
    return [{"name": c.name, "hosts": list(c.hosts),
             "secret": c.certificate.secret if c.certificate is not None else None,
             "ca_secret": c.ca_certificate.secret if c.ca_certificate is not None else None,
             "cert_required": c.cert_required, "min_tls_version": c.min_tls_version,
             "max_tls_version": c.max_tls_version, "alpn_protocols": list(c.alpn_protocols)} for c in contexts]


def _result_parts(result: CompileResult) -> dict[str, Any]:
    problems = [problem_json(p) for p in result.problems]
    counts = Counter(ref.kind for ref in result.resources)
    return {
        "errors": [[p["rkey"], p["message"]] for p in problems if p["severity"] == Severity.ERROR.value],
        "notices": [[p["rkey"], p["message"]] for p in problems if p["severity"] == Severity.NOTICE.value],
        "problems": problems,
        "ambassador_resources": [
            {"rkey": r.rkey, "kind": r.kind, "name": r.name, "namespace": r.namespace,
             "location": r.location.describe()} for r in result.resources],
        "resource_counts": dict(sorted(counts.items())),
        "route_info": route_info(result.ir),
        "clusters": [{"name": c.name, "service": c.upstream.service, "sources": [s.rkey for s in c.sources]}
                     for c in result.ir.clusters],
        "envoy_counts": result.envoy.counts(),
        "tcp_mappings": tcp_info(result.ir),
        "tlscontexts": tls_info(result.ir),
    }


def diag_document(state: CompiledState, *, envoy_ready: bool, ambassador_id: str, namespace: str) -> dict[str, Any]:
    now = time.time()
    doc: dict[str, Any] = {
        "system": {
            "version": VERSION, "hostname": socket.gethostname(), "ambassador_id": ambassador_id,
            "namespace": namespace, "started": state.started, "uptime_seconds": round(now - state.started, 1),
            "source": dict(state.source), "config_seq": state.applied_seq, "last_error": state.last_error,
        },
        "envoy_status": {
            "ready": envoy_ready, "config_applied": state.config_applied,
            "acked_version": state.ambex.get("acked_version"), "last_nack": state.ambex.get("last_nack"),
            "streams": state.ambex.get("streams", 0),
        },
        "reconfig": {"last": state.last.to_json() if state.last else None,
                     "history": [r.to_json() for r in state.history]},
    }
    empty = {"errors": [], "notices": [], "problems": [], "ambassador_resources": [], "resource_counts": {},
             "route_info": [], "clusters": [], "envoy_counts": {}, "tcp_mappings": [], "tlscontexts": []}
    doc.update(_result_parts(state.result) if state.result is not None else empty)
    return doc
