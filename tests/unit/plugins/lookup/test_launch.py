"""launch: the options ansible-playbook was started with, never a variable of the same meaning."""
import pytest

from ansible.errors import AnsibleLookupError
from ansible_collections.sanfleet.remediation.plugins.lookup.launch import launch_option


def test_the_limit_and_the_start_task_are_the_command_lines():
    cliargs = {"subset": "db01,db02", "start_at_task": None}
    assert launch_option("limit", cliargs) == "db01,db02"
    assert launch_option("start_at_task", cliargs) == ""
    assert launch_option("start_at_task", {"subset": None, "start_at_task": "Create the report directory"}) == \
        "Create the report directory"
    assert launch_option("limit", {}) == ""


def test_an_unknown_option_is_an_error_never_an_empty_answer():
    """An empty answer reads as "not given": a misspelt option must not pass for an option nobody gave."""
    with pytest.raises(AnsibleLookupError, match="unknown option 'limits'"):
        launch_option("limits", {"subset": "db01"})
