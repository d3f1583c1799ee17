# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report_files action on the controller: what a fleet_report run writes per host and renders from the
role's templates, and what it refuses."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from unittest import mock

import pytest
from markupsafe import escape

from ansible.parsing.dataloader import DataLoader
from ansible.plugins.filter.core import to_nice_json
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

from ansible_collections.sanfleet.remediation.plugins.action.report_files import ActionModule
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import (
    fleet_report, host_report, igroup_layout)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import QUEUEING, nvme_result

ROLE = Path(__file__).resolve().parents[4] / "roles" / "fleet_report"
PAGES = {"fleet.md": "fleet.md.j2", "fleet.html": "fleet.html.j2", "junit.xml": "junit.xml.j2"}


def run(args, check_mode=False, search=ROLE):
    """The action's result for `args`, its templates looked up as in a task of the role at `search`."""
    task = mock.MagicMock(args=args, check_mode=check_mode, async_val=0, diff=False)
    task.get_search_path.return_value = [str(search)]
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), DataLoader(), mock.MagicMock(), mock.MagicMock())
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


# ------------------------------------------------------------------------------------------------ templates

def _fleet(tmp_path, run_kind="remediate", text=None):
    """The variables of the fleet pages over four hosts (findings, maps that queue, a failed and a not_san host,
    NVMe-oF, a remediation plan) and an igroup layout, every page section in; `text` (when given) in the reasons a
    host's facts and a failed host carry."""
    say = (lambda why: "%s: %s" % (why, text)) if text else (lambda why: why)
    san = {"host": {"iscsi_iqn": "iqn.2024-01.lab:gold", "initiators": ["iqn.2024-01.lab:gold"], "fc_wwpns": [],
                    "multipathd_running": True},
           "maps": {"3600a0980x1": {"name": "3600a0980x1", "paths": [{"name": "sdq", "dm_state": "failed"}]}},
           "disks": {"sdq": {}},
           "findings": [{"kind": "all_paths_failed", "object": "map", "name": "3600a0980x1", "wwid": "3600a0980x1",
                         "reason": say("no path answers")},
                        {"kind": "orphan_path", "object": "disk", "name": "sdr", "wwid": "3600a0980x2",
                         "reason": say("no map holds it")}],
           "errors": [{"what": "probe of sds", "msg": say("timed out")}],
           "verdicts": [{"kind": "not_covered", "object": "map", "name": "3600a0980x1", "wwid": "3600a0980x1",
                         "reason": "served by no SVM the array data covers", "evidence": {}}],
           "array": {"records": 0, "targets": [], "collected_at": None,
                     "problems": [{"cluster": "c3", "svm": None, "kind": "lookup_failed",
                                   "msg": say("ONTAP GET cluster on c3 failed (HTTP 401): not authorized")}]}}
    multipath = {"remaining_findings": [], "findings": [], "live_maps_queueing": QUEUEING}
    plan = {"steps": [{"action": "flush_map", "target": "3600a0980x1", "reason": say("stale")}],
            "refused": [{"kind": "refused", "object": "map", "name": "3600a0980x3", "reason": say("in use")}]}
    nvme_san = {"host": {"san_presence": "san", "initiators": ["iqn.2024-01.lab:gold"]}, "maps": {}, "disks": {},
                "errors": []}
    reports = [host_report({"san": san, "multipath": multipath, "plan": plan,
                            "applied": {"executed": [{"action": "flush_map", "target": "3600a0980x1"}]}},
                           "db01", run_kind),
               host_report({"failed": {"msg": say("ssh: connection refused"), "unreachable": True, "task": None}},
                           "db02", run_kind),
               host_report({"san": {"host": {}, "maps": {}, "disks": {}}, "not_san": True}, "web1", run_kind),
               host_report({"san": nvme_san, "nvme": nvme_result(tmp_path / "nvme", ctrl_loss_tmo="off")}, "nv1",
                           run_kind)]
    # a LUN whose serial the array did not give (wwid None: printed as nothing) reaches db01 through two igroups
    lun = {"path": "/vol/v/l1", "lun_id": 1, "wwid": None}
    igroups = [{"cluster": "c1", "svm": "s1", "name": "shared_ig", "initiators": ["iqn.a", "iqn.b"],
                "hosts": ["db01", "nv1"], "shared": True, "sharing": "shared", "lun_maps": [lun]},
               {"cluster": "c1", "svm": "s1", "name": "db01_ig", "initiators": ["iqn.a"], "hosts": ["db01"],
                "shared": False, "sharing": "per_host", "lun_maps": [dict(lun, lun_id=7)]},
               {"cluster": "c2", "svm": None, "problem": {"cluster": "c2", "svm": None, "kind": "lookup_failed",
                                                          "msg": say("ONTAP GET cluster on c2 failed (HTTP 503)")}}]
    hosts = ["db01", "db02", "web1", "nv1", "never"]
    return {"fleet_report": fleet_report(reports, hosts, ["db01", "web1", "nv1"], "2026-11-25T02:00:00Z", run_kind),
            "fleet_report_igroups": igroup_layout(igroups)}


