"""report_dir: the reports go where the user runs from, not into the playbook's (the installed collection's) dir."""
import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.filter.report_dir import report_dir


def test_a_relative_dir_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    """Fails when a relative report dir is resolved against $PWD instead of the working directory."""
    monkeypatch.chdir(tmp_path)
    # $PWD is what a shell left behind: a subprocess started with another cwd keeps its parent's
    monkeypatch.setenv("PWD", "/somewhere/else")
    assert report_dir("sanfleet-reports") == str(tmp_path / "sanfleet-reports")
    assert report_dir("out/../reports/") == str(tmp_path / "reports")


def test_absolute_and_home_paths(tmp_path, monkeypatch):
    """Fails when an absolute or ~ report dir is not kept or expanded."""
    monkeypatch.setenv("HOME", str(tmp_path))
    assert report_dir("/var/lib/sanfleet-reports/42") == "/var/lib/sanfleet-reports/42"
    assert report_dir("~/r") == os.path.join(str(tmp_path), "r")


@pytest.mark.parametrize("bad", ["", "  ", None, 3])
def test_no_path_is_an_error(bad):
    """Fails when an empty or non-string report dir is accepted."""
    with pytest.raises(AnsibleFilterError):
        report_dir(bad)
