# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/modules/multipath_conf.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
from ansible.module_utils import basic

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    multipath_fix as judge_multipath_fix)
from ansible_collections.sanfleet.remediation.plugins.modules import multipath_conf
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import (
    FIX, FIXED_CONFIG, NETAPP_BLOCK, SHOW_CONFIG, WWIDS, fixed)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.helpers import (  # noqa: F401,F811 pylint: disable=unused-import
    host)


assert NETAPP_BLOCK in SHOW_CONFIG


MODULE = multipath_conf


def checks(findings):
    return sorted((f["check"], f["scope"]) for f in findings if f["severity"] == "warning" and not f["shadowed"])


NETAPP_SCOPE = 'devices/device[vendor="NETAPP",product="LUN"]'


def test_audit_of_a_debian_host_without_file(host, run_module):
    """Fails when the audit of a host without multipath.conf misses its built-in findings or writes a file."""
    res = run_module({"path": host.path, "detail": "full"})
    assert res["changed"] is False and res["file_exists"] is False
    assert res["effective_source"] == "multipathd show config"
    assert res["recheck_wwid_supported"] is True
    assert checks(res["findings"]) == [
        ("dev_loss_tmo_infinity", NETAPP_SCOPE),
        ("live_map_queueing", "map:" + WWIDS[0]), ("live_map_queueing", "map:" + WWIDS[1]),
        ("no_path_retry_queue", NETAPP_SCOPE), ("recheck_wwid_off", "defaults")]
    assert res["live_maps_queueing"] == WWIDS
    assert res["resolved"]["NETAPP/LUN"]["no_path_retry"]["value"] == "queue"
    assert not os.path.exists(host.path)
    assert "systemctl restart multipathd.service" not in host.calls


def test_fix_in_check_mode_reports_the_diff_and_touches_nothing(host, run_module):
    """Fails when a check-mode fix writes the file or restarts multipathd, or shows no diff."""
    res = run_module({"path": host.path, "state": "present"}, check=True, diff=True)
    assert res["changed"] is True and res["restart_needed"] is True and res["restarted"] is False
    assert 'vendor "NETAPP"' in res["diff"]["after"] and res["diff"]["before"] == ""
    assert res["diff"]["before_header"].endswith("(absent)")
    assert not os.path.exists(host.path)
    assert "systemctl restart multipathd.service" not in host.calls


def test_fix_creates_the_file_reconfigures_once_and_verifies(host, run_module):
    """Fails when the fix does not create the file, reconfigure once and verify, or is not idempotent."""
    res = run_module({"path": host.path, "state": "present", "backup": True})
    assert res["changed"] is True and res["reconfigured"] is True and res["restart_needed"] is False
    assert res["restarted"] is False and res["apply_action"] == "reconfigure"
    assert host.calls.count("multipathd reconfigure") == 1
    assert not [c for c in host.calls if c.startswith("systemctl")]  # never a stop of the daemon
    text = open(host.path).read()
    assert text.startswith(judge_multipath_fix.NEW_FILE_HEADER) and "no_path_retry 30" in text and "recheck_wwid yes" in text
    assert oct(os.stat(host.path).st_mode & 0o777) == "0o644"
    assert res["remaining_findings"] == [] and res["live_maps_queueing"] == []
    assert "backup_file" not in res or not res["backup_file"]  # nothing to back up
    # second run: nothing to do
    host.calls[:] = []
    again = run_module({"path": host.path, "state": "present"})
    assert again["changed"] is False and again["restarted"] is False and again["changes"] == []
    assert again["apply_action"] == "none" and "multipathd reconfigure" not in host.calls
    assert checks(again["findings"]) == []


def test_fix_of_an_existing_file_with_backup_keeps_its_content(host, run_module):
    """Fails when fixing an existing file loses its content or its backup."""
    with open(os.path.join(FIX, "multipath.conf.netapp")) as f:
        original = f.read()
    with open(host.path, "w") as f:
        f.write(original)
    res = run_module({"path": host.path, "state": "present", "backup": True})
    assert res.get("msg") is None
    assert res["changed"] is True and os.path.exists(res["backup_file"])
    assert open(res["backup_file"]).read() == original
    text = open(host.path).read()
    assert "# local RAID volume" in text and "no_path_retry           30" in text


