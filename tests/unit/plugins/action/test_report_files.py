# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report_files action on the controller: what a fleet_report run writes per host, and what it refuses."""
from __future__ import annotations

import json
from unittest import mock

import pytest

from ansible.plugins.filter.core import to_nice_json

from ansible_collections.sanfleet.remediation.plugins.action.report_files import ActionModule


def run(args, check_mode=False):
    task = mock.MagicMock(args=args, check_mode=check_mode, async_val=0, diff=False)
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(), mock.MagicMock(),
                          mock.MagicMock())
    return action.run(task_vars={})


REPORTS = {"db01": {"host": "db01", "status": "ok", "findings": [{"check": "b"}, {"check": "a"}]},
           "db02": {"host": "db02", "status": "failed", "reason": "ünreachable"}}


def test_each_report_is_written_as_the_copy_task_wrote_it(tmp_path):
    """Byte for byte what `content: "{{ item | to_nice_json(indent=1) }}\\n"` gave, in a directory it creates."""
    out = run({"dir": str(tmp_path / "reports" / "hosts"), "json_files": REPORTS})
    assert not out.get("failed"), out
    assert out["changed"] and sorted(out["written"]) == ["db01.json", "db02.json"] and out["unchanged"] == 0
    for host, report in REPORTS.items():
        text = (tmp_path / "reports" / "hosts" / ("%s.json" % host)).read_text(encoding="utf-8")
        assert text == to_nice_json(report, indent=1) + "\n" and json.loads(text) == report


def test_a_second_run_with_the_same_reports_changes_nothing_and_a_changed_report_is_rewritten(tmp_path):
    run({"dir": str(tmp_path), "json_files": REPORTS})
    assert run({"dir": str(tmp_path), "json_files": REPORTS})["changed"] is False
    changed = dict(REPORTS, db02=dict(REPORTS["db02"], status="ok"))
    out = run({"dir": str(tmp_path), "json_files": changed})
    assert out["written"] == ["db02.json"] and out["unchanged"] == 1


def test_check_mode_names_what_would_change_and_writes_nothing(tmp_path):
    out = run({"dir": str(tmp_path / "hosts"), "json_files": REPORTS}, check_mode=True)
    assert out["changed"] and sorted(out["written"]) == ["db01.json", "db02.json"]
    assert not (tmp_path / "hosts").exists()


@pytest.mark.parametrize("names", [["db01", "../etc/passwd"], ["db01", "a/b"], ["db01", ""], ["db01", "a\0b"]])
def test_a_name_that_is_not_one_file_name_fails_and_writes_nothing(tmp_path, names):
    out = run({"dir": str(tmp_path), "json_files": dict((n, {"host": n}) for n in names)})
    assert out["failed"] and "nothing written" in out["msg"], out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,why", [({"dir": "reports"}, "absolute"), ({"mode": "rw-r--r--"}, "octal"),
                                      ({"mode": "17777"}, "octal")])
def test_a_relative_directory_or_a_mode_that_is_no_mode_fails(tmp_path, args, why):
    out = run(dict({"dir": str(tmp_path), "json_files": REPORTS}, **args))
    assert out["failed"] and why in out["msg"], out
    assert list(tmp_path.iterdir()) == []


def test_text_files_are_written_as_given_beside_the_json_ones(tmp_path):
    page = "# SAN fleet report\n\nÄ host | ok\n"
    out = run({"dir": str(tmp_path), "json_files": {"fleet": {"hosts": []}}, "text_files": {"fleet.md": page}})
    assert sorted(out["written"]) == ["fleet.json", "fleet.md"], out
    assert (tmp_path / "fleet.md").read_text(encoding="utf-8") == page


@pytest.mark.parametrize("value", [{"a": 1}, ["x"], 5, None])
def test_a_text_file_whose_content_came_out_as_data_fails_and_writes_nothing(tmp_path, value):
    """ansible-core before 2.19 turns a rendered page that reads as a Python literal into data: writing it would
    give the page in another form than rendered."""
    out = run({"dir": str(tmp_path), "json_files": REPORTS, "text_files": {"fleet.md": value}})
    assert out["failed"] and "not text" in out["msg"], out
    assert list(tmp_path.iterdir()) == []


def test_one_file_named_twice_fails_and_writes_nothing(tmp_path):
    out = run({"dir": str(tmp_path), "json_files": {"fleet": {}}, "text_files": {"fleet.json": "{}"}})
    assert out["failed"] and "named twice" in out["msg"], out
    assert list(tmp_path.iterdir()) == []
