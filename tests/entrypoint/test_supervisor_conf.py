import configparser

from entrypoint.settings import EntrypointSettings
from entrypoint.supervisor_conf import render


def test_every_process_is_supervised_restarted_and_logged_to_stdout() -> None:
    settings = EntrypointSettings.from_env({"AMBASSADOR_CONFIG_BASE_DIR": "/tmp/x"}, config_dir="/etc/conf")
    conf = configparser.RawConfigParser()
    conf.read_string(render(settings, "/venv/bin/python"))
    programs = {s.split(":", 1)[1]: conf[s] for s in conf.sections() if s.startswith("program:")}
    assert set(programs) == {"ambex", "diagd", "watt", "envoy"}
    for section in programs.values():
        assert section["autorestart"] == "true"
        assert section["stdout_logfile"] == "/dev/stdout" and section["redirect_stderr"] == "true"
        assert section["stopasgroup"] == "true" and section["killasgroup"] == "true"
    assert programs["watt"]["command"] == "/venv/bin/python -m watt --config-dir /etc/conf"
    priorities = {name: int(s["priority"]) for name, s in programs.items()}
    assert priorities["ambex"] < priorities["diagd"] < priorities["watt"] < priorities["envoy"]
    assert conf["supervisord"]["nodaemon"] == "true"


def test_diagd_runs_with_two_malloc_arenas_and_the_others_with_the_inherited_environment() -> None:
    conf = configparser.RawConfigParser()
    conf.read_string(render(EntrypointSettings.from_env({"AMBASSADOR_CONFIG_BASE_DIR": "/tmp/x"}), "/venv/bin/python"))
    assert conf["program:diagd"]["environment"] == 'MALLOC_ARENA_MAX="2"'
    assert all("environment" not in conf[f"program:{name}"] for name in ("ambex", "watt", "envoy"))


def test_debug_switch_makes_envoy_log_at_trace() -> None:
    assert EntrypointSettings.from_env({"AMBASSADOR_DEBUG": "diagd,envoy"}).envoy_log_level == "trace"
    assert EntrypointSettings.from_env({}).envoy_log_level == "error"