def test_fix_refuses_a_file_it_cannot_parse(host, run_module):
    """Fails when the fix rewrites a file it cannot parse, or the audit of it fails."""
    with open(os.path.join(FIX, "multipath.conf.broken")) as f:
        broken = f.read()
    with open(host.path, "w") as f:
        f.write(broken)
    res = run_module({"path": host.path, "state": "present"})
    assert res["failed"] is True and "refusing to rewrite" in res["msg"] and "line 5" in res["msg"]
    assert open(host.path).read() == broken
    # the audit still works and says why
    res = run_module({"path": host.path})
    assert res["parse_error"].startswith("line 5") and res.get("failed") is not True


def test_wedged_daemon_falls_back_to_multipath_t(host, run_module):
    """Fails when a wedged multipathd does not make the audit fall back to multipath -t."""
    host.hang.add("multipathd show config")
    res = run_module({"path": host.path})
    assert res["effective_source"] == "multipath -t"
    assert res["errors"][0]["what"].endswith("multipathd show config")
    assert ("no_path_retry_queue", NETAPP_SCOPE) in checks(res["findings"])


def test_restart_false_reports_restart_needed(host, run_module):
    """Fails when restart false hides that the daemon still needs a reconfigure."""
    res = run_module({"path": host.path, "state": "present", "restart": False})
    assert res["changed"] is True and res["restart_needed"] is True and res["restarted"] is False
    assert res["apply_action"] == "reconfigure" and "multipathd reconfigure" not in host.calls
    # the file is fixed, the daemon is not: the next run still asks for the reconfigure, without a file change
    res = run_module({"path": host.path, "state": "present", "restart": False})
    assert res["changed"] is False and res["restart_needed"] is True and res["apply_action"] == "reconfigure"
    # and a run with restart does it
    res = run_module({"path": host.path, "state": "present"})
    assert res["changed"] is True and res["reconfigured"] is True


def test_verification_fails_when_maps_still_queue(host, run_module):
    """Fails when maps still queueing after the fix are not a failure."""
    host.after_restart = (FIXED_CONFIG, "on")
    res = run_module({"path": host.path, "state": "present", "settle_timeout": 1, "detail": "full"})
    assert res["failed"] is True and "still queue" in res["msg"] and res["changed"] is True
    assert [f["check"] for f in res["remaining_findings"]] == ["live_map_queueing", "live_map_queueing"]


def test_state_restarted_restarts_and_verifies(host, run_module):
    """Fails when state restarted does not restart multipathd once and verify."""
    host.running = FIXED_CONFIG
    host.queueing = "30 chk"
    host.after_restart = (FIXED_CONFIG, "30 chk")
    res = run_module({"path": host.path, "state": "restarted", "settle_timeout": 5})
    assert res["changed"] is True and res["restarted"] is True and not res.get("failed")
    assert host.calls.count("systemctl restart multipathd.service") == 1


def test_overrides_scope_and_fail(host, run_module):
    """Fails when the overrides scope or no_path_retry fail is not written as asked."""
    res = run_module({"path": host.path, "state": "present", "scope": "overrides", "no_path_retry": "fail",
                      "restart": False})
    text = open(host.path).read()
    assert "overrides {\n    no_path_retry fail\n    dev_loss_tmo 60\n}\n" in text
    assert res["changes"][0] == {"scope": "overrides", "key": "no_path_retry", "before": None, "after": "fail"}


def test_local_disk_blacklist(host, run_module):
    """Fails when a local disk in a map is not reported, or not blacklisted when asked."""
    host.local = [{"name": "sda", "dev": "8:0", "vendor": "ATA", "model": "SSD", "holder": "dm-7",
                   "wwid": "35000c500a1b2c3d4"}]
    res = run_module({"path": host.path})
    f = [x for x in res["findings"] if x["check"] == "local_disk_not_blacklisted"][0]
    assert f["recommended"] == "35000c500a1b2c3d4" and f["fixable"] is False and "in map dm-7" in f["value"]
    run_module({"path": host.path, "state": "present", "blacklist_local_disks": True, "restart": False})
    assert 'blacklist {\n    wwid "35000c500a1b2c3d4"\n}\n' in open(host.path).read()


