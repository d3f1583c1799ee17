# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/run/cleanup.py` (stale_cleanup's plan-and-decide flow)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import steps as plan_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.run import cleanup as run_cleanup
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import W1, W2
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import TARGETS, rec
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    healthy_lab, ontap_serial, ontap_wwid)


def odd_alias_host(tmp_path, alias="db(prod)@x"):
    """The lab host (LUNs 1 and 2 on two sessions) with a third map, LUN 3, aliased with characters the kernel and
    multipath accept and validate.MAP_NAME does not; every path works."""
    t = healthy_lab(tmp_path)
    for name, hctl, dev, sess in (("sdf", "2:0:0:3", "8:80", 1), ("sdg", "3:0:0:3", "8:96", 2)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + ontap_wwid(3)[1:],
               serial="0" + ontap_serial(3).encode().hex())
    t.dm("dm-2", "253:2", alias, "mpath-" + ontap_wwid(3), slaves=("sdf", "sdg"))
    return t.commands()


def judged_and_decided(t, luns):
    host = t.reader()
    truth = {"luns": luns, "targets": TARGETS, "initiators": ["*"], "problems": [], "collected_at": time.time()}
    san = facts.collect(host, truth, ("3600a0980",), probe=False)
    policy = dict((k, None) for k in run_cleanup.POLICY_OPTIONS)
    policy.update(policy="array", grace=0, truth_max_age=900.0, repair_mismatch=True, flush_buffers=True)
    return san, run_cleanup.decide(policy, host, san)


def test_a_working_map_with_an_odd_alias_still_blocks_the_host_as_unexpected_visibility(tmp_path):
    """A map whose alias no step may carry made the whole host's plan fail on every run; now it is planned around,
    but it is still a device: working, covered and mapped by no record, it still raises the incomplete-truth
    blocker (unexpected_visibility), the alias shown escaped in the message."""
    san, plan = judged_and_decided(odd_alias_host(tmp_path), [rec(1, 1), rec(2, 2)])
    odd = [v for v in san["verdicts"] if v["name"] == "db(prod)@x"]
    assert [v["kind"] for v in odd] == ["unexpected_visibility"], san["verdicts"]
    assert plan["steps"] == [] and [b["why"] for b in plan["blocked"]] == ["unexpected_visibility"], plan
    assert "'db(prod)@x'" in plan["blocked"][0]["msg"] and "db(prod)@x work" not in plan["blocked"][0]["msg"]


def test_a_mapped_map_with_an_odd_alias_is_named_and_left_alone(tmp_path):
    """The same map mapped by the array: the host is planned (no failure for the whole host), and the map is named,
    escaped, as a unit nothing acts on."""
    san, plan = judged_and_decided(odd_alias_host(tmp_path, "db\u2028(prod)"), [rec(1, 1), rec(2, 2), rec(3, 3)])
    assert plan["blocked"] == [] and plan["steps"] == []
    odd = [s for s in plan["skipped"] if s["name"] == ascii("db\u2028(prod)")]
    assert odd and "no step may carry" in odd[0]["reason"] and "\u2028" not in odd[0]["reason"], plan["skipped"]


def test_check_mode_diff_shows_only_the_flushed_map_leaving_not_the_lu_its_name_spells():
    """Fails when the check-mode diff shows the map of the LU a flushed map's name spells as removed."""
    san = {"maps": {W1: {"name": "mpatha", "wwid": W1, "paths": [{"name": "sdb"}]},
                    W2: {"name": W1, "wwid": W2, "paths": [{"name": "sdc"}]}},
           "disks": {}}
    run = [plan_steps.step("flush_map", W1, {"name": W1, "wwid": W2}).tagged(None, 1)]
    diff = run_cleanup.plan_diff(san, {"steps": run}, run)
    # on 7120141 (and before): "after" lists no map at all; LU W1's map mpatha is shown removed
    assert "map %s (sdb)" % W1 in diff["after"] and "map %s (sdc)" % W2 not in diff["after"], diff["after"]


def test_check_mode_diff_shows_the_nvme_controller_the_plan_deletes_leaving(tmp_path):
    """--diff of a plan that deletes nvme0 (lif_gone): nvme0 is in "before" and not in "after"; the namespaces it
    carried stay, with nvme1 their one path."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
        nvme_array_truth, nvme_host, nvme_judged)
    reader, lab = nvme_host(tmp_path, "nvme_stale", ("nvme0n2", "nvme0c0n2"))
    san = nvme_judged(reader, nvme_array_truth(lab["nvme"]), time.time())
    plan = cleanup.plan_cleanup(san, san.get("verdicts") or [], {"policy": "array", "delete_lif_gone": True})
    diff = run_cleanup.plan_diff(san, plan, plan["steps"])
    line = [ln for ln in diff["before"].splitlines() if ln.startswith("nvme controller nvme0 ")]
    assert len(line) == 1 and "connecting tcp" in line[0] and "traddr=127.0.0.5" in line[0]
    assert "nvme controller nvme0" not in diff["after"] and "nvme controller nvme1 live" in diff["after"]
    assert "nvme namespace nvme0n1 (nvme0 nvme1)" in diff["before"] and "nvme namespace nvme0n1 (nvme1)" in diff["after"]


def test_the_act_measures_each_familys_truth_age_from_its_own_part():
    """The SCSI units from the truth's own time, the NVMe units from its NVMe part's (the oldest of its reads): an
    old NVMe part never refuses a SCSI unit the plan allowed, nor the reverse (check mode = the real run)."""
    assert run_cleanup.truth_times({"collected_at": 2000.0, "nvme": {"collected_at": 1000.0}}) == (2000.0, 1000.0)
    assert run_cleanup.truth_times({"collected_at": 1000.0, "nvme": {"collected_at": None}}) == (1000.0, None)
    assert run_cleanup.truth_times({"collected_at": 1000.0}) == (1000.0, None)
    _scsi, nan = run_cleanup.truth_times({"collected_at": 1000.0, "nvme": {"collected_at": float("nan")}})
    assert math.isnan(nan)  # handed on, so that the act's gate refuses it (truth_age_unknown), never skips the check
    assert run_cleanup.truth_times(None) == (None, None)