def _lookup(template, variables):
    """What the ansible.builtin.template lookup renders from the role's `template` over `variables`."""
    loader = DataLoader()
    lookup = lookup_loader.get("template", loader=loader, templar=Templar(loader=loader))
    return str(lookup.run([template], variables=dict(variables, ansible_search_path=[str(ROLE)]))[0])


@pytest.mark.parametrize("run_kind", ["remediate", "audit"])
def test_each_page_is_byte_for_byte_what_the_template_lookup_renders(tmp_path, run_kind):
    """The fleet pages were rendered with the template lookup: the plain Jinja2 rendering (its settings: trim_blocks,
    the template's trailing newline, None as nothing...) writes the same bytes for the same data; fleet.json's data
    is what the templates see as fleet_report."""
    variables = _fleet(tmp_path, run_kind)
    out = run({"dir": str(tmp_path / "reports"), "json_files": {"fleet": variables["fleet_report"]},
               "templates": PAGES, "template_vars_from_json": {"fleet_report": "fleet"},
               "template_vars": {"fleet_report_igroups": variables["fleet_report_igroups"]}})
    assert not out.get("failed") and out["written"] == ["fleet.html", "fleet.json", "fleet.md", "junit.xml"], out
    for name, template in PAGES.items():
        page = (tmp_path / "reports" / name).read_bytes()
        assert page == _lookup(template, variables).encode("utf-8"), name
    md = (tmp_path / "reports" / "fleet.md").read_text()
    sections = ("## Array problems", "## Fleet identity", "## NVMe over Fabrics", "### The maps and devices",
                "## Igroup layout", "| /vol/v/l1 |  | db01_ig, shared_ig | 1, 7 |",
                "Remediation:" if run_kind == "remediate" else "## Findings")
    assert [s for s in sections if s not in md] == []  # the data reaches every section: the comparison covers them
    again = run({"dir": str(tmp_path / "reports"), "templates": PAGES, "template_vars": variables})
    assert again["changed"] is False and again["unchanged"] == 3, again


# what the role's set_stats task templated from the fleet report before the write returned the artifact
ARTIFACT_TEMPLATE = """{{ {'run': fleet_report_run, 'dir': fleet_report_path, 'counts': fleet_report.counts,
    'hosts': dict(fleet_report.hosts | map(attribute='host') | zip(fleet_report.hosts | map(attribute='status'))),
    'worst': (fleet_report.hosts | first).status if fleet_report.hosts else 'ok',
    'array': fleet_report.array,
    'failed': dict(fleet_report.hosts | selectattr('status', 'equalto', 'failed') | map(attribute='host')
                   | zip(fleet_report.hosts | selectattr('status', 'equalto', 'failed') | map(attribute='reason'))),
    'array_gate': fleet_report.array_gate, 'array_gate_hosts': fleet_report.array_gate_hosts} }}"""


