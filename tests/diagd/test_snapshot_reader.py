"""diagd's snapshot reader decodes only changed lines, in place or not, and reads the same as a fresh reader."""

import time
from pathlib import Path

from diagd.snapshot_reader import SnapshotReader
from watt.formats.snapshot import encode_invalid, encode_object
from watt.writer import SnapshotWriter


def _mapping(name: str, prefix: str, line: int) -> str:
    body = {"apiVersion": "getambassador.io/v3alpha1", "kind": "Mapping", "metadata": {"name": name},
            "spec": {"prefix": prefix, "service": "127.0.0.1:9000"}}
    return encode_object(body, {"file": f"{name}.yaml", "line": line, "index": 1})


def _host(name: str) -> str:
    body = {"apiVersion": "getambassador.io/v3alpha1", "kind": "Host", "metadata": {"name": name},
            "spec": {"hostname": "*"}}
    return encode_object(body, {"file": f"{name}.yaml", "line": 1, "index": 1})


def _broken(name: str) -> str:
    return encode_invalid({"file": f"{name}.yaml", "line": 3}, "YAMLError", "mapping values are not allowed here")


def test_each_read_equals_a_fresh_read_and_decodes_only_what_changed(tmp_path: Path) -> None:
    path = str(tmp_path / "snapshot.ndjson")
    writer, reader = SnapshotWriter(path), SnapshotReader(path)
    steps = [
        ((_host("h"), _mapping("a", "/a/", 1), _mapping("b", "/b/", 1)), 3, {"Host", "Mapping"}),
        ((_host("h"), _mapping("a", "/a2/", 1), _mapping("b", "/b/", 1)), 1, {"Mapping"}),  # edited in place
        ((_host("h"), _mapping("a", "/a2/", 1), _broken("c"), _mapping("b", "/b/", 1)), 1, {"?"}),  # one more
        ((_host("h"), _mapping("a", "/a2/", 1), _broken("c"), _mapping("b", "/b3/", 1)), 1, {"Mapping"}),
        ((_host("h"), _mapping("a", "/a2/", 1), _mapping("c", "/c/", 1), _mapping("b", "/b3/", 1)), 1,
         {"?", "Mapping"}),  # the broken file fixed: its invalid record goes, its Mapping comes
        ((_mapping("a", "/a2/", 1), _mapping("b", "/b3/", 1)), 0, {"Host", "Mapping"}),  # two removed
    ]
    for lines, decoded, kinds in steps:
        writer.publish(lines, change_seen=time.time(), source={})
        header, snapshot = reader.read()
        _, fresh = SnapshotReader(path).read()
        assert snapshot == fresh
        assert reader.decoded_last == decoded
        assert reader.changed_kinds == frozenset(kinds)
        assert len(snapshot.objects) + len(snapshot.invalid) == len(lines)
        assert [o.key for o in snapshot.objects] == [line for line in lines if '"object"' in line[:12]]
