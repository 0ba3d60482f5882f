"""The memo changes nothing but speed: with or without it, every compile gives byte-identical output."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from diagd.compile import CompileMemo, compile
from diagd.compile.ir.serialize import to_json
from diagd.compile.model.settings import CompileSettings
from diagd.compile.model.source import Snapshot
from diagd.diag_model import problem_json
from diagd.snapshot_reader import SnapshotReader
from tests.builders import host, listener, mapping, module, to_yaml
from tests.golden.test_golden import CASES, settings_for, snapshot_for
from tests.support.snapshots import snapshot_lines


def _out(result: Any) -> str:
    return json.dumps({"ir": to_json(result.ir), "envoy": result.envoy.to_json(),
                       "problems": [problem_json(p) for p in result.problems],
                       "secret_files": sorted(result.secret_files)}, sort_keys=True)


def _keyed(snapshot: Snapshot) -> Snapshot:
    """Give objects content keys as diagd's snapshot reader does (the golden helper builds them without)."""

    from watt.formats.snapshot import encode_object

    objects = tuple(dataclasses.replace(o, key=encode_object(o.body, {"file": o.location.file, "line": o.location.line,
                                                                     "index": o.location.index}))
                    for o in snapshot.objects)
    return dataclasses.replace(snapshot, objects=objects)


def test_a_warm_memo_gives_the_same_output_for_every_golden_case() -> None:
    memo = CompileMemo()
    for case in CASES:
        snapshot, settings = _keyed(snapshot_for(case)), settings_for(case)
        fresh = _out(compile(snapshot, settings))
        assert _out(compile(snapshot, settings, memo)) == fresh, case
        assert _out(compile(snapshot, settings, memo)) == fresh, f"{case} (second, all hits)"


def _snapshot(*docs: dict[str, Any]) -> Snapshot:
    items = [SnapshotReader._decode(line) for line in snapshot_lines(to_yaml(*docs))]
    return Snapshot(objects=tuple(items))  # type: ignore[arg-type]


def test_changes_reuse_unchanged_mappings_and_a_module_change_invalidates_them() -> None:
    base = [listener("l", 8080), host("h")]
    many = [mapping(f"m{i}", f"/m{i}/", "127.0.0.1:9000", timeout_ms=100) for i in range(50)]
    settings, memo = CompileSettings(), CompileMemo()
    compile(_snapshot(*base, *many), settings, memo)
    assert memo.mappings.misses == 50
    many[7] = mapping("m7", "/m7/", "127.0.0.1:9000", timeout_ms=1)  # same number of lines: later ones keep theirs
    changed = _snapshot(*base, *many)
    assert _out(compile(changed, settings, memo)) == _out(compile(changed, settings))
    assert (memo.mappings.hits, memo.mappings.misses) == (49, 1)
    with_module = _snapshot(*base, *many, module({"cluster_request_timeout_ms": 7000}))
    assert _out(compile(with_module, settings, memo)) == _out(compile(with_module, settings))
    assert memo.mappings.misses == 50  # the Module is part of every Mapping's context
    other_settings = dataclasses.replace(settings, namespace="elsewhere")
    assert _out(compile(with_module, other_settings, memo)) == _out(compile(with_module, other_settings))


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

HOSTNAMES = ["*", "a.example.com", "b.example.com", "*.example.com"]
edits = st.lists(st.tuples(
    st.sampled_from(["add", "change", "move", "acme", "endpoint", "remove", "canary", "host", "module", "tls",
                     "secret", "annotation", "duplicate"]),
    st.integers(min_value=0, max_value=7),
    st.sampled_from(HOSTNAMES),
    st.integers(min_value=0, max_value=100)), min_size=1, max_size=12)


def _apply(state: dict[str, dict[str, Any]], edit: tuple[str, int, str, int]) -> None:
    what, i, hostname, n = edit
    if what == "add" or what == "change":
        state[f"m{i}"] = mapping(f"m{i}", f"/p{i % 4}/", f"127.0.0.1:{9000 + n % 3}", hostname=hostname,
                                 timeout_ms=1000 + n)
    elif what == "move":  # a new path: its group leaves the route order and another joins it
        state[f"m{i}"] = mapping(f"m{i}", f"/q{n % 5}/x{'y' * (n % 3)}/", "127.0.0.1:9000", hostname=hostname)
    elif what == "acme":
        state[f"m{i}"] = mapping(f"m{i}", f"/.well-known/acme-challenge/{n % 2}", "127.0.0.1:9000",
                                 hostname=hostname)
    elif what == "endpoint":  # an endpoint resolver gives the Mapping a new upstream
        state[f"m{i}"] = mapping(f"m{i}", f"/p{i % 4}/", f"svc{n % 2}:80", hostname=hostname, resolver="endpoint")
    elif what == "remove":
        state.pop(f"m{i}", None)
    elif what == "canary":
        state[f"c{i}"] = mapping(f"c{i}", f"/p{i % 4}/", "127.0.0.1:9100", hostname=hostname, weight=n % 60)
    elif what == "host":
        state[f"h{i % 3}"] = host(f"h{i % 3}", hostname, action=["Route", "Redirect", "Reject"][n % 3])
    elif what == "tls":  # a TLS Host: its certificate files come from the Secret it names
        state[f"h{i % 3}"] = host(f"h{i % 3}", hostname, tlsSecret={"name": f"s{n % 2}"})
    elif what == "secret":  # the Secret a TLS Host names comes, goes or changes
        state[f"s{n % 2}"] = {**_secrets()[i % 3], "metadata": {"name": f"s{n % 2}"}}
    elif what == "annotation":  # a Service whose annotation holds a Mapping
        doc = {"apiVersion": "getambassador.io/v3alpha1", "kind": "Mapping", "name": f"ann{i % 2}",
               "prefix": f"/ann{n % 3}/", "service": "127.0.0.1:9000", "hostname": hostname}
        state[f"svc{i % 2}"] = {"apiVersion": "v1", "kind": "Service", "metadata": {
            "name": f"svc{i % 2}", "annotations": {"getambassador.io/config": to_yaml(doc)}}, "spec": {}}
    elif what == "duplicate":  # a second file defines a Mapping of the same name
        state[f"z{i}"] = mapping(f"m{i}", f"/dup{n % 2}/", "127.0.0.1:9000", hostname=hostname)
    else:
        state["module"] = module({"cluster_request_timeout_ms": 1000 + n, "server_name": f"s{n % 2}"})


