"""Running a module's main() in-process: its arguments in, its JSON result out."""
import json

import pytest

from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.ansible_compat import (
    as_target_process, patch_module_args)


@pytest.fixture
def invoke(capsys, monkeypatch):
    """invoke(module, args, check=False, diff=False) -> the module's result dict (exit_json or fail_json)."""
    as_target_process(monkeypatch)

    def call(module, args, check=False, diff=False):
        args = dict(args)
        if check:
            args["_ansible_check_mode"] = True
        if diff:
            args["_ansible_diff"] = True
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                module.main()
        return json.loads(capsys.readouterr().out)
    return call


@pytest.fixture
def invoke_on_env(env, monkeypatch, invoke):
    """invoke() for the removal modules, acting on the test's FakeEnv (_san/act/helpers.py) through their build_host,
    with the module's own deadlines and options."""
    def call(module, args, check=False):
        def build_host(mod):
            p = mod.params
            return env.host(command_timeout=p["command_timeout"], flush_timeout=p["timeout"],
                            wait_timeout=p.get("wait_timeout") or p["timeout"],
                            wwids_file=p.get("wwids_file") or "/etc/multipath/wwids",
                            allow_non_san=p.get("allow_non_san", False))
        monkeypatch.setattr(module, "build_host", build_host)
        return invoke(module, args, check)
    return call


@pytest.fixture
def run(request, invoke_on_env):
    """run(args, check=False) for the test file's MODULE (a removal module), with its DEFAULT_ARGS."""
    module = request.module.MODULE
    defaults = getattr(request.module, "DEFAULT_ARGS", {})
    return lambda args, check=False: invoke_on_env(module, dict(defaults, **args), check)


@pytest.fixture
def run_module(request, invoke):
    """run_module(args, check=False, diff=False) for the test file's MODULE."""
    return lambda args, check=False, diff=False: invoke(request.module.MODULE, args, check, diff)