@pytest.mark.parametrize("run_kind", ["remediate", "audit"])
def test_the_fleet_artifact_is_what_the_role_templated_from_the_fleet_report(tmp_path, run_kind):
    """The job artifact sanfleet_report comes from the write of fleet.json (fleet_artifact_of), so that the tasks
    after it do not build the fleet report again: the same value the role's template gave, failed and never-run
    hosts, array problems and the gate included. Fails when a key or a value differs."""
    variables = _fleet(tmp_path, run_kind)
    directory = str(tmp_path / "reports")
    out = run({"dir": directory, "json_files": {"fleet": variables["fleet_report"]},
               "fleet_artifact_of": "fleet", "fleet_artifact_run": run_kind})
    assert not out.get("failed"), out
    templar = Templar(loader=DataLoader(), variables=dict(variables, fleet_report_run=run_kind,
                                                          fleet_report_path=directory))
    try:    # a role's template is trusted from ansible-core 2.19 on; before, every plain string is one
        from ansible.template import trust_as_template
    except ImportError:
        expected = templar.template(ARTIFACT_TEMPLATE)
    else:
        expected = templar.template(trust_as_template(ARTIFACT_TEMPLATE))
    assert json.loads(json.dumps(out["fleet_artifact"])) == json.loads(json.dumps(expected))
    assert out["fleet_artifact"]["failed"] and out["fleet_artifact"]["array"], out["fleet_artifact"]
    assert "fleet_artifact" not in run({"dir": directory, "json_files": {"fleet": variables["fleet_report"]}})


def test_a_failed_fleet_write_returns_no_artifact(tmp_path):
    """fleet.json cannot be replaced: the task fails and its result, which is printed whole at every verbosity,
    carries no artifact (a line per host; 19,497 characters at 200 unreachable hosts). Fails when it does."""
    variables = _fleet(tmp_path, "audit")
    directory = tmp_path / "reports"
    (directory / "fleet.json").mkdir(parents=True)
    out = run({"dir": str(directory), "json_files": {"fleet": variables["fleet_report"]},
               "fleet_artifact_of": "fleet", "fleet_artifact_run": "audit"})
    assert out["failed"] and out["not_written"], out
    assert "fleet_artifact" not in out


@pytest.mark.parametrize("entry", ["hosts", "fleet"])
def test_an_artifact_of_no_fleet_report_fails_before_anything_is_written(tmp_path, entry):
    """fleet_artifact_of names an entry that is not there, or one that is no fleet report (a host's reports): the
    task fails naming it, and no file is written."""
    out = run({"dir": str(tmp_path / "reports"), "json_files": {"hosts": REPORTS},
               "fleet_artifact_of": entry, "fleet_artifact_run": "audit"})
    assert out["failed"] and "fleet_artifact_of: %s names no fleet report" % entry in out["msg"], out
    assert not (tmp_path / "reports").exists()


def test_a_reports_text_is_written_as_text_and_never_run_as_a_template(tmp_path):
    """A host's report holds what the host said (a path, an error message, a hostile LUN comment): a template in it
    is text on every page, no lookup runs, and an unclosed raw block or comment breaks nothing."""
    marker = tmp_path / "ran"
    hostile = "{{ lookup('pipe', 'touch %s') }} {%% raw %%} {# {{ 7 * 7 }}" % marker
    variables = _fleet(tmp_path, text=hostile)
    out = run({"dir": str(tmp_path / "reports"), "templates": PAGES, "template_vars": variables})
    assert not out.get("failed"), out
    pages = dict((name, (tmp_path / "reports" / name).read_text()) for name in PAGES)
    assert hostile in pages["fleet.md"] and "ssh: connection refused: " + hostile in pages["fleet.md"]
    assert str(escape(hostile)) in pages["fleet.html"] and str(escape(hostile)) in pages["junit.xml"]
    assert not marker.exists()


@pytest.mark.parametrize("template", ["../x.j2", "/etc/passwd", "..", "templates/fleet.md.j2", "", 7])
def test_a_template_that_is_no_file_name_of_the_roles_templates_is_refused_and_nothing_written(tmp_path, template):
    """Only the role's own templates are rendered: a path (that _find_needle would take as it is) is refused before
    any file is written."""
    out = run({"dir": str(tmp_path / "reports"), "json_files": {"fleet": {}},
               "templates": {"fleet.md": "fleet.md.j2", "page": template}, "template_vars": _fleet(tmp_path)})
    assert out["failed"] and "nothing written" in out["msg"] and repr(template) in out["msg"], out
    assert not (tmp_path / "reports").exists()


def _templates(tmp_path, **sources):
    """A role whose templates/ holds `sources` (file name -> text)."""
    (tmp_path / "role" / "templates").mkdir(parents=True)
    for name, text in sources.items():
        (tmp_path / "role" / "templates" / name).write_text(text)
    return tmp_path / "role"


