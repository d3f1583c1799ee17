# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compact `san` fact on the real captured trees: three Debian generations of the iSCSI scenarios,
the FC captures and the two-target host, each judged against its capture's own array truth.

Compact keeps every device the judge has something against exactly as the full form has it, counts and lists the
healthy ones, and is much smaller than the full form where most devices are healthy. (That the reports say the
same about a host from either form: tests/unit/plugins/plugin_utils/test_report.py; controller code is
not importable in ansible-test's module_utils context.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact as judge_compact
from ansible_collections.sanfleet.remediation.tests.unit import helpers as gen
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import CAPTURES, judged


def nodes(value):
    if isinstance(value, dict):
        return 1 + sum(nodes(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(nodes(v) for v in value)
    return 1


def not_healthy(full):
    """Maps the full form itself shows something wrong with, read without judge.compact: a path not active/ready,
    a verdict other than healthy, a finding of a fault. Compact must keep every one of them whole."""
    bad = set()
    for wwid, m in full["maps"].items():
        if not m.get("paths") or any(p.get("dm_state") != "active" or p.get("checker_state") not in ("ready", None)
                                     for p in m["paths"]):
            bad.add(wwid)
    bad.update(v["wwid"] for v in full.get("verdicts") or [] if v["object"] == "map" and v["kind"] != "healthy")
    bad.update(f["wwid"] for f in full["findings"] if f["object"] == "map" and f["kind"] != "in_use")
    return bad


@pytest.mark.parametrize("suite,scenario", CAPTURES)
def test_every_unhealthy_device_keeps_every_field_and_the_healthy_ones_are_counted(suite, scenario):
    """Fails when compacting alters the full fact, drops a field of an unhealthy device, or miscounts."""
    full = judged(suite, scenario)
    compact = judge_compact.compact(full)
    assert full == judged(suite, scenario)                        # the full snapshot is left as it was
    healthy = compact["healthy"]
    for wwid in not_healthy(full):
        assert compact["maps"][wwid] == full["maps"][wwid], wwid
    # whatever stays listed is exactly as in the full form; whatever left is counted and listed by name
    for wwid, m in compact["maps"].items():
        assert m == full["maps"][wwid]
    gone = sorted(set(full["maps"]) - set(compact["maps"]))
    assert healthy["maps"]["wwids"] == gone and healthy["maps"]["count"] == len(gone)
    assert sorted(healthy["maps"]["names"]) == sorted(full["maps"][w]["name"] for w in gone)
    assert sum(healthy["maps"]["by_array"].values()) == len(gone)
    assert healthy["maps"]["queueing"] == sum(1 for w in gone if full["maps"][w]["queueing"])
    gone_paths = sorted(p["name"] for w in gone for p in full["maps"][w]["paths"])
    assert sorted(healthy["paths"]["names"]) == gone_paths and healthy["paths"]["count"] == len(gone_paths)
    assert sum(healthy["paths"]["by_state"].values()) == sum(healthy["paths"]["by_target"].values()) == len(gone_paths)
    assert set(healthy["paths"]["by_state"]) <= {"active/ready/running"}
    for name, disk in full["disks"].items():
        assert compact["disks"].get(name, disk) == disk
        assert (name in compact["disks"]) == (name not in gone_paths), name
    # every verdict but the summarised maps' healthy ones, every finding, error, array record and risk, whole
    assert compact["verdicts"] == [v for v in full["verdicts"] if not (v["kind"] == "healthy" and v["wwid"] in gone)]
    assert all(v["kind"] == "healthy" for v in full["verdicts"] if v["wwid"] in gone and v["object"] == "map")
    for key in ("findings", "errors", "array", "corruption_risks", "iscsi_sessions", "collected_at"):
        assert compact[key] == full[key], key
    assert judge_compact.counts(compact) == judge_compact.counts(full) == (len(full["maps"]), len(full["disks"]))
    assert judge_compact.shape(full, "full") == full and "healthy" not in judge_compact.shape(full, "full")


@pytest.mark.parametrize("suite", gen.SUITES)
def test_compact_is_a_fraction_of_full_on_a_healthy_host(suite):
    """Fails when the compact fact of a healthy host is not a small fraction of the full one."""
    # the host's own view (an audit without the array: no verdicts), where every map of the capture is healthy
    full = judged(suite, "healthy")
    for key in ("verdicts", "array", "corruption_risks"):
        del full[key]
    compact = judge_compact.compact(full)
    assert compact["maps"] == {} and compact["healthy"]["maps"]["count"] == len(full["maps"]) >= 4
    assert len(json.dumps(compact)) * 3 < len(json.dumps(full))
    assert nodes(compact) * 3 < nodes(full)


def test_a_healthy_verdict_is_not_enough_when_a_path_is_not_ok():
    """The predicate is the judge's: a map whose verdict says healthy while the kernel does not call one of its
    paths active (path_state `unknown`) stays whole, as does one whose path a read error names."""
    full = judged("bookworm", "healthy")
    placeholder = set(v["wwid"] for v in full["verdicts"] if v["kind"] != "healthy")
    first, second = sorted(set(full["maps"]) - placeholder)[:2]
    full["maps"][first]["paths"][0]["dm_state"] = None
    full["errors"].append({"what": "probe of %s" % full["maps"][second]["paths"][1]["name"], "msg": "timed out"})
    compact = judge_compact.compact(full)
    assert set(compact["maps"]) == {first, second} | placeholder
    assert compact["maps"][first] == full["maps"][first]
    # without the array (no verdicts) the host findings alone decide
    del full["verdicts"]
    assert set(judge_compact.compact(full)["maps"]) == {first, second}
    assert judge_compact.compact(full)["healthy"]["maps"]["count"] == len(full["maps"]) - 2


def test_an_unhealthy_verdict_keeps_a_map_whose_paths_all_work():
    """Fails when a map whose paths all work but whose verdict is not healthy is left out of the compact fact."""
    full = judged("bookworm", "healthy")
    placeholder = set(v["wwid"] for v in full["verdicts"] if v["kind"] != "healthy")
    wwid = sorted(set(full["maps"]) - placeholder)[0]
    for v in full["verdicts"]:
        if v["wwid"] == wwid:
            v["kind"] = "unexpected_visibility"
    compact = judge_compact.compact(full)
    assert compact["maps"] == dict((w, full["maps"][w]) for w in placeholder | {wwid})
    assert sorted(v["wwid"] for v in compact["verdicts"] if v["object"] == "map") == sorted(placeholder | {wwid})