def test_a_local_disk_whose_read_hangs_is_named_and_the_others_blacklisted(host, run_module):
    """Fails when a local disk whose read hangs is not named, or blocks the others' blacklisting."""
    host.local = [{"name": n, "dev": "8:%d" % (16 * i), "vendor": "ATA", "model": "SSD", "holder": "dm-%d" % (7 + i),
                   "wwid": "35000c500a1b2c3d%d" % i} for i, n in enumerate(("sda", "sdb", "sdc"))]
    host.hang = {"sdb"}
    res = run_module({"path": host.path, "state": "present", "blacklist_local_disks": True, "restart": False})
    assert [e["what"] for e in res["errors"]] == ["sysfs read of sda, sdb, sdc", "sysfs read of /sys/block/sdb"]
    text = open(host.path).read()
    assert 'wwid "35000c500a1b2c3d0"' in text and 'wwid "35000c500a1b2c3d2"' in text
    assert "35000c500a1b2c3d1" not in text


@pytest.mark.parametrize("args,msg", [
    ({"no_path_retry": "queue"}, "no_path_retry must be"),
    ({"dev_loss_tmo": "infinity"}, "dev_loss_tmo must be"),
    ({"devices": [{"vendor": 'NET"APP', "product": "LUN"}]}, "may not contain"),
    ({"devices": [{"vendor": "NETAPP", "product": "LUN(["}]}, "not a valid regular expression"),
    ({"devices": [{"vendor": "*NETAPP", "product": "LUN"}]}, "not a valid regular expression"),
    ({"devices": [{"vendor": "NET\x00APP", "product": "LUN"}]}, "may not contain"),
    ({"command_timeout": -1}, "command_timeout must be a positive"),
    ({"restart_timeout": 0}, "restart_timeout must be a positive"),
    ({"settle_timeout": -5}, "settle_timeout must be a positive"),
    ({"command_timeout": "nan"}, "command_timeout must be a positive"),
    ({"uxsock_timeout": 999}, "uxsock_timeout is in milliseconds"),
    ({"uxsock_timeout": 3600001}, "uxsock_timeout is in milliseconds"),
    ({"uxsock_timeout": "30s"}, "uxsock_timeout"),
])
def test_bad_input_is_refused_before_any_read(host, args, msg, run_module):
    """Fails when bad multipath_conf input is not refused before anything is read."""
    res = run_module(dict(args, path=host.path, state="fixed"))
    assert res["failed"] is True and msg in res["msg"] and host.calls == []


def test_missing_directory_is_refused_for_a_fix(host, tmp_path, run_module):
    """Fails when a fix into a directory that does not exist is tried."""
    path = str(tmp_path / "no-such-dir" / "multipath.conf")
    res = run_module({"path": path, "state": "present"})
    assert res["failed"] is True and "does not exist" in res["msg"] and host.calls == []


def test_non_utf8_file_is_fixed_byte_exact_and_reported_safely(host, run_module):
    """Fails when a non-UTF-8 file is not fixed byte for byte, or its diff cannot be shown."""
    raw = (b"# r\xe9seau SAN (Latin-1)\ndefaults {\n    user_friendly_names no\n}\n"
           b"devices {\n    device {\n        vendor \"NETAPP\"\n        product \"LUN\"\n"
           b"        no_path_retry queue\n    }\n}\n")
    with open(host.path, "wb") as f:
        f.write(raw)
    res = run_module({"path": host.path, "state": "present", "restart": False}, diff=True)
    assert res["changed"] is True and "r\\xe9seau" in res["diff"]["before"]
    with open(host.path, "rb") as f:
        out = f.read()
    assert out.startswith(b"# r\xe9seau SAN (Latin-1)\n") and b"no_path_retry 30" in out