_SECRETS: list[dict[str, Any]] = []


def _secrets() -> list[dict[str, Any]]:
    """Two TLS Secrets and one without a key, to be named (made once: key generation is slow)."""
    if not _SECRETS:
        from tests.support.tls import CertificateAuthority, tls_secret

        ca = CertificateAuthority()
        good = [tls_secret("s", ca.issue(name)) for name in ("a.example.com", "b.example.com")]
        broken = tls_secret("s", ca.issue("c.example.com"))
        del broken["data"]["tls.key"]
        _SECRETS.extend([*good, broken])
    return _SECRETS


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits, st.booleans())
def test_any_sequence_of_edits_compiles_the_same_with_a_persistent_memo(sequence: list[tuple[str, int, str, int]],
                                                                        kept: bool) -> None:
    """``kept``: objects of unchanged lines stay the same objects between compiles, as diagd's snapshot reader keeps
    them (the memo then finds unchanged work by identity); otherwise every compile gets new objects."""
    state: dict[str, dict[str, Any]] = {"l": listener("l", 8080), "l2": listener("l2", 8443, protocol="HTTPS"),
                                        "h": host("h")}
    for i in range(3):
        state[f"base{i}"] = mapping(f"base{i}", f"/base{i}/", "127.0.0.1:9000", hostname=HOSTNAMES[i])
    memo, settings_ = CompileMemo(), CompileSettings()
    hits, decoded = 0, {}
    for edit in sequence:
        _apply(state, edit)
        snapshot = _one_file_each(state, decoded if kept else {})
        assert _out(compile(snapshot, settings_, memo)) == _out(compile(snapshot, settings_)), edit
        hits += memo.mappings.hits + memo.vhosts.hits
    if any(edit[0] != "module" for edit in sequence[1:]):  # a Module change rightly invalidates every Mapping
        assert hits > 0  # the memo is really exercised, not bypassed


def _one_file_each(state: dict[str, dict[str, Any]], decoded: dict[str, Any]) -> Snapshot:
    """Each resource in its own file, as users often keep them: an edit leaves the others' keys unchanged. A line
    found in ``decoded`` gives the object decoded for it before."""
    from watt.formats.snapshot import encode_object

    objects = []
    for name, doc in sorted(state.items()):
        line = encode_object(doc, {"file": f"{name}.yaml", "line": 1, "index": 1})
        objects.append(decoded.setdefault(line, SnapshotReader._decode(line)))
    return Snapshot(objects=tuple(objects))  # type: ignore[arg-type]


def test_edits_of_a_generated_multi_tenant_configuration_compile_the_same_with_a_persistent_memo(tmp_path: Any
                                                                                                ) -> None:
    """At the bench's shape (tenants with TLS Hosts, canaries, a catch-all Host), through the snapshot reader as
    diagd reads it: edits in place, moved paths, a Mapping every Host takes, additions and removals."""
    import random
    import time

    from bench.generate import Shape, generate
    from watt.files.source import DirectorySource
    from watt.writer import SnapshotWriter

    generate(Shape.for_size(300), tmp_path / "config")
    lines = list(DirectorySource(str(tmp_path / "config")).scan().lines)
    path = str(tmp_path / "snapshot.ndjson")
    writer, reader, memo, settings = SnapshotWriter(path), SnapshotReader(path), CompileMemo(), CompileSettings()
    rng = random.Random(7)
    mappings = [i for i, line in enumerate(lines) if '"kind":"Mapping"' in line]
    for step in range(24):
        if step:
            _edit(lines, mappings, rng, step)
        writer.publish(tuple(lines), change_seen=time.time(), source={})
        snapshot = reader.read()[1]
        assert _out(compile(snapshot, settings, memo)) == _out(compile(snapshot, settings)), step
    assert memo.groups.hits > 0 and memo.vhosts.hits > 0


def _edit(lines: list[str], mappings: list[int], rng: Any, step: int) -> None:
    index = rng.choice(mappings)
    record = json.loads(lines[index])
    spec = record["object"]["body"]["spec"]
    what = step % 6
    if what == 0:
        spec["timeout_ms"] = 1000 + step
    elif what == 1:
        spec["prefix"] = f"/moved-{step}/"
    elif what == 2:
        spec["hostname"] = "*"
    elif what == 3:  # joins another Mapping's group and disagrees with it: an error that later compiles replay
        other = json.loads(lines[rng.choice(mappings)])["object"]["body"]["spec"]
        spec.update(prefix=other["prefix"], hostname=other["hostname"], headers=other.get("headers", {}),
                    bypass_auth=True)
    elif what == 4:
        spec["rewrite"] = f"/r{step}/"
    lines[index] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    if what == 5:  # one Mapping removed and another added elsewhere: positions shift
        removed = lines.pop(index)
        mappings.remove(index)
        lines.append(removed.replace('"name":"', f'"name":"added{step}-', 1))
        mappings[:] = [i if i < index else i - 1 for i in mappings] + [len(lines) - 1]
