"""own_variables: the one regular expression of the names a playbook sets, for the varnames lookup."""
import re

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.filter.own_variables import OWN_VARIABLES, own_variables


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