def test_glued_comment_is_seen_and_fixed(host, run_module):
    """Fails when a value with a glued comment is not seen and fixed, comment kept."""
    with open(host.path, "w") as f:
        f.write('devices {\n    device {\n        vendor "NETAPP"\n        product "LUN"\n'
                '        no_path_retry queue#by ops\n    }\n}\n')
    res = run_module({"path": host.path, "state": "present", "restart": False})
    assert res["changed"] is True
    assert "no_path_retry 30 #by ops\n" in open(host.path).read()
    assert {"scope": 'devices/device[vendor="NETAPP",product="LUN"]', "key": "no_path_retry", "before": "queue",
            "after": "30"} in res["changes"]


def test_state_fixed_is_the_deprecated_name_of_present(host, run_module):
    """Fails when state fixed does not act as present with a deprecation."""
    res = run_module({"path": host.path, "state": "fixed"}, check=True)
    assert res["state"] == "present" and res["changed"] is True
    assert "state=fixed is now state=present" in str(res.get("deprecations"))


def test_uxsock_timeout_is_audited_written_to_defaults_and_verified_after_the_restart(host, run_module):
    """Fails when a short uxsock_timeout is not fixed in defaults, or a longer one is lowered."""
    audit = run_module({"path": host.path, "uxsock_timeout": 30000})
    short = [f for f in audit["findings"] if f["check"] == "uxsock_timeout_short"]
    assert [(f["scope"], f["value"], f["recommended"], f["fixable"]) for f in short] == [
        ("defaults", "4000", "30000", True)]
    res = run_module({"path": host.path, "state": "present", "uxsock_timeout": 30000})
    assert {"scope": "defaults", "key": "uxsock_timeout", "before": None, "after": "30000"} in res["changes"]
    assert re.search(r"^defaults \{[^}]*\buxsock_timeout 30000\n", open(host.path).read(), re.M)
    assert res["reconfigured"] is True and res["remaining_findings"] == []
    # a longer value in force is the owner's choice: asking for less neither reports nor rewrites it
    host.calls[:] = []
    again = run_module({"path": host.path, "state": "present", "uxsock_timeout": 10000})
    assert again["changed"] is False and again["changes"] == []
    assert "uxsock_timeout_short" not in [f["check"] for f in again["findings"]]
    assert "systemctl restart multipathd.service" not in host.calls


def test_uxsock_timeout_unknown_to_multipath_tools_is_reported_and_not_written(host, run_module):
    """Fails when uxsock_timeout is written for a multipath-tools that does not know it."""
    host.running = SHOW_CONFIG.replace("\tuxsock_timeout 4000\n", "")
    assert "uxsock_timeout" not in host.running
    host.configured = lambda: host.running
    res = run_module({"path": host.path, "state": "present", "uxsock_timeout": 30000, "restart": False})
    unsupported = [f for f in res["findings"] if f["check"] == "uxsock_timeout_unsupported"]
    assert len(unsupported) == 1 and unsupported[0]["fixable"] is False
    assert "uxsock_timeout" not in open(host.path).read()


def daemon_untouched(host):
    return "multipathd reconfigure" not in host.calls and not [c for c in host.calls if c.startswith("systemctl")]


def test_fix_in_an_outage_defers_the_reconfigure_that_would_start_a_countdown(host, run_module):
    """The default no_path_retry 30 given by a reconfigure to a map with no active path that queued without bound
    starts a 30 x polling_interval countdown to EIO on its queued writes: the daemon untouched, the file left as it
    was (the fix waits beside it), the map named with when its I/O would fail."""
    host.dead = {WWIDS[0]}
    res = run_module({"path": host.path, "state": "present"})
    assert res["failed"] is True and res["changed"] is True and res["apply_action"] == "deferred"
    assert res["maps_without_active_path"] == [WWIDS[0]] and res["maps_failing_io"] == [WWIDS[0]]
    assert res["queueing_changes"] == [{"map": WWIDS[0], "before": "queue", "after": "30", "io_fails_after": 60}]
    assert "%s (queue -> 30: its queued I/O fails after 60 s)" % WWIDS[0] in res["msg"]
    assert "force_queueing_change" in res["msg"] and "once a path of each is back" in res["msg"]
    assert daemon_untouched(host) and not os.path.exists(host.path)
    assert res["proposed_file"] == host.path + ".sanfleet-proposed" and res["proposed_file"] in res["msg"]
    assert "no_path_retry 30" in open(res["proposed_file"]).read()
    assert res["restart_needed"] is True and res["reconfigured"] is False


