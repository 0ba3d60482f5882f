"""Fixtures: the sample configuration compiled into a published state, and a Flask app serving it (one per test
module: the pages only read it; tests that change the state make their own with ``tests.diagd.sample.make_app``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from diagd.settings import DiagdSettings
from diagd.state import CompiledState, StateHolder
from tests.diagd.sample import compiled_state, make_app, sample_yaml, settings_for

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
REMOTE = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> DiagdSettings:
    return settings_for(tmp_path_factory.mktemp("diag") / "base")


@pytest.fixture(scope="module")
def state(settings: DiagdSettings) -> CompiledState:
    return compiled_state(sample_yaml(), settings)


@pytest.fixture(scope="module")
def app_and_holder(state: CompiledState, settings: DiagdSettings) -> tuple[Flask, StateHolder]:
    return make_app(state, settings)


@pytest.fixture(scope="module")
def app(app_and_holder: tuple[Flask, StateHolder]) -> Flask:
    return app_and_holder[0]


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def get(client: FlaskClient) -> Callable[..., Any]:
    """GET as a local client (or as ``remote=True``) and return the response."""

    def do(path: str, *, remote: bool = False, **kwargs: Any) -> Any:
        return client.get(path, environ_base=REMOTE if remote else LOCAL, **kwargs)

    return do


@pytest.fixture(scope="module")
def app_for(settings: DiagdSettings) -> Callable[..., Flask]:
    """An app over the sample configuration with extra documents (a Module, say) appended; one per set of extras."""
    made: dict[str, Flask] = {}

    def make(*extra: dict[str, Any]) -> Flask:
        key = json.dumps(extra, sort_keys=True)
        if key not in made:
            made[key] = make_app(compiled_state(sample_yaml(extra=extra), settings), settings)[0]
        return made[key]

    return make
