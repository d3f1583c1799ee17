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


@pytest.mark.parametrize("playbook", ["remediate", "audit", "compliance"])
def test_a_run_started_at_a_task_or_given_what_each_host_sets_is_refused(monkeypatch, playbook):
    plugin = _launched(monkeypatch)
    # the play-level variables of a normal launch: extra vars and play vars, no host's own
    assert plugin.run(["refusals"], variables={"sanfleet_hosts": "san"}, playbook=playbook) == [""]
    for name in ("ansible_facts", "inventory_hostname", "group_names"):
        [why] = plugin.run(["refusals"], variables={name: "x"}, playbook=playbook)
        assert why.startswith("refused: %s given at launch (an extra var)" % name), why
    plugin = _launched(monkeypatch, start_at_task="Write the reports on the controller")
    [why] = plugin.run(["refusals"], variables={}, playbook=playbook)
    assert why.startswith("refused: %s.yml cannot start at a task (--start-at-task)" % playbook), why
    # the guards are tagged always (review 9); another skipped tag is the user's
    plugin = _launched(monkeypatch, skip_tags=("report", "always"))
    [why] = plugin.run(["refusals"], variables={}, playbook=playbook)
    assert why.startswith("refused: %s.yml cannot skip the tag always" % playbook), why
    assert _launched(monkeypatch, skip_tags=("report",)).run(["refusals"], variables={}, playbook=playbook) == [""]


def test_an_audit_given_a_fix_switch_as_an_extra_var_is_refused_the_others_are_not(monkeypatch):
    """The audit sets multipath_config_fix and multipath_config_nvme_fix false in its task vars; an extra var outranks
    them, and the audit, which changes nothing, ran the fix."""
    plugin = _launched(monkeypatch)
    for switch in ("multipath_config_fix", "multipath_config_nvme_fix"):
        [why] = plugin.run(["refusals"], variables={switch: False}, playbook="audit")
        assert why.startswith("refused: %s given at launch" % switch) and "the audit changes nothing" in why, why
        assert plugin.run(["refusals"], variables={switch: True}, playbook="compliance") == [""]
    # what Ansible sets for a rescue (review 9)
    for name in ("ansible_failed_task", "ansible_failed_result"):
        [why] = plugin.run(["refusals"], variables={name: []}, playbook="audit")
        assert why.startswith("refused: %s given at launch" % name), why


def test_refusals_need_a_known_playbook(monkeypatch):
    """No answer for an unknown playbook: an empty one would read as "nothing refused"."""
    plugin = _launched(monkeypatch)
    with pytest.raises(AnsibleLookupError, match="refusals needs playbook"):
        plugin.run(["refusals"], variables={})
    with pytest.raises(AnsibleLookupError, match="no refusals for the playbook 'audits'"):
        plugin.run(["refusals"], variables={}, playbook="audits")