@pytest.mark.parametrize("dead,args", [
    ({WWIDS[1]}, {"scope": "overrides", "no_path_retry": "fail"}),    # deferred: fail would end the queued I/O
    ({WWIDS[0]}, {}),                                                   # deferred: a countdown to EIO
])
def test_a_held_fix_leaves_the_active_file_as_it_was_for_any_later_reload(host, run_module, dead, args):
    """Fails when a fix held back because a map has no active path leaves the new multipath.conf armed: the next
    reload by anyone (systemctl reload multipathd, multipath -r, a package script) would give the pathless map
    no_path_retry fail (or a countdown). The active file keeps its bytes; the fix is beside it, in a file
    multipath-tools does not read."""
    before = "# the site's own file\ndefaults {\n    user_friendly_names no\n}\n"
    with open(host.path, "w") as fh:   # the built-in NETAPP queueing in force: what the fix would change
        fh.write(before)
    host.dead = dead
    res = run_module(dict({"path": host.path, "state": "present"}, **args))
    assert res["apply_action"] == "deferred" and res["failed"] is True, res.get("msg")
    with open(host.path) as fh:
        assert fh.read() == before
    assert res["proposed_file"] == host.path + ".sanfleet-proposed" and not res["proposed_file"].endswith(".conf")
    with open(res["proposed_file"]) as fh:
        assert fh.read() != before
    # once the paths are back, the run writes the fix as the active file and gives it to the daemon
    host.dead = set()
    again = run_module(dict({"path": host.path, "state": "present", "settle_timeout": 1}, **args))
    assert again["apply_action"] == "reconfigure" and again["proposed_file"] is None
    assert "multipathd reconfigure" in host.calls
    with open(host.path) as fh:
        assert fh.read() != before


def test_fix_with_no_path_retry_fail_in_an_outage_keeps_the_queued_io(host, run_module):
    """no_path_retry fail (the module's own example, scope overrides) reaching a map with no active path would fail
    its queued writes at once; the run said maps_failing_io: [] and reconfigured."""
    host.dead = {WWIDS[1]}
    res = run_module({"path": host.path, "state": "present", "scope": "overrides", "no_path_retry": "fail"})
    assert res["failed"] is True and res["apply_action"] == "deferred" and res["maps_failing_io"] == [WWIDS[1]]
    assert res["queueing_changes"] == [{"map": WWIDS[1], "before": "queue", "after": "fail", "io_fails_after": 0}]
    assert "its queued I/O fails at once" in res["msg"] and daemon_untouched(host)


def test_check_mode_reports_the_deferral_a_real_run_makes(host, run_module):
    """Check mode plans what the real run does: the deferred reconfigure, as a warning, the map named."""
    host.dead = {WWIDS[1]}
    res = run_module({"path": host.path, "state": "present"}, check=True)
    assert res["apply_action"] == "deferred" and res["restart_needed"] is True and res["changed"] is True
    assert not res.get("failed") and res["maps_failing_io"] == [WWIDS[1]]
    assert res["maps_without_active_path"] == [WWIDS[1]] and WWIDS[1] in str(res.get("warnings"))
    assert daemon_untouched(host) and not os.path.exists(host.path)


def test_a_map_whose_status_line_does_not_parse_counts_as_without_path(host, run_module):
    """An unparseable kernel status is no proof of a working path, whatever multipathd counts: the map is held."""
    host.status_garbled = {WWIDS[0]}
    res = run_module({"path": host.path, "state": "present"})
    assert res["maps_without_active_path"] == [WWIDS[0]] and res["apply_action"] == "deferred"
    assert [c["map"] for c in res["queueing_changes"]] == [WWIDS[0]] and daemon_untouched(host)
    assert [e for e in res["errors"] if e["what"] == "dmsetup status line of %s" % WWIDS[0]]


