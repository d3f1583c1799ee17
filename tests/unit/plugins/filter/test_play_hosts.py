"""play_hosts: a play's host pattern comes back unchanged, and the report code is loaded where the pattern is read."""
import os
import sys

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.filter import play_hosts as play_hosts_filter
from ansible_collections.sanfleet.remediation.plugins.filter.play_hosts import play_hosts

REPORT = "ansible_collections.sanfleet.remediation.plugins.plugin_utils.report"
PLAYBOOKS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "playbooks")


@pytest.mark.parametrize("pattern", ["all", "san_hosts:&rack1", ["db01", "db02"], "db0[1:3],!db02"])
def test_the_pattern_comes_back_as_it_was_given(pattern):
    """Fails when the filter changes which hosts a play runs on."""
    assert play_hosts(pattern) == pattern


def test_the_report_code_is_imported_in_the_process_that_reads_the_pattern(monkeypatch):
    """Fails when the main process does not import the report code before it forks the workers (each worker then
    compiles it again)."""
    monkeypatch.delitem(sys.modules, REPORT, raising=False)
    play_hosts("all")
    assert hasattr(sys.modules[REPORT], "host_report")


def test_report_code_that_cannot_be_imported_does_not_stop_the_play(monkeypatch):
    """Fails when a speed-up stops every host of the play at `hosts:` (no host runs, no report is written) because
    the report code cannot be imported: the report task must be the one that fails and says why."""
    def broken(_module):
        raise ImportError("simulated: the report code cannot be imported")
    monkeypatch.setattr(play_hosts_filter, "load_now", broken)
    assert play_hosts("san_hosts") == "san_hosts"


@pytest.mark.parametrize("bad", [None, 3, {"hosts": "all"}])
def test_what_is_no_pattern_is_an_error(bad):
    """Fails when something that is no host pattern is passed on to the play."""
    with pytest.raises(AnsibleFilterError):
        play_hosts(bad)


@pytest.mark.parametrize("playbook", ["audit.yml", "remediate.yml", "compliance.yml"])
def test_the_plays_that_build_host_reports_read_their_hosts_through_it(playbook):
    """Fails when a playbook that builds a report per host templates its hosts without play_hosts."""
    with open(os.path.join(PLAYBOOKS, playbook)) as fh:
        first = yaml.safe_load(fh)[0]
    assert "| sanfleet.remediation.play_hosts" in first["hosts"]


def test_a_refusal_stops_the_play_with_its_message_and_none_lets_it_run():
    """The play's hosts are templated before any task, whatever --start-at-task says: a refusal given there is the
    one check a skipped task cannot walk around."""
    with pytest.raises(AnsibleFilterError, match="^refused: a; refused: b$"):
        play_hosts("db", refuse=["refused: a", "", "refused: b"])
    with pytest.raises(AnsibleFilterError, match="^refused: c$"):
        play_hosts("db", refuse="refused: c")
    assert play_hosts("db", refuse=["", ""]) == "db"
    assert play_hosts(["db", "web"]) == ["db", "web"]
