"""ambex's manifest loader: parses only new files, assembles route configurations, rejects bad input."""

import asyncio
import json
import os
from pathlib import Path

import pytest

from ambex.loader import LoadError, ManifestLoader
from ambex.main import Ambex
from ambex.settings import AmbexSettings
from ambex.snapshot import CLUSTER, ENDPOINT, LISTENER, ROUTE
from diagd.compile import compile
from diagd.compile.model.settings import CompileSettings
from diagd.publish import Publisher
from envoy.config.endpoint.v3.endpoint_pb2 import ClusterLoadAssignment
from envoy.config.route.v3.route_pb2 import RouteConfiguration
from tests.builders import host, listener, mapping, to_yaml
from tests.support.snapshots import snapshot_from_text
from watt.formats.layout import BaseLayout


def _publish(layout: BaseLayout, *mappings: dict, seq: int = 1) -> None:
    text = to_yaml(listener("l", 8080), host("h"), *mappings)
    result = compile(snapshot_from_text(text), CompileSettings())
    Publisher(layout).publish(result.envoy, {"snapshot_seq": seq})


def test_loads_a_published_configuration(tmp_path: Path) -> None:
    layout = BaseLayout(str(tmp_path))
    _publish(layout, mapping("a", "/a/", "127.0.0.1:9001"), mapping("b", "/b/", "127.0.0.1:9002"))
    loaded = ManifestLoader(layout).load()
    snapshot = loaded.snapshot
    assert snapshot.seq == 1
    assert {"cluster_127_0_0_1_9001_default", "cluster_127_0_0_1_9002_default"} <= set(snapshot.of(CLUSTER))
    [route_name] = snapshot.of(LISTENER)["l"].refs
    assert route_name.startswith("routes-cleartext-")
    routes = RouteConfiguration.FromString(snapshot.of(ROUTE)[route_name].body)
    assert routes.name == route_name
    assert {r.match.prefix for vh in routes.virtual_hosts for r in vh.routes} >= {"/a/", "/b/"}
    assert snapshot.check_consistent() == []


def test_only_new_files_are_parsed(tmp_path: Path) -> None:
    layout = BaseLayout(str(tmp_path))
    loader = ManifestLoader(layout)
    _publish(layout, mapping("a", "/a/", "127.0.0.1:9001"))
    first = loader.load()
    again = loader.load()
    assert first.parsed > 0 and again.parsed == 0 and again.snapshot.version == first.snapshot.version
    _publish(layout, mapping("a", "/a/", "127.0.0.1:9001", timeout_ms=1234), seq=2)
    changed = loader.load()
    assert changed.parsed == 1  # one virtual host file; listeners and clusters are unchanged
    assert changed.snapshot.version != first.snapshot.version


def test_a_file_envoy_types_cannot_parse_is_a_load_error(tmp_path: Path) -> None:
    layout = BaseLayout(str(tmp_path))
    _publish(layout, mapping("a", "/a/", "127.0.0.1:9001"))
    manifest = json.loads(Path(layout.manifest_file).read_text())
    bad = Path(layout.envoy_dir) / manifest["clusters"][0]
    bad.write_text(json.dumps({"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "x",
                               "no_such_field": 1}))
    with pytest.raises(LoadError, match="no_such_field"):
        ManifestLoader(layout).load()


def test_a_bad_or_inconsistent_configuration_keeps_the_one_being_served(tmp_path: Path) -> None:
    layout = BaseLayout(str(tmp_path))
    env = {"AMBASSADOR_CONFIG_BASE_DIR": str(tmp_path)}
    ambex = Ambex(AmbexSettings.from_env(env), asyncio.new_event_loop())
    _publish(layout, mapping("a", "/a/", "127.0.0.1:9001"))
    ambex.reload()
    good = ambex.servicer.snapshot
    assert good is not None
    manifest = json.loads(Path(layout.manifest_file).read_text())
    manifest["clusters"] = []  # routes now point at clusters that do not exist
    manifest["snapshot_seq"] = 2
    Path(layout.manifest_file).write_text(json.dumps(manifest))
    ambex.reload()
    assert ambex.servicer.snapshot is good
    assert "uses cluster cluster_127_0_0_1_9001_default, which is missing" in ambex.reporter.data["load_error"]
    os.unlink(layout.manifest_file)
    ambex.reload()
    assert ambex.servicer.snapshot is good


def test_route_chunk_boundaries_depend_on_names_so_an_insert_changes_one_chunk() -> None:
    from diagd.publish import route_chunks

    routes = [{"name": f"default.m{i}", "match": {"prefix": f"/m{i}/"}} for i in range(2000)]
    before = route_chunks(routes)
    assert len(before) > 20 and all(len(c) <= 256 for c in before)
    inserted = routes[:1000] + [{"name": "default.new", "match": {"prefix": "/new/"}}] + routes[1000:]
    after = route_chunks(inserted)
    changed = [c for c in after if c not in before]
    assert len(changed) == 1 and {"name": "default.new", "match": {"prefix": "/new/"}} in changed[0]


def test_one_change_in_a_large_virtual_host_parses_one_chunk(tmp_path: Path) -> None:
    layout = BaseLayout(str(tmp_path))
    loader = ManifestLoader(layout)
    many = [mapping(f"m{i}", f"/m{i}/", "127.0.0.1:9001") for i in range(1000)]
    _publish(layout, *many)
    assert loader.load().parsed > 30
    many[500] = mapping("m500", "/m500/", "127.0.0.1:9001", timeout_ms=1)
    _publish(layout, *many, seq=2)
    reloaded = loader.load()
    assert reloaded.parsed == 1
    [route_name] = reloaded.snapshot.of(LISTENER)["l"].refs
    routes = RouteConfiguration.FromString(reloaded.snapshot.of(ROUTE)[route_name].body)
    assert sum(len(vh.routes) for vh in routes.virtual_hosts) == 1003  # 1000 Mappings + 3 probe routes