def test_maps_that_nobody_can_list_hold_the_reconfigure(host, run_module):
    """Neither multipathd's maps nor dmsetup answer: which maps lose their queueing is unknown, so none may."""
    host.hang.add("multipathd show maps raw format %s" % "%n|%w|%d|%Q|%N|%s")
    host.status_answers = False
    host.hang.add("dmsetup table --target multipath")
    res = run_module({"path": host.path, "state": "present"})
    assert res["apply_action"] == "deferred" and res["queueing_changes"] is None
    assert res["maps_failing_io"] == ["(unknown: neither multipathd nor dmsetup listed the maps)"]
    assert daemon_untouched(host)


def test_forced_queueing_change_reconfigures_and_names_the_maps(host, run_module):
    """force_queueing_change is the operator's decision: the reconfigure runs, the maps and their time are named."""
    host.dead = {WWIDS[0]}
    host.keep_unadopted = False  # the map enters recovery with the new no_path_retry (set_no_path_retry)
    res = run_module({"path": host.path, "state": "present", "force_queueing_change": True})
    assert not res.get("failed"), res.get("msg")
    assert res["apply_action"] == "reconfigure" and res["reconfigured"] is True and res["maps_failing_io"] == [WWIDS[0]]
    assert "after 60 s" in str(res.get("warnings")) and "force_queueing_change" in str(res.get("warnings"))
    assert host.calls.count("multipathd reconfigure") == 1 and not [c for c in host.calls if c.startswith("systemctl")]


def test_a_pathless_map_whose_queueing_stays_does_not_hold_the_reconfigure(host, run_module):
    """The LIO-ORG map has no active path but keeps no_path_retry fail: only the NETAPP maps change, and they have
    paths."""
    host.dead = {"360014055a1a00000000400080005a1ab"}
    res = run_module({"path": host.path, "state": "present"})
    assert not res.get("failed"), res.get("msg")
    assert res["apply_action"] == "reconfigure" and res["queueing_changes"] == [] and res["maps_failing_io"] == []


def test_uxsock_timeout_alone_needs_nothing_from_the_daemon(host, run_module):
    """Fails when a uxsock_timeout change alone reconfigures or restarts multipathd."""
    run_module({"path": host.path, "state": "present"})
    host.calls[:] = []
    res = run_module({"path": host.path, "state": "present", "uxsock_timeout": 30000})
    assert res["changed"] is True and res["changes"] == [
        {"scope": "defaults", "key": "uxsock_timeout", "before": None, "after": "30000"}]
    assert res["apply_action"] == "none" and res["restart_needed"] is False
    assert "multipathd reconfigure" not in host.calls and not [c for c in host.calls if c.startswith("systemctl")]
    # the clients read the file on each call: the value in force for them is the new one
    assert res["remaining_findings"] == []
    again = run_module({"path": host.path, "uxsock_timeout": 30000})
    assert "uxsock_timeout_short" not in [f["check"] for f in again["findings"]]


def test_restart_is_refused_while_a_map_has_no_active_path(host, run_module):
    """Fails when multipathd is restarted while a map has no active path."""
    fixed(host)
    host.dead = {WWIDS[1]}
    res = run_module({"path": host.path, "state": "restarted"})
    assert res["failed"] is True and res["apply_action"] == "refused"
    assert WWIDS[1] in res["msg"] and "force_restart" in res["msg"] and res["maps_failing_io"] == [WWIDS[1]]
    assert not [c for c in host.calls if c.startswith("systemctl")] and "multipathd reconfigure" not in host.calls
    # check mode says the same, without failing the dry run
    host.calls[:] = []
    dry = run_module({"path": host.path, "state": "restarted"}, check=True)
    assert dry["apply_action"] == "refused" and not dry.get("failed") and dry["maps_failing_io"] == [WWIDS[1]]
    assert WWIDS[1] in str(dry.get("warnings"))


