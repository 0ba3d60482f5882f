import json
import os
from pathlib import Path

from watt.files.source import DirectorySource


def _objects(lines: tuple[str, ...]) -> list[dict]:
    return [json.loads(line)["object"] for line in lines if line.startswith('{"object"')]


def _invalid(lines: tuple[str, ...]) -> list[dict]:
    return [json.loads(line)["invalid"] for line in lines if line.startswith('{"invalid"')]


def _touch_later(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10_000_000, before + 10_000_000))


def test_loads_every_config_file_recursively_and_skips_hidden_and_other_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("kind: A\n---\nkind: B\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yml").write_text("kind: C\n")
    (tmp_path / "sub" / "d.json").write_text('{"kind": "D"}')
    (tmp_path / ".hidden.yaml").write_text("kind: Hidden\n")
    (tmp_path / "notes.txt").write_text("kind: Text\n")
    (tmp_path / "a.yaml.swp").write_text("kind: Swap\n")
    result = DirectorySource(str(tmp_path)).scan()
    kinds = [o["body"]["kind"] for o in _objects(result.lines)]
    assert kinds == ["A", "B", "C", "D"]
    assert _objects(result.lines)[2]["location"] == {"file": "sub/c.yml", "line": 1, "index": 1}


def test_only_changed_files_are_parsed_again(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i}.yaml").write_text(f"kind: K{i}\n")
    source = DirectorySource(str(tmp_path))
    assert source.scan().parsed == 5
    assert source.scan().parsed == 0
    _touch_later(tmp_path / "f3.yaml", "kind: Changed\n")
    result = source.scan()
    assert result.parsed == 1
    assert "Changed" in [o["body"]["kind"] for o in _objects(result.lines)]


def test_a_broken_file_keeps_serving_its_last_good_version_and_reports_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("kind: Mapping\nmetadata: {name: m}\n")
    source = DirectorySource(str(tmp_path))
    source.scan()
    _touch_later(path, "kind: Mapping\nmetadata: {name: m\n")
    result = source.scan()
    assert [o["body"]["metadata"]["name"] for o in _objects(result.lines)] == ["m"]
    [invalid] = _invalid(result.lines)
    assert invalid["location"] == {"file": "m.yaml", "line": 3}
    assert "last good version (1 objects)" in invalid["message"]


def test_a_file_broken_from_the_start_gives_only_its_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [\n")
    (tmp_path / "good.yaml").write_text("kind: Good\n")
    result = DirectorySource(str(tmp_path)).scan()
    assert [o["body"]["kind"] for o in _objects(result.lines)] == ["Good"]
    assert _invalid(result.lines)[0]["location"]["file"] == "bad.yaml"


def test_deleted_files_disappear(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("kind: A\n")
    (tmp_path / "b.yaml").write_text("kind: B\n")
    source = DirectorySource(str(tmp_path))
    source.scan()
    (tmp_path / "a.yaml").unlink()
    assert [o["body"]["kind"] for o in _objects(source.scan().lines)] == ["B"]
