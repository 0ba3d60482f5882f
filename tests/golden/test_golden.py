"""Golden files for the compiler: tests/golden/<case>/input.yaml → expected/{ir,envoy,diagnostics}.json.

``pytest tests/golden --update-golden`` rewrites expected files from the current compiler and removes orphans.
Every case is also compiled a second time and once more with its objects shuffled (byte-identical output
required), and its Envoy configuration is checked by the real ``envoy --mode validate``.
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from diagd.compile import CompileResult, compile
from diagd.compile.ir.serialize import to_json
from diagd.compile.model.settings import CompileSettings, StatsdSettings
from diagd.compile.model.source import Snapshot
from diagd.diag_model import problem_json
from diagd.envoy_validate import validate_envoy
from tests.support.snapshots import snapshot_from_text

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "input.yaml").is_file())
OPTIONS: dict[str, dict[str, Any]] = yaml.safe_load((HERE / "case_options.yaml").read_text()) or {}
BASE_SETTINGS = CompileSettings(envoy_bind_address="0.0.0.0", secrets_dir="/ambassador/secrets")


def settings_for(case: str) -> CompileSettings:
    options = dict(OPTIONS.get(case, {}))
    if "statsd" in options:
        options["statsd"] = StatsdSettings(**options["statsd"])
    return dataclasses.replace(BASE_SETTINGS, **options)


def snapshot_for(case: str) -> Snapshot:
    return snapshot_from_text((HERE / case / "input.yaml").read_text(), filename=f"{case}/input.yaml")


def outputs(result: CompileResult) -> dict[str, str]:
    docs = {
        "ir.json": to_json(result.ir),
        "envoy.json": result.envoy.to_json(),
        "diagnostics.json": [problem_json(p) for p in result.problems],
    }
    return {name: json.dumps(doc, sort_keys=True, indent=2) + "\n" for name, doc in docs.items()}


def test_there_are_cases() -> None:
    assert len(CASES) >= 10, CASES


def test_no_orphaned_expectations(update_golden: bool) -> None:
    orphans = [p for p in HERE.iterdir() if p.is_dir() and (p / "expected").is_dir() and p.name not in CASES]
    if update_golden:
        for orphan in orphans:
            shutil.rmtree(orphan)
        return
    assert not orphans, f"expected/ without input.yaml: {orphans}"


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, update_golden: bool) -> None:
    actual = outputs(compile(snapshot_for(case), settings_for(case)))
    expected_dir = HERE / case / "expected"
    if update_golden:
        expected_dir.mkdir(exist_ok=True)
        for name, text in actual.items():
            (expected_dir / name).write_text(text)
        return
    for name, text in actual.items():
        path = expected_dir / name
        assert path.exists(), f"{path} is missing; run pytest tests/golden --update-golden"
        assert text == path.read_text(), f"{case}/{name} differs; review and run pytest --update-golden"


@pytest.mark.parametrize("case", CASES)
def test_deterministic(case: str) -> None:
    snapshot, settings = snapshot_for(case), settings_for(case)
    first = outputs(compile(snapshot, settings))
    assert outputs(compile(snapshot, settings)) == first
    for seed in (1, 2):
        objects = list(snapshot.objects)
        random.Random(seed).shuffle(objects)
        shuffled = dataclasses.replace(snapshot, objects=tuple(objects))
        assert outputs(compile(shuffled, settings)) == first, f"shuffle seed {seed} changed the output"


@pytest.mark.envoy
@pytest.mark.parametrize("case", CASES)
def test_envoy_accepts(case: str) -> None:
    result = compile(snapshot_for(case), settings_for(case))
    outcome = validate_envoy(result.envoy, secret_files=result.secret_files)
    assert outcome.ok, outcome.output