def test_forced_restart_names_the_maps_that_fail_their_io(host, run_module):
    """Fails when a forced restart does not name the maps that will fail their I/O."""
    fixed(host)
    host.dead = {WWIDS[0]}
    res = run_module({"path": host.path, "state": "restarted", "force_restart": True, "settle_timeout": 5})
    assert not res.get("failed"), res.get("msg")
    assert res["apply_action"] == "restart" and res["restarted"] is True and res["maps_failing_io"] == [WWIDS[0]]
    assert host.calls.count("systemctl restart multipathd.service") == 1
    assert "fail their queued I/O" in str(res.get("warnings")) and WWIDS[0] in str(res.get("warnings"))


def test_a_stopped_daemon_is_started(host, run_module):
    """Fails when a stopped multipathd is restarted instead of started."""
    host.hang.update(["multipathd show config", "multipathd show maps raw format %s" % "%n|%w|%d|%Q|%N|%s"])
    host.active = "inactive"
    res = run_module({"path": host.path, "state": "present", "settle_timeout": 1})
    assert res["apply_action"] == "start"
    assert host.calls.count("systemctl start multipathd.service") == 1
    assert "systemctl restart multipathd.service" not in host.calls


def test_a_stopped_daemon_is_not_started_over_a_queueing_map_without_path(host, run_module):
    """Starting multipathd gives every map the configured queueing: a map whose table queues and that has no path
    would get the countdown (or fail at once); its array is unknown without the daemon, so it is held."""
    host.hang.update(["multipathd show config", "multipathd show maps raw format %s" % "%n|%w|%d|%Q|%N|%s"])
    host.active = "inactive"
    host.dead = {WWIDS[0]}
    res = run_module({"path": host.path, "state": "present", "settle_timeout": 1})
    assert res["failed"] is True and res["apply_action"] == "deferred" and res["maps_failing_io"] == [WWIDS[0]]
    assert "no start" in res["msg"] and not [c for c in host.calls if c.startswith("systemctl s")]


@pytest.mark.parametrize("status_answers", [True, False])
def test_a_daemon_that_does_not_answer_is_not_restarted_under_maps_without_path(host, run_module, status_answers):
    """Fails when a daemon that does not answer is restarted while a map may have no path."""
    host.hang.update(["multipathd show config", "multipathd show maps raw format %s" % "%n|%w|%d|%Q|%N|%s"])
    host.dead = {WWIDS[0]}
    host.status_answers = status_answers
    res = run_module({"path": host.path, "state": "present"})
    assert res["failed"] is True and res["apply_action"] == "refused"
    # when dmsetup does not answer either, a map the table lists cannot be counted: refused, not guessed
    assert WWIDS[0] in res["maps_failing_io"]
    assert len(res["maps_failing_io"]) == (1 if status_answers else 3)
    assert not [c for c in host.calls if c.startswith("systemctl r") or c.startswith("systemctl s")]
    # the daemon change waits for the paths, and so does the file: the fix waits beside it
    assert not os.path.exists(host.path) and os.path.exists(res["proposed_file"])
    assert res["changed"] is True


def test_a_failed_reconfigure_fails_and_restarts_nothing(host, run_module):
    """Fails when a failed reconfigure is not a failure or is followed by a restart."""
    host.reconfigure_reply = "fail"
    res = run_module({"path": host.path, "state": "present"})
    assert res["failed"] is True and "multipathd reconfigure failed" in res["msg"] and res["changed"] is True
    assert not [c for c in host.calls if c.startswith("systemctl")]


