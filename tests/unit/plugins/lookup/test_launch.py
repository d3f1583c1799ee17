"""launch: the options ansible-playbook was started with, never a variable of the same meaning."""
import pytest

from ansible import context
from ansible.errors import AnsibleLookupError
from ansible_collections.sanfleet.remediation.tests.ontap_sim import lookup_plugin


def _launched(monkeypatch, **cliargs):
    # the options ansible-playbook parsed (the lookup reads them at each call)
    monkeypatch.setattr(context, "CLIARGS", dict({"subset": None, "start_at_task": None}, **cliargs))
    return lookup_plugin("sanfleet.remediation.launch")


def test_the_limit_and_the_start_task_are_the_command_lines(monkeypatch):
    plugin = _launched(monkeypatch, subset="db01,db02")
    assert plugin.run(["limit", "start_at_task"], variables={"ansible_limit": "db03"}) == ["db01,db02", ""]
    plugin = _launched(monkeypatch, start_at_task="Create the report directory")
    assert plugin.run(["start_at_task", "limit"], variables={}) == ["Create the report directory", ""]


def test_an_unknown_option_is_an_error_never_an_empty_answer(monkeypatch):
    """An empty answer reads as "not given": a misspelt option must not pass for an option nobody gave."""
    plugin = _launched(monkeypatch, subset="db01")
    with pytest.raises(AnsibleLookupError, match="unknown option 'limits'"):
        plugin.run(["limits"], variables={})
