"""own_variables: the one regular expression of the names a playbook sets, for the varnames lookup."""
import re

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.filter.own_variables import OWN_VARIABLES, own_variables, own_variables_given


def test_it_matches_each_name_whole_and_nothing_longer_or_shorter():
    """A name that only starts or ends like one of them is the user's (sanfleet_plan_file is not sanfleet_plan)."""
    pattern = re.compile(own_variables("remediate"))
    for name in OWN_VARIABLES["remediate"]:
        assert pattern.match(name), name
    for name in ("sanfleet_plan_file", "xsanfleet_plan", "sanfleet_approved_plan", "sanfleet_plan_failed",
                 "stale_cleanup_result_", "fleet_report_dir", "sanfleet_allow_unreviewed"):
        assert not pattern.match(name), name


def test_an_unknown_playbook_is_an_error_never_an_empty_pattern():
    """An empty list would make the guard pass whatever is given."""
    with pytest.raises(AnsibleFilterError, match="no list for the playbook 'audit'"):
        own_variables("audit")


class ExplodingValue(dict):
    """Host variables whose values must never be read (a template given as a value would be rendered)."""

    def __getitem__(self, key):
        raise AssertionError("the value of %s was read" % key)


def test_the_hosts_holding_a_name_are_named_with_it_and_no_value_is_read():
    """Every host of the play is checked (a later batch's inventory too), by name only."""
    hostvars = {"h1": ExplodingValue(sanfleet_hosts="db", ansible_host="h1"),
                "h2": ExplodingValue(stale_cleanup_result="{{ x }}", sanfleet_plan={}, sanfleet_plan_file="p"),
                "h3": ExplodingValue(fleet_report_reports=[])}
    assert own_variables_given(["h1", "h2", "h3"], hostvars, "remediate") == [
        "h2: sanfleet_plan, stale_cleanup_result", "h3: fleet_report_reports"]
    assert own_variables_given(["h1"], hostvars, "remediate") == []
