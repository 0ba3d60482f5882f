"""The Envoy command line the entrypoint execs: flags from AMBASSADOR_* settings, and Envoy accepts them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from entrypoint.envoy_launch import envoy_command
from entrypoint.settings import EntrypointSettings


def _flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_base_id_comes_from_the_environment_and_defaults_to_zero() -> None:
    assert EntrypointSettings.from_env({}).envoy_base_id == 0
    assert EntrypointSettings.from_env({"AMBASSADOR_ENVOY_BASE_ID": "7"}).envoy_base_id == 7
    for bad in ("-1", "x", "4294967296"):
        assert EntrypointSettings.from_env({"AMBASSADOR_ENVOY_BASE_ID": bad}).envoy_base_id == 0
    command = envoy_command(EntrypointSettings.from_env({"AMBASSADOR_ENVOY_BASE_ID": "7", "ENVOY_CONCURRENCY": "2"}))
    assert (_flag(command, "--base-id"), _flag(command, "--concurrency")) == ("7", "2")


@pytest.mark.envoy
def test_envoy_accepts_the_command_line(tmp_path: Path) -> None:
    settings = EntrypointSettings.from_env({"AMBASSADOR_CONFIG_BASE_DIR": str(tmp_path),
                                            "AMBASSADOR_ENVOY_BASE_ID": "7", "ENVOY_CONCURRENCY": "1"})
    Path(settings.layout.bootstrap_file).write_text("{}")
    proc = subprocess.run([*envoy_command(settings), "--mode", "validate"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