def test_a_template_the_data_does_not_render_is_named_with_its_line_and_left_as_it_was(tmp_path):
    """The task fails naming the file, the template and its line; that file keeps its old content, the others
    are written (as a host whose report cannot be written costs the others nothing)."""
    role = _templates(tmp_path, **{"ok.j2": "{{ hosts | length }} hosts\n",
                                   "bad.j2": "{{ hosts | length }} hosts\n{{ 100 // hosts | length }} per host\n"})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "bad.txt").write_text("the old page\n")
    out = run({"dir": str(tmp_path / "out"), "json_files": {"fleet": {"hosts": []}},
               "templates": {"ok.txt": "ok.j2", "bad.txt": "bad.j2"}, "template_vars": {"hosts": []}}, search=role)
    assert out["failed"] and out["written"] == ["fleet.json", "ok.txt"], out
    assert out["not_written"] == ["bad.txt: template bad.j2 did not render, line 2: ZeroDivisionError: integer "
                                  "division or modulo by zero"], out
    assert (tmp_path / "out" / "bad.txt").read_text() == "the old page\n"
    assert sorted(os.listdir(str(tmp_path / "out"))) == ["bad.txt", "fleet.json", "ok.txt"]  # no temporary file left


@pytest.mark.parametrize("sources,templates,why", [
    ({"a.j2": "{{ x | flatten }}"}, {"a": "a.j2"}, "template a.j2 does not compile: line 1: No filter named 'flatten'"),
    ({"a.j2": "{% if x %}"}, {"a": "a.j2"}, "template a.j2 does not compile: line 1"),
    ({}, {"a": "missing.j2"}, "template missing.j2 for a is not in the templates/"),
])
def test_a_template_missing_or_not_compiling_fails_before_anything_is_written(tmp_path, sources, templates, why):
    """A template is the role's own code: one that is not there, or uses a filter of ansible's (the templates are
    rendered with Jinja2's own), fails the task naming it before any file is written."""
    role = _templates(tmp_path, **sources)
    out = run({"dir": str(tmp_path / "out"), "json_files": {"fleet": {}}, "templates": templates}, search=role)
    assert out["failed"] and "nothing written" in out["msg"] and why in out["msg"], out
    assert not (tmp_path / "out").exists()


def test_an_undefined_variable_fails_as_in_ansible_and_default_still_works(tmp_path):
    """As ansible's templar: an undefined attribute printed fails (naming it), `default` and `is defined` work, and
    None is printed as nothing."""
    uses = "{{ r.gone | default('-') }} {{ r.none }}|{% if r.x is defined %}x{% endif %}"
    role = _templates(tmp_path, **{"a.j2": uses, "b.j2": "{{ r.gone }}"})
    out = run({"dir": str(tmp_path), "templates": {"a": "a.j2", "b": "b.j2"}, "template_vars": {"r": {"none": None}}},
              search=role)
    assert (tmp_path / "a").read_text() == "- |" and not (tmp_path / "b").exists()
    assert out["not_written"] == ["b: template b.j2 did not render, line 1: UndefinedError: 'dict object' has no "
                                  "attribute 'gone'"], out


@pytest.mark.parametrize("args,why", [
    ({"template_vars_from_json": {"fleet_report": "fleets"}}, "fleet_report names no entry of json_files ('fleets')"),
    ({"template_vars_from_json": {"fleet_report": "fleet"}, "template_vars": {"fleet_report": {}}},
     "template variable fleet_report is given twice"),
    ({"text_files": {"fleet.md": "# page"}}, "a file is named twice"),
])
def test_template_variables_or_files_given_twice_or_from_no_json_fail_before_anything_is_written(tmp_path, args, why):
    out = run(dict({"dir": str(tmp_path / "out"), "json_files": {"fleet": {}},
                    "templates": {"fleet.md": "fleet.md.j2"}}, **args))
    assert out["failed"] and why in out["msg"], out
    assert not (tmp_path / "out").exists()


def test_check_mode_renders_the_pages_and_names_those_that_would_change(tmp_path):
    variables = _fleet(tmp_path)
    run({"dir": str(tmp_path), "templates": PAGES, "template_vars": variables})
    os.unlink(str(tmp_path / "junit.xml"))
    out = run({"dir": str(tmp_path), "templates": PAGES, "template_vars": variables}, check_mode=True)
    assert out["changed"] and out["written"] == ["junit.xml"] and out["unchanged"] == 2, out
    assert not (tmp_path / "junit.xml").exists()
