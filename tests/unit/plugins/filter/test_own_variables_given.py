"""own_variables_given: the hosts of the play that already hold a name the playbook sets, read by name only."""
from ansible_collections.sanfleet.remediation.plugins.filter.own_variables_given import own_variables_given


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


def test_the_plays_own_names_that_no_host_holds_are_named_as_the_plays():
    """A playbook that imports remediate.yml with vars gives play vars, which no host's variables hold: the names
    varnames sees are named as the play's, once, and only those the playbook refuses (review 8)."""
    hostvars = {"h1": ExplodingValue(sanfleet_hosts="db"), "h2": ExplodingValue(sanfleet_plan={})}
    visible = ["stale_cleanup_array_truth", "sanfleet_plan", "sanfleet_hosts", "fleet_report_reports"]
    assert own_variables_given(["h1", "h2"], hostvars, "remediate", visible) == [
        "h2: sanfleet_plan", "the play (play vars, import_playbook vars): fleet_report_reports, stale_cleanup_array_truth"]
    assert own_variables_given(["h1"], hostvars, "remediate", ["sanfleet_hosts"]) == []