def test_a_chunk_assembled_from_its_routes_is_the_chunk_parsed_whole_and_only_new_routes_are_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from google.protobuf import json_format

    from envoy.config.route.v3.route_components_pb2 import VirtualHost

    layout = BaseLayout(str(tmp_path))
    loader = ManifestLoader(layout)
    many = [mapping(f"m{i}", f"/m{i}/", f"127.0.0.1:{9001 + i % 3}", timeout_ms=100 + i, weight=None if i % 7 else 50,
                    add_request_headers={"x-n": str(i)}, cors={"origins": ["https://a.example"]} if i % 5 == 0 else {},
                    hostname="*" if i % 2 else f"h{i % 4}.example.com") for i in range(200)]
    _publish(layout, *many)
    loaded = loader.load()
    chunks = [file for entry in loaded.manifest["routes"] for vh in entry["virtual_hosts"] for file in vh["routes"]]
    assert len(chunks) > 5
    for file in chunks:
        doc = json.loads((Path(layout.envoy_dir) / file).read_text())
        doc.pop("@type", None)
        whole = json_format.ParseDict(doc, VirtualHost()).SerializeToString(deterministic=True)
        assert ManifestLoader(layout)._chunk(file).body == whole, file

    parsed: list[str] = []
    real = json_format.ParseDict
    monkeypatch.setattr(json_format, "ParseDict", lambda doc, message: parsed.append(type(message).__name__) or
                        real(doc, message))
    many[100] = mapping("m100", "/m100/", "127.0.0.1:9001", timeout_ms=1, hostname="*")  # one route of one chunk
    _publish(layout, *many, seq=2)
    loader.load()
    assert parsed == ["Route"]


def test_varint_matches_protobufs_encoding() -> None:
    from ambex.loader import varint
    from google.protobuf.wrappers_pb2 import UInt64Value

    for value in (0, 1, 127, 128, 300, 16384, 2**31, 2**40 + 5):
        assert b"\x08" + varint(value) == UInt64Value(value=value).SerializeToString() or value == 0


def test_load_assignments_are_named_by_cluster_name(tmp_path: Path) -> None:
    layout = BaseLayout(str(tmp_path))
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
                 "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 8080}]}]}
    text = to_yaml(listener("l", 8080), host("h"), mapping("e", "/e/", "web", resolver="endpoint"), service, endpoints)
    Publisher(layout).publish(compile(snapshot_from_text(text), CompileSettings()).envoy, {"snapshot_seq": 1})
    snapshot = ManifestLoader(layout).load().snapshot
    assignment = ClusterLoadAssignment.FromString(snapshot.of(ENDPOINT)["k8s/default/web/80"].body)
    assert [lb.endpoint.address.socket_address.address for g in assignment.endpoints for lb in g.lb_endpoints] == [
        "127.0.0.1"]
    assert snapshot.check_consistent() == []


def test_a_publisher_reusing_chunks_across_memoised_compiles_writes_what_a_fresh_one_does(tmp_path: Path) -> None:
    from diagd.compile import CompileMemo
    from watt.formats.manifest import manifest_files

    memo, settings = CompileMemo(), CompileSettings()
    reused = Publisher(BaseLayout(str(tmp_path / "reused")))
    docs = [mapping(f"m{i}", f"/m{i}/", "127.0.0.1:9001", timeout_ms=1000) for i in range(300)]
    edits = [("m5", "/m5/", 2000), ("m5", "/moved/", 2000), ("m200", "/m200/", 7), ("m7", "/m7/", 1000)]
    for step, (name, path, timeout) in enumerate(edits):
        docs[int(name[1:])] = mapping(name, path, "127.0.0.1:9001", timeout_ms=timeout)
        snapshot = snapshot_from_text(to_yaml(listener("l", 8080), host("h"), *docs))
        manifest, stats = reused.publish(compile(snapshot, settings, memo).envoy, {"snapshot_seq": step})
        fresh_layout = BaseLayout(str(tmp_path / f"fresh{step}"))
        fresh, _ = Publisher(fresh_layout).publish(compile(snapshot, settings).envoy, {"snapshot_seq": step})
        assert manifest == fresh
        assert all(os.path.exists(os.path.join(reused.layout.envoy_dir, f)) for f in manifest_files(manifest))
        assert step == 0 or stats.written < 6  # a changed route: its chunk, its virtual host, the listener


def test_a_resource_file_cut_short_is_removed_when_diagd_starts_and_written_again(tmp_path: Path) -> None:
    """Resource files are written without fsync; a power loss can leave one with its name and part of its content."""
    layout = BaseLayout(str(tmp_path))
    text = to_yaml(listener("l", 8080), host("h"), mapping("a", "/a/", "127.0.0.1:9001"))
    envoy = compile(snapshot_from_text(text), CompileSettings()).envoy
    Publisher(layout).publish(envoy, {"snapshot_seq": 1})
    damaged = sorted(n for n in os.listdir(layout.envoy_dir) if n.startswith("cds-"))[0]
    path = os.path.join(layout.envoy_dir, damaged)
    whole = Path(path).read_bytes()
    Path(path).write_bytes(whole[: len(whole) // 2])
    with pytest.raises(LoadError):
        ManifestLoader(layout).load()
    restarted = Publisher(layout)
    assert not os.path.exists(path)
    restarted.publish(envoy, {"snapshot_seq": 2})
    assert Path(path).read_bytes() == whole
    assert ManifestLoader(layout).load().snapshot.seq == 2
