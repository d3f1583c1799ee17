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
    with pytest.raises(AnsibleFilterError, match="no list for the playbook 'compliance_merge'"):
        own_variables("compliance_merge")


def test_the_audit_refuses_its_names_not_the_fix_switches_the_inventory_may_hold_for_another_job():
    """The inventory may set multipath_config_fix for the fix job (the audit's task vars outrank it); sanfleet_host_state
    is the audit's own."""
    pattern = re.compile(own_variables("audit"))
    for name in ("sanfleet_host_state", "fleet_report_reports", "multipath_config_before"):
        assert pattern.match(name), name
    # the rescue's names: an earlier play's rescue leaves them (harmless: the audit reads them in its own rescue);
    # given as extra vars they are refused before the play (the launch lookup)
    for name in ("multipath_config_fix", "multipath_config_nvme_fix", "sanfleet_ontap", "fleet_report_dir",
                 "ansible_failed_task"):
        assert not pattern.match(name), name