def test_a_map_kept_unmanaged_by_the_reconfigure_is_named_and_adopted_once_its_path_is_back(host, run_module):
    """0.9.4, in the lab: a reconfigure while a map has no usable path keeps the map (its I/O stays queued) but leaves
    its queueing unmanaged ('-', queue_if_no_path in the table): unbounded until a later reconfigure adopts it."""
    host.dead = {WWIDS[0]}
    res = run_module({"path": host.path, "state": "present", "settle_timeout": 3600, "detail": "full",
                      "force_queueing_change": True})
    assert res["failed"] is True and res["apply_action"] == "reconfigure" and res["changed"] is True
    assert "maps with no active path still queue without bound: %s" % WWIDS[0] in res["msg"]
    assert "run the fix again" in res["msg"]
    assert [f["scope"] for f in res["remaining_findings"]] == ["map:" + WWIDS[0]]
    assert host.calls.count("multipathd reconfigure") == 1   # and it did not wait out settle_timeout for it
    assert not [c for c in host.calls if c.startswith("systemctl")]
    # the paths are back: the file and the daemon's configuration are right, only the map is left: reconfigure
    host.dead = set()
    host.calls[:] = []
    res = run_module({"path": host.path, "state": "present"})
    assert res["changes"] == [] and res["apply_action"] == "reconfigure", res.get("apply_reason")
    assert "live map %s" % WWIDS[0] in res["apply_reason"]
    assert not res.get("failed") and res["live_maps_queueing"] == [] and res["remaining_findings"] == []
    # and then nothing is left to do
    res = run_module({"path": host.path, "state": "present"})
    assert res["apply_action"] == "none" and res["changed"] is False


def test_an_unmanaged_map_whose_table_queues_is_reported_as_queueing(host, run_module):
    """Fails when a map multipathd does not manage, whose table queues, is not reported."""
    fixed(host)
    host.map_queueing = {WWIDS[1]: "-"}
    res = run_module({"path": host.path})
    assert res["live_maps_queueing"] == [WWIDS[1]]
    (f,) = [f for f in res["findings"] if f["check"] == "live_map_queueing"]
    assert "does not manage this map's queueing" in f["reason"]


def test_audit_returns_the_timeout_settings_the_fc_audit_compares_rports_with(host, run_module):
    """Fails when the audit does not return the timeout settings, version and scope the FC audit uses."""
    res = run_module({"path": host.path})
    netapp = [d for d in res["tmo_settings"]["devices"] if d["vendor"] == "NETAPP" and d["product"] == "LUN"]
    assert netapp and netapp[-1]["no_path_retry"] == "queue" and netapp[-1]["dev_loss_tmo"] == "infinity"
    assert set(res["tmo_settings"]) == {"polling_interval", "defaults", "overrides", "devices", "multipaths",
                                        "multipath_tools_version", "scope"}
    # the rules of the version multipathd runs (0.9.4: no padding, an unset dev_loss_tmo left alone), and the
    # devices the audit is about (the FC audit judges their rports only)
    assert res["tmo_settings"]["multipath_tools_version"] == "0.9.4"
    assert res["tmo_settings"]["scope"] == [{"vendor": "NETAPP", "product": "LUN"}]
    assert all(set(d) - {"vendor", "product"} <= {"no_path_retry", "dev_loss_tmo", "fast_io_fail_tmo"}
               for d in res["tmo_settings"]["devices"])


def test_a_multipath_h_that_hangs_or_names_no_version_leaves_the_version_unknown(host, run_module):
    """The version read has the command deadline; unknown, the FC audit accepts every generation's value."""
    host.hang.add("multipath -h")
    res = run_module({"path": host.path})
    assert res["tmo_settings"]["multipath_tools_version"] is None
    assert [e for e in res["errors"] if e["what"].endswith("multipath -h")]
    host.hang.clear()
    host.help = "multipath: invalid option -- 'h'\n"
    assert run_module({"path": host.path})["tmo_settings"]["multipath_tools_version"] is None


@pytest.mark.parametrize("state", ["audit", "present"])
def test_a_host_without_multipath_tools_is_not_audited_and_never_passed(host, monkeypatch, run_module, state):
    """An NVMe-only host without multipath-tools failed the whole audit ("Failed to find required executable
    multipath"): the audit is skipped and says why (the reports leave area multipath unjudged), a fix fails saying
    so; nothing is run or written either way."""
    real = basic.AnsibleModule.get_bin_path
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: (
        None if name in ("multipath", "multipathd") else real(self, name, required=required, opt_dirs=opt_dirs)))
    res = run_module({"path": host.path, "state": state})
    assert "multipath-tools is not installed (multipath not found)" in res["msg"], res
    if state == "audit":
        assert res["skipped"] is True and not res.get("failed") and res["findings"] == []
    else:
        assert res["failed"] and "nothing was written" in res["msg"]
    assert host.calls == [] and not os.path.exists(host.path)
