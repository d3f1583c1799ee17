# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report_files action on the controller: what a fleet_report run writes per host, and what it refuses."""
from __future__ import annotations

import json
import os
import stat
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


@pytest.mark.parametrize("odd", ["../etc/passwd", "rack1/db02", "", "a\0b"])
def test_a_host_whose_name_is_no_file_name_is_named_and_the_others_reports_are_written(tmp_path, odd):
    """The reports are written whatever a host does: one inventory name that is not a file name (a `/` is accepted
    by YAML and INI inventories) fails the task naming it, after every other host's report was written, and nothing
    is written outside the directory."""
    reports = dict((n, {"host": n, "status": "failed"}) for n in ("db01", odd, "db03"))
    out = run({"dir": str(tmp_path / "hosts"), "json_files": reports})
    assert out["failed"] and "not written" in out["msg"] and len(out["not_written"]) == 1, out
    assert sorted(os.listdir(str(tmp_path / "hosts"))) == ["db01.json", "db03.json"]
    assert sorted(os.listdir(str(tmp_path))) == ["hosts"]


def test_a_report_that_cannot_be_replaced_is_named_and_the_others_are_written(tmp_path):
    (tmp_path / "db01.json").mkdir()
    out = run({"dir": str(tmp_path), "json_files": {"db01": {"host": "db01"}, "db02": {"host": "db02"}}})
    assert out["failed"] and "db01.json" in out["msg"] and out["written"] == ["db02.json"], out
    assert (tmp_path / "db02.json").is_file()


def test_the_directories_and_files_get_their_modes_whatever_the_umask(tmp_path):
    """As the file and copy tasks gave them: 0755 for the directories made, and for the target one; the files'
    mode also on a file whose content is already the same."""
    (tmp_path / "old").mkdir(mode=0o700)
    (tmp_path / "old" / "db01.json").write_text(to_nice_json({"host": "db01"}, indent=1) + "\n")
    os.chmod(str(tmp_path / "old" / "db01.json"), 0o600)
    saved = os.umask(0o077)
    try:
        out = run({"dir": str(tmp_path / "reports" / "hosts"), "json_files": {"db01": {"host": "db01"}}})
        again = run({"dir": str(tmp_path / "old"), "json_files": {"db01": {"host": "db01"}}})
    finally:
        os.umask(saved)
    assert not out.get("failed") and not again.get("failed") and again["unchanged"] == 1, (out, again)
    for d in (tmp_path / "reports", tmp_path / "reports" / "hosts", tmp_path / "old"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o755, d
    for f in (tmp_path / "reports" / "hosts" / "db01.json", tmp_path / "old" / "db01.json"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f


@pytest.mark.parametrize("mode,expected", [(0o644, 0o644), ("0640", 0o640), ("644", 0o644), (420, 0o644)])
def test_a_mode_is_a_number_as_it_is_or_an_octal_string(tmp_path, mode, expected):
    """YAML's unquoted 0644 arrives as the number 420: the mode meant, not the octal digits of its decimal form."""
    out = run({"dir": str(tmp_path), "json_files": {"db01": {}}, "mode": mode})
    assert not out.get("failed"), out
    assert stat.S_IMODE((tmp_path / "db01.json").stat().st_mode) == expected


@pytest.mark.parametrize("args,why", [({"dir": "reports"}, "absolute"), ({"mode": "rw-r--r--"}, "octal"),
                                      ({"mode": "17777"}, "octal"), ({"mode": True}, "octal"),
                                      ({"mode": [1]}, "octal")])
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
def test_a_text_file_whose_content_came_out_as_data_is_not_written_and_named(tmp_path, value):
    """ansible-core before 2.19 turns a rendered page that reads as a Python literal into data: writing it would
    give the page in another form than rendered. The other files are written."""
    out = run({"dir": str(tmp_path), "json_files": REPORTS, "text_files": {"fleet.md": value}})
    assert out["failed"] and "not text" in out["msg"] and "fleet.md" in out["msg"], out
    assert sorted(os.listdir(str(tmp_path))) == ["db01.json", "db02.json"]


def test_one_file_named_twice_fails_and_writes_nothing(tmp_path):
    out = run({"dir": str(tmp_path), "json_files": {"fleet": {}}, "text_files": {"fleet.json": "{}"}})
    assert out["failed"] and "named twice" in out["msg"], out
    assert list(tmp_path.iterdir()) == []
