# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/read.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import (
    fs, read as sr, read, snapshot)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import maps as plan_maps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
    W1, W2, _alias_tree)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    FC_DISKS, FC_PORTS, IQN, KILLED_WORKER_STACK, NVME_ONTAP_NQN, STD_INQ_OK, SanTree, TARGET, _blocknode, closer_and_hidden_open_plan, fc_several_rports,
    failing_open, fd_info, hanging, healthy_lab, inline_call, iscsi_host_without_maps, killed_task, load_captured, local_loop,
    loop_file, many_luns, ontap_serial, ontap_wwid, plain_san_disk, proc_scan_times_out, timeout_answer, virtio_disk)


def multipath_iscsi_host(tmp_path):
    """An iSCSI host with one LUN (sdb) under a multipath map, multipathd running."""
    t = iscsi_host_without_maps(tmp_path)
    t.dm("dm-0", "253:0", ontap_wwid(1), "mpath-" + ontap_wwid(1), slaves=["sdb"])
    return t.commands()


def test_an_fc_hba_whose_port_name_cannot_be_read_is_not_a_host_without_san(tmp_path):
    """/sys/class/fc_host/host3 is there (an FC HBA: no LUN yet, link down, multipath-tools not installed) but its
    port_name did not read (_read gives None: the attribute gone under an HBA reset or driver reload between the
    listing and the read). host.fc_hosts lists the HBA; san_presence looks only at host.initiators, which takes
    an HBA's WWPN only when it was read, and says not_san - "no FC HBA" is what the docs promise not_san means."""
    t = SanTree(tmp_path / "root")
    t.fc_host(3)
    os.unlink(t.path("/sys/devices/pci0000:00/0000:00:03.0/host3/fc_host/host3/port_name"))
    t.commands(multipathd=False)
    snap = t.reader().snapshot(probe=False)
    assert [h["host"] for h in snap["host"]["fc_hosts"]] == [3]  # the HBA is seen
    assert snap["host"]["san_presence"] != "not_san", snap["host"]["san_presence_reason"]


def test_a_multipathd_scan_that_did_not_finish_is_not_multipathd_not_running(tmp_path):
    """The scan of /proc for multipathd missed its deadline (unread_pieces names it), yet host.multipathd_running
    is False and the errors (the report's read_error rows, san_report's 'multipathd NOT running') claim
    'multipathd is not running': the unknown turned into a fact, and multipathd, which runs, was not asked."""
    t = multipath_iscsi_host(tmp_path)
    snap = t.reader(call=hanging(("multipathd_pids",))).snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == ["multipathd"]
    assert snap["host"]["san_presence"] == "san"  # the map and the disk show it
    assert snap["host"]["multipathd_running"] is not False
    assert not any("multipathd is not running" in (e.get("msg") or "") for e in snap["errors"])


def test_the_acts_view_does_not_take_an_unread_multipathd_scan_for_not_running(tmp_path):
    """Host.view() is the one read the act verifies a batch against (flush_map, disable_queueing via
    ActContext.multipathd_running). When its scan for multipathd misses the deadline the view says multipathd is
    not running, so the act turns queueing off with `dmsetup message ... fail_if_no_path` (which a running
    multipathd undoes, as seen in the lab) and records multipathd: false for the restore - on a host where it runs."""
    t = multipath_iscsi_host(tmp_path)
    view = t.reader(call=hanging(("multipathd_pids",))).view(names=["sdb"], maps=[ontap_wwid(1)])
    assert view.map(ontap_wwid(1)) is not None  # the map was read
    assert view.multipathd_running is not False  # unknown (None: ask again with its own deadline), never False


def test_control_a_view_read_in_full_sees_multipathd_running(tmp_path):
    """Fails when a view or snapshot read in full does not see multipathd running (control for the hung cases)."""
    t = multipath_iscsi_host(tmp_path)
    assert t.reader(call=hanging()).view(names=["sdb"], maps=[ontap_wwid(1)]).multipathd_running is True
    snap = t.reader(call=hanging()).snapshot(probe=False)
    assert snap["host"]["multipathd_running"] is True and snap["host"]["unread_pieces"] == []


def test_an_alias_map_keeps_its_own_checker_states_under_multipathd_show_paths(tmp_path):
    """multipathd's answer is keyed by map NAME (`show maps json`) or by path WWID (the `show paths raw format`
    fallback, when the JSON cannot be had). _maps looks a map up by its name first, then by its WWID: under the
    fallback, LU W2's map aliased "W1" finds LU W1's entry by its name, and its own path's checker state (keyed
    under W2) is never looked at. sdc's checker says faulty; the snapshot says nothing (None), so the path reads
    as working (dm state active): the audit misses a failed path of a live map, --diff/healthy baselines count it
    healthy. Fix: look the answer up by the kind its parser keyed it by (JSON: name; show paths: WWID)."""
    for alias_last in (False, True):
        t = _alias_tree(tmp_path / str(alias_last), alias_last)
        t.run.set(read.CMD_MPD_JSON, "", rc=1, stderr="fail")  # an older multipathd, or a JSON it cannot give
        t.run.set(read.CMD_MPD_PATHS, "sdb|8:16|active|ready|running|%s\nsdc|8:32|active|faulty|running|%s\n"
                  % (W1, W2))
        snap = t.reader().snapshot(probe=False)
        states = dict((p["name"], p["checker_state"]) for m in snap["maps"].values() for p in m["paths"])
        assert snap["maps"][W1]["name"] == "mpatha" and snap["maps"][W2]["name"] == W1, snap["maps"]
        # on 489225a: {"sdb": "ready", "sdc": None} -- the alias map W1 took LU W1's entry (keyed W1)
        assert states == {"sdb": "ready", "sdc": "faulty"}, (alias_last, states)


# ------------------------------------------------------------------------------------------------ 2 (low, tests)
def test_the_fake_hosts_commands_address_a_map_as_the_real_tools_do(tmp_path):
    """FakeEnv (_san/act/helpers.py) answers `multipath -f NAME`, `multipathd (dis|restore)queueing map NAME` and
    `dmsetup ... -u mpath-WWID` through FakeReader._find, which takes the first map whose WWID, name OR dm-N is
    the key. The real tools do not: `dmsetup -u` addresses the dm uuid only, `multipath -f` the dm name (delegated
    as multipathd `del map X`: libdevmapper by name), multipathd `(dis|restore)queueing map X` a dm-N by minor,
    then the alias, then the WWID (find_mp_by_str). With a map aliased like another LU's WWID (the scenario of rounds 3-5) the fake
    flushes or un-queues the other LU's map, so an act test on FakeEnv with aliases proves the wrong thing (the
    SanTree-based alias tests do not use FakeEnv). Fix: _find(key, by) with "uuid" for -u and "name" (+ dm-N)
    for the others."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import (
        WWID, WWID2, FakeEnv, mpath)
    env = FakeEnv(tmp_path)
    env.maps[WWID]["name"] = "mpatha"                                   # LU WWID's map, user_friendly_names
    env.maps[WWID2] = dict(mpath(WWID2, "dm-4", "253:4", []), name=WWID)  # LU WWID2's map, aliased "WWID"
    env.run(["multipath", "-f", WWID], 5.0)
    # on 489225a: LU WWID's map (mpatha) is dropped, the map named WWID (LU WWID2) is left
    assert sorted(env.maps) == [WWID], sorted(env.maps)

    env = FakeEnv(tmp_path / "second")
    env.maps[WWID]["name"] = "mpatha"
    alias = dict(mpath(WWID2, "dm-4", "253:4", []), name=WWID)
    env.maps = {WWID2: alias, WWID: env.maps[WWID]}                    # the alias map first
    env.run(["dmsetup", "message", "-u", "mpath-" + WWID, "0", "fail_if_no_path"], 5.0)
    # on 489225a: the alias map (uuid mpath-WWID2, named WWID) loses queueing, LU WWID's map keeps it
    assert (env.maps[WWID]["queueing"], env.maps[WWID2]["queueing"]) == (False, True), env.maps


def _multipathd_finds(arg, maps):
    """The map multipathd's CLI handlers (disablequeueing, restorequeueing, show map) act on for `arg`:
    libmultipath find_mp_by_str: sscanf(arg, "dm-%d%c") == 1 (a dm-N) by minor FIRST, then by alias, then by WWID.
    maps: [{name, minor, wwid}]."""
    import re
    m = re.match(r"^dm-\s*([+-]?[0-9]+)$", arg)
    if m:
        hit = [x for x in maps if x["minor"] == int(m.group(1))]
        if hit:
            return hit[0]
    for key in ("name", "wwid"):
        hit = [x for x in maps if x[key] == arg]
        if hit:
            return hit[0]
    return None


def test_queueing_is_turned_off_on_the_planned_map_not_on_the_dm_n_its_name_spells(tmp_path):
    """A map name is validate.map_name's: "dm-1" is one (multipath.conf `alias dm-1`, or a name carried over
    from another host). LU W1's map is the kernel's dm-0, named "dm-1"; the kernel's dm-1 is LU W2's map mpathb,
    live. The act verifies LU W1's map by its WWID (right), then sends `multipathd disablequeueing map dm-1`:
    multipathd reads a "dm-N" argument as a minor number before any alias (find_mp_by_str), so queueing goes off
    on mpathb, LU W2's live map: a path outage there now fails its I/O instead of queueing, until the unit times
    out (the planned map still queues) and restorequeueing -- addressed the same way -- gives it back. Host.map
    treats such a name as a name (by="name"), multipathd does not. Fix: address multipathd by the map's kernel
    dm-N (m["dm"], verified with the WWID), which every multipathd resolves by minor, to that map only."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import maps as act_maps
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActContext
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
        SanTree, inline_call, ontap_wwid)
    t = SanTree(tmp_path / "root")
    t.initiator()
    t.iscsi_session(1, 2, "127.0.0.1")
    for name, hctl, dev, n in (("sdb", "2:0:0:1", "8:16", 1), ("sdc", "2:0:0:2", "8:32", 2)):
        t.disk(name, hctl, dev, session=1, wwid="naa." + ontap_wwid(n)[1:])
    t.dm("dm-0", "253:0", "dm-1", "mpath-" + W1, slaves=("sdb",))      # LU W1, the map to remove
    t.dm("dm-1", "253:1", "mpathb", "mpath-" + W2, slaves=("sdc",))    # LU W2, live
    t = t.commands(queueing={"dm-1": True, "mpathb": True})
    kernel = [{"name": "dm-1", "minor": 0, "wwid": W1}, {"name": "mpathb", "minor": 1, "wwid": W2}]
    for arg in ("dm-1", "dm-0", "mpathb", W1, W2):
        for verb in ("disablequeueing", "restorequeueing"):
            t.run.set(["multipathd", verb, "map", arg], "ok\n")
    host = ActContext(t.reader(), run=t.run, call=inline_call, root=t.root, sleep=lambda s: None)
    m = t.reader().map(W1, "wwid")
    assert (m["name"], m["dm"]) == ("dm-1", "dm-0"), m
    step = [st for st in plan_maps.plan_map_flush(m, {}) if st.action == "disable_queueing"][0]
    act_maps._send_queueing_off(host, step.tagged(None, "map dm-1"))
    sent = [argv for argv, _t in t.run.calls if argv[:1] == ["multipathd"] and argv[1].endswith("queueing")]
    assert sent, t.run.calls
    for argv in sent:
        # on 489225a: `multipathd disablequeueing map dm-1` -> mpathb (minor 1), LU W2's live map
        assert _multipathd_finds(argv[3], kernel)["wwid"] == W1, (argv, _multipathd_finds(argv[3], kernel))


ALL_PIECES = ["fc_rports", "initiators", "iscsi_sessions", "kernel_users", "mounts", "multipathd", "openers",
              "other_blocks"]


PIECE_FUNCTIONS = ("read_initiators", "read_fc_rports", "read_sessions", "read_mounts", "read_openers",
                   "read_kernel_users", "multipathd_pids", "read_other_blocks")


def test_a_san_host_whose_deciding_reads_hung_is_unknown_and_names_them(tmp_path):
    """Fails when a host whose deciding reads hung reads as not SAN, or the reads that hung are not named."""
    t = iscsi_host_without_maps(tmp_path)
    snap = t.reader(call=hanging(("read_initiators", "read_sessions", "multipathd_pids"), ["sdb"])).snapshot()
    host = snap["host"]
    # what the reads left looks like a host without SAN (multipathd: not known to run) ...
    assert (host["initiators"], host["multipathd_running"], snap["maps"], snap["disks"], snap["iscsi_sessions"]) == (
        [], None, {}, {}, [])
    # ... but the snapshot says which reads did not finish, and the decision is unknown
    assert host["unread_pieces"] == ["initiators", "iscsi_sessions", "multipathd"]
    assert host["unread_disks"] == ["sdb"]
    assert host["san_presence"] == "unknown"
    for named in ("initiators", "iscsi_sessions", "multipathd", "SCSI disk sdb"):
        assert named in host["san_presence_reason"]


def test_every_piece_that_misses_its_deadline_is_named(tmp_path):
    """Fails when a piece of the read that missed its deadline is not listed, or a read sd stops showing SAN."""
    t = iscsi_host_without_maps(tmp_path)
    snap = t.reader(call=hanging(PIECE_FUNCTIONS)).snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == ALL_PIECES
    # the sd read finished: the host shows SAN whatever else hung
    assert snap["host"]["san_presence"] == "san" and "1 SCSI disk(s)" in snap["host"]["san_presence_reason"]


def test_a_host_read_in_one_batch_has_no_unread_piece(tmp_path):
    """Fails when a host read in full in one batch lists an unread piece or is not SAN."""
    snap = healthy_lab(tmp_path).commands().reader().snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == [] and snap["host"]["san_presence"] == "san"


def test_a_hung_read_on_a_host_that_shows_san_otherwise_is_san(tmp_path):
    """Fails when a hung read makes a host that shows SAN by its other reads unknown."""
    t = iscsi_host_without_maps(tmp_path)
    snap = t.reader(call=hanging(("read_initiators", "read_sessions"))).snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == ["initiators", "iscsi_sessions"]
    assert snap["host"]["san_presence"] == "san"
    assert snap["host"]["san_presence_reason"] == "multipathd running; 1 SCSI disk(s)"


def test_a_host_without_san_read_in_full_is_not_san(tmp_path):
    """Fails when a host without SAN is not not_san, or an unread piece that cannot show SAN changes it."""
    t = SanTree(tmp_path / "root").commands(multipathd=False)
    snap = t.reader().snapshot()
    assert snap["host"]["san_presence"] == "not_san" and snap["host"]["unread_pieces"] == []
    # an unread piece that cannot show SAN (the mount table) does not change that
    snap = t.reader(call=hanging(("read_mounts", "read_kernel_users"))).snapshot()
    assert snap["host"]["unread_pieces"] == ["kernel_users", "mounts"]
    assert snap["host"]["san_presence"] == "not_san"


def test_a_disk_whose_read_hung_on_a_host_showing_nothing_else_is_unknown(tmp_path):
    """Fails when a host whose only disk read hung reads as not SAN instead of unknown."""
    t = SanTree(tmp_path / "root")
    t.disk("sda", "0:0:0:0", "8:0", vendor="ATA", model="QEMU HARDDISK")
    t.commands(multipathd=False)
    snap = t.reader(call=hanging(devices=["sda"])).snapshot()
    assert snap["host"]["unread_pieces"] == [] and snap["host"]["unread_disks"] == ["sda"]
    assert snap["host"]["san_presence"] == "unknown" and "SCSI disk sda" in snap["host"]["san_presence_reason"]


@pytest.mark.parametrize("dm_table, expected", [
    ({}, "not_san"),  # dmsetup lists every multipath map: none, so the dm device not read is not one
    (None, "unknown"),  # no table: the dm device not read may be a map
    ({"mpatha": {"groups": []}}, "san"),  # a map in the table, even if its sysfs read hung
])
def test_a_dm_device_not_read_counts_only_when_the_multipath_table_does_not_answer(dm_table, expected):
    """Fails when an unread dm device decides SAN presence though the multipath table answered."""
    state, why = snapshot.san_presence([], False, {}, {}, [], unread_dms=["dm-0"], dm_table=dm_table)
    assert state == expected
    assert ("dm device dm-0" in why) == (expected == "unknown")


def test_the_reason_names_a_few_of_many_devices_not_read():
    """Fails when the reason for thousands of unread devices lists them all instead of a few and a count."""
    state, why = snapshot.san_presence([], False, {}, {}, [], unread_disks=["sd%03d" % i for i in range(2000)])
    assert state == "unknown" and "SCSI disks sd000, sd001, sd002, sd003, sd004 and 1995 more" in why
    assert len(why) < 300


# ------------------------------------------------------------------------------------------------ tests: snapshot


def test_healthy_snapshot_shape(tmp_path):
    """Fails when the snapshot of a healthy host changes its fields or their values."""
    t = healthy_lab(tmp_path).commands()
    snap = t.reader().snapshot(probe=True)
    assert snap["host"] == {"iscsi_iqn": IQN, "iscsi_iqn_source": "session", "iscsi_iqn_file": IQN,
                            "initiators": [IQN], "fc_wwpns": [], "fc_hosts": [], "fc_rports": [], "multipathd_running": True,
                            "nvme_hostnqn": None, "nvme_hostid": None, "nvme_identity_unread": {},
                            "exiting_tasks": [],
                            "dm_unaccounted": {"dm-0": {"name": ontap_wwid(1), "open_count": 0, "unaccounted": 0},
                                               "dm-1": {"name": ontap_wwid(2), "open_count": 0, "unaccounted": 0}},
                            "unread_disks": [], "uncounted_block_devices": [], "unread_pieces": [],
                            "tools_missing": None,
                            "san_presence": "san", "san_presence_reason": "initiators %s; multipathd running; 2 "
                            "multipath map(s); 5 SCSI disk(s); 2 iSCSI session(s)" % IQN}
    assert (snap["disks"]["sdb"]["initiator"], snap["disks"]["sdb"]["target_iqn"], snap["disks"]["sdd"]["target_portal"],
            snap["disks"]["sdb"]["target_wwpn"]) == (IQN, TARGET, "127.0.0.2:3260", None)
    assert [(s["session"], s["sid"], s["host"], s["target"], s["portal"], s["state"], s["recovery_tmo"])
            for s in snap["iscsi_sessions"]] == [
        ("session1", 1, 2, TARGET, "127.0.0.1:3260", "LOGGED_IN", 5),
        ("session2", 2, 3, TARGET, "127.0.0.2:3260", "LOGGED_IN", 5)]
    sdb = snap["disks"]["sdb"]
    assert sdb == {
        "name": "sdb", "hctl": "2:0:0:1", "host": 2, "lun": 1, "dev": "8:16", "vendor": "NETAPP",
        "model": "LUN C-Mode", "state": "running", "transport": "iscsi", "session": "session1",
        "serial": "0" + ontap_serial(1).encode().hex(), "wwid": ontap_wwid(1), "size_bytes": 2097152 * 512,
        "holders": ["dm-0"], "partitions": [], "mountpoints": [], "swap": False,
        "openers": [{"pid": 612, "comm": "multipathd"}], "map": ontap_wwid(1),
        "initiator": IQN, "target_iqn": TARGET, "target_portal": "127.0.0.1:3260", "target_wwpn": None}
    assert snap["disks"]["sda"]["transport"] == "other"
    assert snap["disks"]["sda"]["wwid"] == "1ATA_QEMU_HARDDISK_QM00001"
    m = snap["maps"][ontap_wwid(1)]
    assert (m["name"], m["dm"], m["dev"], m["queueing"], m["open_count"]) == (ontap_wwid(1), "dm-0", "253:0", False, 0)
    assert [(p["name"], p["hctl"], p["dev"], p["dm_state"], p["checker_state"], p["dev_state"]) for p in m["paths"]] == [
        ("sdb", "2:0:0:1", "8:16", "active", "ready", "running"),
        ("sdd", "3:0:0:1", "8:48", "active", "ready", "running")]
    assert m["probe"] == {}          # healthy maps are not probed
    assert snap["errors"] == []
    assert not any(c[0][0].startswith("sg_") for c in t.run.calls)


NQN = "nqn.2014-08.org.nvmexpress:uuid:4C4C4544-0042-3410-8058-B4C04F305A32"


def test_nvme_host_identity_is_the_first_line_as_nvme_cli_reads_it(tmp_path):
    """The host NQN is what libnvme reads (the text before the first LF, case kept: NQNs compare exactly), the host
    ID a UUID in one case (the kernel parses it): a reader that lower-cased the NQN, or kept a second line, would
    call two different NQNs the same or miss a clone."""
    t = healthy_lab(tmp_path)
    t.nvme_host(NQN + "\n# written by the image build\n", "4C4C4544-0042-3410-8058-B4C04F305A32\n")
    host = t.commands().reader().snapshot()["host"]
    assert (host["nvme_hostnqn"], host["nvme_hostid"], host["nvme_identity_unread"]) == (
        NQN, "4c4c4544-0042-3410-8058-b4c04f305a32", {})
    assert host["initiators"] == [IQN]  # not an initiator of the SCSI truth, nor evidence of SAN by itself


@pytest.mark.parametrize("hostnqn,hostid,unread", [
    (None, None, {}),  # absent: nothing to compare, nothing unknown
    (b"", None, {}),  # an empty file is no file (nvme-cli then generates one)
    (NQN + "\r\n", "not-a-uuid", {"/etc/nvme/hostnqn": "its first line is not an NQN",
                                  "/etc/nvme/hostid": "its first line is not a UUID"}),
    (b"nqn.2014-08.org.example:\xff\n", None, {"/etc/nvme/hostnqn": "its first line is not UTF-8"}),
    ("nqn.2014-08.org.nvmexpress:uuid:not-a-uuid", None, {"/etc/nvme/hostnqn": "its first line is not an NQN"}),
])
def test_nvme_host_identity_absent_is_none_and_malformed_is_named(tmp_path, hostnqn, hostid, unread):
    """Absent is None; a first line that is no NQN/UUID (a CR an editor left, bytes that are not UTF-8) is not an
    identity and is named as unknown, never taken for 'no identity'."""
    t = healthy_lab(tmp_path)
    t.nvme_host(hostnqn, hostid)
    host = t.commands().reader().snapshot()["host"]
    assert (host["nvme_hostnqn"], host["nvme_hostid"]) == (None, None)
    assert sorted(host["nvme_identity_unread"]) == sorted(unread)
    for path, why in unread.items():
        assert host["nvme_identity_unread"][path].startswith(why)


def test_an_unreadable_nvme_host_file_is_unknown_not_absent(tmp_path):
    """A hostnqn that cannot be read (here a directory: EISDIR; on a host EACCES or EIO) is not 'no hostnqn': a
    reader that returned None for both would report the host as holding no NVMe identity, so never a clone."""
    t = healthy_lab(tmp_path)
    t._mkdir("/etc/nvme/hostnqn")
    host = t.commands().reader().snapshot()["host"]
    assert host["nvme_hostnqn"] is None
    assert host["nvme_identity_unread"]["/etc/nvme/hostnqn"].startswith("not read: ")
    assert "/etc/nvme/hostid" not in host["nvme_identity_unread"]


def test_each_command_runs_once_with_its_deadline(tmp_path):
    """Fails when a snapshot runs a command twice, another command, or one without its deadline."""
    t = healthy_lab(tmp_path).commands()
    t.reader(command_timeout=3.5).snapshot(probe=False)
    argvs = [tuple(c[0]) for c in t.run.calls]
    assert sorted(argvs) == sorted(tuple(a) for a in (sr.CMD_DM_INFO, sr.CMD_DM_TABLE, sr.CMD_DM_STATUS,
                                                      sr.CMD_MPD_JSON))
    assert all(c[1] == 3.5 for c in t.run.calls)


def test_sysfs_batch_runs_in_one_deadline_call(tmp_path):
    """Fails when the sysfs and /proc read is not one call under one deadline."""
    t = healthy_lab(tmp_path).commands()
    calls = []

    def call(fn, args=(), timeout=10.0, what=None):
        calls.append((fn.__name__, timeout, what))
        return inline_call(fn, args)

    t.reader(call=call, read_timeout=4.0).snapshot(probe=False)
    assert calls == [("read_batch", 4.0, "batch read of sysfs and /proc")]


def test_real_fork_call_returns_the_same_snapshot(tmp_path):
    """Fails when reading through the real forked deadline call gives another snapshot than inline."""
    t = healthy_lab(tmp_path).commands()
    a = t.reader(call=deadline.call).snapshot(probe=False)
    b = t.reader().snapshot(probe=False)
    a.pop("collected_at")
    b.pop("collected_at")
    assert a == b


def test_queueing_comes_from_the_live_table(tmp_path):
    """Fails when a map's queueing is not taken from its live dm table's features."""
    t = healthy_lab(tmp_path).commands(queueing={ontap_wwid(1): True})
    snap = t.reader().snapshot(probe=False)
    assert snap["maps"][ontap_wwid(1)]["queueing"] is True
    assert snap["maps"][ontap_wwid(1)]["features"] == "3 queue_if_no_path pg_init_retries 50"
    assert snap["maps"][ontap_wwid(2)]["queueing"] is False


def test_empty_host(tmp_path):
    """Fails when a host without SAN reads with disks, maps, sessions or an initiator, or hides no multipathd; or
    when a multipathd that does not run is an error on a host whose kernel has no multipath map (an NVMe-only host
    without multipath-tools: there is no checker state to miss)."""
    t = SanTree(tmp_path / "root").commands(multipathd=False)
    snap = t.reader().snapshot()
    assert (snap["disks"], snap["maps"], snap["iscsi_sessions"]) == ({}, {}, [])
    assert snap["host"]["iscsi_iqn"] is None and snap["host"]["multipathd_running"] is False
    assert snap["errors"] == []


def test_multipathd_not_running_is_never_contacted(tmp_path):
    """Fails when multipathd not running is contacted (its socket would start it) or not reported."""
    t = healthy_lab(tmp_path).commands(multipathd=False)
    snap = t.reader().snapshot(probe=False)
    assert not any(c[0][0] == "multipathd" for c in t.run.calls)
    m = snap["maps"][ontap_wwid(1)]
    assert [(p["name"], p["dm_state"], p["checker_state"]) for p in m["paths"]] == [
        ("sdb", "active", None), ("sdd", "active", None)]
    assert snap["host"]["multipathd_running"] is False
    assert "not running" in snap["errors"][0]["msg"]


def test_multipathd_binary_missing(tmp_path):
    """Fails when a missing multipathd binary loses the kernel's path states or is not reported."""
    t = healthy_lab(tmp_path).commands()
    del t.run.answers[tuple(sr.CMD_MPD_JSON)]   # FakeRun raises OSError (ENOENT) like a missing binary
    snap = t.reader().snapshot(probe=False)
    assert snap["maps"][ontap_wwid(1)]["paths"][0]["dm_state"] == "active"
    whats = [e["what"] for e in snap["errors"]]
    assert " ".join(sr.CMD_MPD_JSON) in whats and "multipathd" in whats


def test_malformed_multipathd_json_falls_back_to_raw_paths(tmp_path):
    """Fails when multipathd's malformed JSON does not fall back to its plain path list."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdd": ("F", "faulty", "running")})
    t.run.set(sr.CMD_MPD_JSON, '{"major_version": 0, "maps": [{"name" : "x", "paths" : 2,,}]}')
    t.run.set(sr.CMD_MPD_PATHS, "sdb|8:16|active|ready|running|%s\nsdd|8:48|failed|faulty|running|%s\n"
              % (ontap_wwid(1), ontap_wwid(1)))
    snap = t.reader().snapshot(probe=False)
    m = snap["maps"][ontap_wwid(1)]
    assert [(p["name"], p["dm_state"], p["checker_state"]) for p in m["paths"]] == [
        ("sdb", "active", "ready"), ("sdd", "failed", "faulty")]
    assert any("unparsable JSON" in e["msg"] for e in snap["errors"])


def test_malformed_json_and_no_fallback_keeps_kernel_view(tmp_path):
    """Fails when multipathd answering neither JSON nor paths loses the kernel's maps."""
    t = healthy_lab(tmp_path).commands()
    t.run.set(sr.CMD_MPD_JSON, "not json at all")
    t.run.set(sr.CMD_MPD_PATHS, "", rc=1, stderr="timeout receiving packet")
    snap = t.reader().snapshot(probe=False)
    assert len(snap["maps"]) == 2
    assert snap["maps"][ontap_wwid(1)]["paths"][0]["checker_state"] is None
    assert any(e["what"] == "multipathd" for e in snap["errors"])


def test_failed_paths_are_probed_and_healthy_maps_are_not(tmp_path):
    """Fails when failed paths are not probed, healthy maps or dm devices are, or a probe has no deadline."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdb": ("F", "faulty", "running"),
                                                    "sdd": ("F", "faulty", "running")})
    lns = ("    test unit ready cdb: 00 00 00 00 00 00 \ntest unit ready:\n"
           "Fixed format, current; Sense key: Illegal Request\nAdditional sense: Logical unit not supported\n")
    for sd in ("sdb", "sdd"):
        t.run.set(["sg_turs", "-v", sd], "Illegal request\n", rc=5, stderr=lns)
        t.run.set(["sg_inq", sd], "", rc=5, stderr="sg_inq failed: Illegal request\n")
    snap = t.reader(probe_timeout=2.5).snapshot(probe=True)
    probe = snap["maps"][ontap_wwid(1)]["probe"]
    assert sorted(probe) == ["sdb", "sdd"]
    assert probe["sdb"]["result"] == "lun_not_supported"
    assert "Logical unit not supported" in probe["sdb"]["sense"]
    assert probe["sdb"]["serial_live"] is None
    assert snap["maps"][ontap_wwid(2)]["probe"] == {}
    probed = [c for c in t.run.calls if c[0][0].startswith("sg_")]
    assert all(c[1] == 2.5 for c in probed)
    assert all(c[0][-1] == t.path("/dev/%s" % c[0][-1].rsplit("/", 1)[1]) for c in probed)
    assert not any("/dm-" in a for c in t.run.calls for a in c[0])   # never a dm device


# sg_turs 3.56 (sg3-utils 1.48) and sg_raw on Debian trixie, captured from the lab guest: a live LUN (sdh) and an
# unmapped one (sde). sg_turs sends nothing and exits 0; sg_raw sends the TEST UNIT READY.
TURS_NOT_SENT = "    Test unit ready cdb: \x06\nNo SCSI command (cdb) given [v3]\nTest unit ready: bad pass-through setup\n"


RAW_TUR_GOOD = "    cdb to send: [00 00 00 00 00 00]\nSCSI Status: Good \n\n\n"


RAW_TUR_LU_GONE = ("    cdb to send: [00 00 00 00 00 00]\nSCSI Status: Check Condition \n\nSense Information:\n"
                   "Fixed format, current; Sense key: Illegal Request\nAdditional sense: Logical unit not supported\n"
                   " Raw sense data (in hex), sb_len=18, calculated_len=18\n"
                   "        70 00 05 00 00 00 00 0a  00 00 00 00 25 00 00 00\n        00 00\n\n\nIllegal request\n")


def test_tur_not_sent_by_sg_turs_is_sent_with_sg_raw(tmp_path):
    """Fails when a TEST UNIT READY sg_turs did not send is not sent with sg_raw."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdb": ("F", "faulty", "running"),
                                                    "sdd": ("F", "faulty", "running")})
    for sd in ("sdb", "sdd"):
        t.run.set(["sg_turs", "-v", sd], "", rc=0, stderr=TURS_NOT_SENT)
        t.run.set(["sg_raw", "-v", sd, "00", "00", "00", "00", "00", "00"], "", rc=5, stderr=RAW_TUR_LU_GONE)
        t.run.set(["sg_inq", sd], "", rc=5, stderr="sg_inq failed: Illegal request\n")
    snap = t.reader().snapshot(probe=True)
    probe = snap["maps"][ontap_wwid(1)]["probe"]
    assert probe["sdb"]["result"] == probe["sdd"]["result"] == "lun_not_supported", probe
    raw = [c[0] for c in t.run.calls if c[0][0] == "sg_raw"]
    assert sorted(a[2].rsplit("/", 1)[1] for a in raw) == ["sdb", "sdd"]
    assert all(a[3:] == ["00"] * 6 for a in raw)


def test_tur_sent_with_sg_raw_reads_good_status_as_ready(tmp_path):
    """Fails when sg_raw's GOOD status to TEST UNIT READY is not read as ready."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdb": ("F", "faulty", "running")})
    for sd in ("sdb", "sdd"):
        t.run.set(["sg_turs", "-v", sd], "", rc=0, stderr=TURS_NOT_SENT)
        t.run.set(["sg_raw", "-v", sd, "00", "00", "00", "00", "00", "00"], "", rc=0, stderr=RAW_TUR_GOOD)
        t.run.set(["sg_inq", sd], STD_INQ_OK)
        t.run.set(["sg_inq", "-p", "0x80", "-r", sd], "\x00\ufffd\x00\x0c80AbCdEfGh01")
    assert t.reader().snapshot(probe=True)["maps"][ontap_wwid(1)]["probe"]["sdb"]["result"] == "ready"


def test_tur_not_sent_and_no_sg_raw_is_an_error_not_ready(tmp_path):
    """Fails when a TEST UNIT READY that could not be sent at all reads as ready."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdb": ("F", "faulty", "running")})
    for sd in ("sdb", "sdd"):
        t.run.set(["sg_turs", "-v", sd], "", rc=0, stderr=TURS_NOT_SENT)
        t.run.set(["sg_inq", sd], STD_INQ_OK)   # sg_raw not scripted: it cannot be run (OSError)
    snap = t.reader().snapshot(probe=True)
    assert snap["maps"][ontap_wwid(1)]["probe"]["sdb"]["result"] == "error"
    assert snap["maps"][ontap_wwid(1)]["probe"]["sdb"]["missing"] == "sg_raw"
    assert [e for e in snap["errors"] if "sg_raw" in e["msg"]] == [
        {"what": "probe of sdb, sdd", "msg": "sg_raw is not installed (sg3_utils): not probed"}]


def test_probe_timeout_is_no_answer_and_listed_in_errors(tmp_path):
    """Fails when a probe timeout is not no_answer and listed, or more is sent to that device after it."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdd": ("F", "faulty", "running")})
    t.run.answers[("sg_turs", "-v", "sdd")] = timeout_answer
    snap = t.reader().snapshot(probe=True)
    m = snap["maps"][ontap_wwid(1)]
    assert m["probe"]["sdd"]["result"] == "no_answer"
    assert m["probe"]["sdb"]["result"] == "error"          # sg_turs answer for sdb not scripted: OSError
    assert any(e["what"] == "probe of sdd" and "did not finish" in e["msg"] for e in snap["errors"])
    # after a TUR timeout nothing else is sent to that device
    assert not any(c[0][0] == "sg_inq" and c[0][-1].endswith("/sdd") for c in t.run.calls)


def test_live_serial_is_read_when_the_device_answers(tmp_path):
    """Fails when the live unit serial of a device that answers is not read into its probe."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdb": ("F", "faulty", "running")})
    new = "0" + ontap_serial(9).encode().hex()
    for sd in ("sdb", "sdd"):
        t.run.set(["sg_turs", "-v", sd], "", rc=0, stderr="    test unit ready cdb: 00 00 00 00 00 00 \n")
        t.run.set(["sg_inq", sd], STD_INQ_OK)
        t.run.set(["sg_inq", "-p", "0x80", "-r", sd], "\x00\ufffd\x00\x19" + new)
    snap = t.reader().snapshot(probe=True)
    probe = snap["maps"][ontap_wwid(1)]["probe"]["sdb"]
    assert probe["result"] == "ready" and probe["serial_live"] == new
    assert probe["pqual"] == 0 and isinstance(probe["elapsed"], float)


def test_orphan_san_disk_is_probed(tmp_path):
    """Fails when a SAN disk without a map is not probed, or a healthy or local disk is."""
    t = healthy_lab(tmp_path)
    t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:])
    t.commands()
    t.run.set(["sg_turs", "-v", "sdf"], "")
    t.run.set(["sg_inq", "sdf"], STD_INQ_OK)
    t.run.set(["sg_inq", "-p", "0x80", "-r", "sdf"], "\x00\ufffd\x00\x0c80AbCdEfGh03")
    snap = t.reader().snapshot(probe=True)
    assert snap["disks"]["sdf"]["map"] is None
    assert snap["disks"]["sdf"]["probe"]["result"] == "ready"
    assert "probe" not in snap["disks"]["sdb"] and "probe" not in snap["disks"]["sda"]


def test_mounted_map_with_partition_holder_and_openers(tmp_path):
    """Fails when a map's partition holder, its mount or its openers are missed or counted on the wrong device."""
    t = healthy_lab(tmp_path)
    t.dm("dm-2", "253:2", ontap_wwid(1) + "-part1", "part1-mpath-" + ontap_wwid(1))
    t.hold("dm-0", "dm-2")
    t.mount("253:2", "/srv/data", "/dev/mapper/%s-part1" % ontap_wwid(1))
    t.proc(4242, "postgres", fds=["/dev/dm-2", "/var/log/pg.log"])
    t.proc(4243, "dd", fds=["/dev/mapper/" + ontap_wwid(2)])
    t.commands()
    snap = t.reader().snapshot(probe=False)
    m1 = snap["maps"][ontap_wwid(1)]
    assert m1["holders"] == ["dm-2"]
    assert m1["mountpoints"] == ["/srv/data"]
    assert m1["openers"] == [{"pid": 4242, "comm": "postgres", "via": "dm-2"}]
    m2 = snap["maps"][ontap_wwid(2)]
    # by its /dev/mapper name (no node in the tree to stat), its open file unknown (no fdinfo in the tree)
    assert m2["openers"] == [{"pid": 4243, "comm": "dd", "files": ["?"]}] and m2["mountpoints"] == []
    # the paths show the mount one level down (through their map), not the map's openers
    assert snap["disks"]["sdb"]["mountpoints"] == []   # two levels down (sdb -> dm-0 -> dm-2): not counted
    assert len(snap["maps"]) == 2                       # the partition dm is not a multipath map


def test_disk_mounted_through_its_map_and_swap(tmp_path):
    """Fails when a mount or swap on a map is not shown on the map and its paths."""
    t = healthy_lab(tmp_path)
    t.mount("253:0", "/mnt/a", "/dev/mapper/" + ontap_wwid(1))
    t.swap("/dev/dm-1")
    t.commands()
    snap = t.reader().snapshot(probe=False)
    assert snap["disks"]["sdb"]["mountpoints"] == ["/mnt/a"]
    assert snap["maps"][ontap_wwid(1)]["mountpoints"] == ["/mnt/a"]
    assert snap["maps"][ontap_wwid(2)]["swap"] is True and snap["disks"]["sdc"]["swap"] is True
    assert snap["maps"][ontap_wwid(1)]["swap"] is False


def test_a_mount_past_the_first_64_kib_of_mountinfo_is_seen(tmp_path):
    """A Kubernetes node or a container host has hundreds of mounts: a reader that stops at 64 KiB loses the
    last ones, and a mounted SAN map then looks unused."""
    t = healthy_lab(tmp_path)
    for i in range(700):
        t.mount("0:%d" % (60 + i), "/var/lib/kubelet/pods/%032x/volumes/kubernetes.io~projected/kube-api-access" % i,
                "tmpfs", fstype="tmpfs")
    t.mount("253:0", "/srv/pv-data", "/dev/mapper/" + ontap_wwid(1))
    assert os.path.getsize(t.path("/proc/self/mountinfo")) > 65536 + 40000
    t.commands()
    snap = t.reader().snapshot(probe=False)
    assert snap["maps"][ontap_wwid(1)]["mountpoints"] == ["/srv/pv-data"]
    assert snap["disks"]["sdb"]["mountpoints"] == ["/srv/pv-data"]


def test_partition_of_a_plain_san_disk(tmp_path):
    """Fails when a plain SAN disk's partition, its mount or its openers are not shown on the disk."""
    t = healthy_lab(tmp_path)
    t.disk("sdf", "2:0:0:3", "8:80", session=1, wwid="naa." + ontap_wwid(3)[1:], partitions=("8:81",))
    t.mount("8:81", "/boot/efi", "/dev/sdf1", fstype="vfat")
    t.proc(77, "cat", fds=["/dev/sdf1"])
    t.commands()
    d = t.reader().snapshot(probe=False)["disks"]["sdf"]
    assert d["partitions"] == ["sdf1"]
    assert d["mountpoints"] == ["/boot/efi"]
    assert d["openers"] == [{"pid": 77, "comm": "cat"}, {"pid": 612, "comm": "multipathd"}]


def test_fc_disk_and_wwpn(tmp_path):
    """Fails when an FC host's WWPN and port, or an FC disk's transport and LUN, are not read."""
    t = SanTree(tmp_path / "root")
    t.fc_host(5)
    t.disk("sdb", "5:0:0:7", "8:16", fc=True, wwid="naa." + ontap_wwid(7)[1:])
    t.commands(multipathd=False)
    snap = t.reader().snapshot(probe=False)
    assert snap["host"]["fc_wwpns"] == ["0x21000024ff3a0b1c"]
    assert [dict((k, h[k]) for k in ("host", "wwpn", "port_state")) for h in snap["host"]["fc_hosts"]] == [
        {"host": 5, "wwpn": "0x21000024ff3a0b1c", "port_state": "Online"}]
    assert (snap["disks"]["sdb"]["transport"], snap["disks"]["sdb"]["lun"]) == ("fc", 7)


def test_ghost_map_without_paths(tmp_path):
    """Fails when a map without paths is dropped from the snapshot or probed."""
    t = SanTree(tmp_path / "root")
    t.dm("dm-0", "253:0", ontap_wwid(4), "mpath-" + ontap_wwid(4))
    t.commands()
    m = t.reader().snapshot()["maps"][ontap_wwid(4)]
    assert m["paths"] == [] and m["probe"] == {}


# ------------------------------------------------------------------------------------------------ hangs


def test_hung_device_read_is_named_and_the_rest_kept(tmp_path):
    """Fails when one hung device read loses the other devices, is not named, or drops the map's path."""
    t = healthy_lab(tmp_path).commands()

    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ == "read_batch" or (fn.__name__ in ("read_sd", "read_devices") and "sdd" in args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    snap = t.reader(call=call, read_timeout=1.5).snapshot(probe=False)
    assert "sdd" not in snap["disks"] and "sdb" in snap["disks"]
    whats = [e["what"] for e in snap["errors"]]
    assert "batch read of sysfs and /proc" in whats
    assert "sysfs read of /sys/block/sdd" in whats
    # the map keeps its path sdd by device number: the kernel table still lists it
    assert [p["dev"] for p in snap["maps"][ontap_wwid(1)]["paths"]] == ["8:16", "8:48"]


def test_a_device_directory_that_cannot_be_opened_is_named_unread_and_the_rest_kept(tmp_path, monkeypatch):
    """/sys/block/sdd answers EACCES (not ENOENT: the device is there): through the real fork the batch child
    fails, the devices are read again piece by piece, sdd is named in `errors` and left out as unread (its map
    keeps its path by device number), the other devices are kept. Fails when sdd is taken for a device the
    kernel removed, or when one device's error loses the host's read."""
    t = healthy_lab(tmp_path).commands()
    refused = t.path("/sys/block/sdd")
    failing_open(monkeypatch, lambda path, dir_fd: path == refused)
    snap = t.reader(call=deadline.call, read_timeout=30).snapshot(probe=False)
    assert "sdd" not in snap["disks"] and sorted(snap["disks"]) == ["sda", "sdb", "sdc", "sde"]
    errors = dict((e["what"], e["msg"]) for e in snap["errors"])
    assert "Permission denied" in errors["batch read of sysfs and /proc"]
    assert "Permission denied" in errors["sysfs read of /sys/block/sdd"]
    assert [p["dev"] for p in snap["maps"][ontap_wwid(1)]["paths"]] == ["8:16", "8:48"]


def test_a_slow_host_with_many_luns_is_read_in_chunks_not_device_by_device(tmp_path):
    """50 LUNs under load: the one-child batch misses its deadline without anything hung. The fallback reads
    16 devices per child (each with the full deadline), never one child per device."""
    t = many_luns(tmp_path)
    calls = []

    def call(fn, args=(), timeout=10.0, what=None):
        calls.append(fn.__name__)
        if fn.__name__ == "read_batch":
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    snap = t.reader(call=call).snapshot(probe=False)
    assert len(snap["disks"]) == 45
    devices = 45 + 2  # sds and the two dm maps
    assert calls.count("read_devices") == -(-devices // sr.READ_CHUNK)
    assert "read_sd" not in calls and "read_dm" not in calls
    assert [e["what"] for e in snap["errors"]] == ["batch read of sysfs and /proc"]


def test_a_host_with_more_devices_than_a_batch_is_read_in_one_child_per_batch(tmp_path, monkeypatch):
    """A 1,024-LUN host is slow, not hung: past READ_BATCH devices the read goes on in more children, each with
    the full deadline, instead of one child missing its deadline and the host reported as an error."""
    t = many_luns(tmp_path)
    whole = t.reader(call=inline_call).snapshot(probe=False)
    monkeypatch.setattr(sr, "READ_BATCH", 8)
    t.commands()
    calls = []

    def call(fn, args=(), timeout=10.0, what=None):
        calls.append((fn.__name__, len(args[1]) if fn.__name__ == "read_devices" else None, timeout))
        return inline_call(fn, args)

    snap = t.reader(call=call, read_timeout=4.0).snapshot(probe=False)
    devices = 45 + 2
    assert calls[0] == ("read_batch", None, 4.0)
    assert calls[1:] == [("read_devices", min(8, devices - 8 - i), 4.0) for i in range(0, devices - 8, 8)]
    assert snap["errors"] == [] and len(snap["disks"]) == 45
    snap.pop("collected_at"), whole.pop("collected_at")
    assert snap == whole


def test_a_hung_device_in_a_later_batch_is_named_and_the_other_batches_kept(tmp_path, monkeypatch):
    """Fails when a device hung in a later batch loses the other batches or is not narrowed down and named."""
    t = many_luns(tmp_path)
    monkeypatch.setattr(sr, "READ_BATCH", 8)
    monkeypatch.setattr(sr, "READ_CHUNK", 4)
    hung = "sdz"  # in a later batch: the first 8 devices are sda..sdag

    def call(fn, args=(), timeout=10.0, what=None):
        names = {"read_devices": lambda: args[1], "read_sd": lambda: [args[1]]}.get(fn.__name__, list)()
        if hung in names:
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    snap = t.reader(call=call).snapshot(probe=False)
    assert hung not in snap["disks"] and len(snap["disks"]) == 44
    whats = [e["what"] for e in snap["errors"]]
    assert len(whats) == 3
    assert whats[0] == "sysfs read of 7 devices, sdv to dm-1"  # the last batch: 47 devices, 8 per child
    assert whats[1] == "sysfs read of sdz, dm-0, dm-1"  # then 4 per child: sdv..sdy were read
    assert whats[2] == "sysfs read of /sys/block/%s" % hung  # then one per child: dm-0 and dm-1 were read
    assert len(snap["maps"]) == 2


def test_each_device_s_major_minor_is_read_once_and_a_hung_device_s_still_listed(tmp_path, monkeypatch):
    """47 devices in batches of 8: each device's `dev` file is opened once (by its own read, which the listing
    takes), the listing holds every device's major:minor, and a device whose read hung (sdz) still has its
    major:minor in the listing, read again in a child of its own (mounts and openers are matched by it). Fails when
    the listing reads the numbers the device reads read again, or loses the hung device's."""
    t = many_luns(tmp_path)
    monkeypatch.setattr(sr, "READ_BATCH", 8)
    real_open = fs.os.open
    dev_opens = []

    def opening(path, flags, mode=0o777, dir_fd=None):
        if str(path) == "dev" or str(path).endswith("/dev"):
            dev_opens.append(path)
        return real_open(path, flags, mode, dir_fd=dir_fd)
    monkeypatch.setattr(fs.os, "open", opening)
    expected = dict((name, t.sd[name]["dev"]) for name in t.sd)
    expected.update((name, m["dev"]) for name, m in t.maps.items())
    raw, errors = t.reader(call=inline_call)._read_raw()
    assert errors == [] and raw["listing"] == expected
    assert len(dev_opens) == len(expected) == 47
    calls = []

    def call(fn, args=(), timeout=10.0, what=None):
        calls.append(what)
        if fn.__name__ == "read_devices" and "sdz" in args[1]:
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)
    raw, errors = t.reader(call=call)._read_raw()
    assert raw["sd"]["sdz"] is None and raw["listing"] == expected
    assert calls[-1] == "major:minor of sdz" and errors[-1]["what"] == "sysfs read of /sys/block/sdz"


def test_a_device_whose_read_and_number_both_hang_fails_the_read_rather_than_losing_its_paths(tmp_path, monkeypatch):
    """sdd, read in a later batch, hangs, and so does the read of its major:minor: the read fails naming it, as a
    listing that does not finish does. Fails when the read goes on without sdd's number: the map's path would lose
    its name (no longer tied to the unread sdd) and its checker state."""
    t = healthy_lab(tmp_path).commands()
    monkeypatch.setattr(sr, "READ_BATCH", 1)

    def call(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ in ("read_devices", "read_listing") and "sdd" in (args[1] if len(args) > 1 else ()):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)
    with pytest.raises(deadline.DeadlineExceeded, match="major:minor of sdd"):
        t.reader(call=call).snapshot(probe=False)


def test_batches_through_the_real_fork_give_the_same_snapshot(tmp_path, monkeypatch):
    """Fails when reading in batches through the real fork gives another snapshot than one read."""
    t = many_luns(tmp_path)
    whole = t.reader(call=deadline.call).snapshot(probe=False)
    monkeypatch.setattr(sr, "READ_BATCH", 8)
    t.commands()
    batched = t.reader(call=deadline.call).snapshot(probe=False)
    assert batched["errors"] == [] and len(batched["disks"]) == 45
    batched.pop("collected_at"), whole.pop("collected_at")
    assert batched == whole


class StartedFromRun(object):
    """Stands in for deadline.start: the answer of the test's runner, taken when asked for; records the events."""

    def __init__(self, run, events, hang=()):
        self.run, self.events, self.hang = run, events, hang

    def __call__(self, argv, timeout, what=None):
        self.events.append(("start", " ".join(argv)))
        outer = self

        class One(object):
            def result(self):
                outer.events.append(("answer", " ".join(argv)))
                if " ".join(argv) in outer.hang:
                    raise deadline.DeadlineExceeded(what, timeout)
                return outer.run(argv, timeout, what)

            def discard(self):
                outer.events.append(("discard", " ".join(argv)))
        return One()


def test_the_dm_tables_run_while_sysfs_is_read_and_the_open_counts_after_the_proc_scan(tmp_path):
    """dmsetup table and status, and multipathd's maps query when a scan of /proc just before finds the daemon, are
    started before the sysfs read and their answers taken after it, each run once; dmsetup info (the open counts)
    is run after the read, never ahead of the /proc scan; the snapshot is the one of a reader that runs them all
    after the read. Fails when they are run again, the read waits for them before it starts, the maps query is
    started before the daemon was seen, or the open counts are read before the openers."""
    t = healthy_lab(tmp_path).commands()
    expected = t.reader().snapshot(probe=False)
    events = []
    runner = t.run

    def run(argv, timeout, what=None, data=None):
        events.append(("run", " ".join(argv)))
        return runner(argv, timeout, what, data)

    def call(fn, args=(), timeout=10.0, what=None):
        events.append(("read", fn.__name__))
        return inline_call(fn, args)
    snap = sr.Host(root=t.root, run=run, call=call, start=StartedFromRun(runner, events)).snapshot(probe=False)
    ahead = [" ".join(argv) for argv in sr.CMD_DM_AHEAD]
    assert ahead == ["dmsetup table --target multipath", "dmsetup status --target multipath"]
    maps_query = " ".join(sr.CMD_MPD_JSON)
    assert events[:5] == [("read", "multipathd_pids")] + [("start", a) for a in ahead + [maps_query]] + [
        ("read", "read_batch")]
    dm = [e for e in events if e[1].startswith("dmsetup")]
    assert dm == [("start", ahead[0]), ("start", ahead[1]), ("run", " ".join(sr.CMD_DM_INFO))] + [
        ("answer", a) for a in ahead]
    assert [e for e in events if e[1] == maps_query] == [("start", maps_query), ("answer", maps_query)]
    assert not [e for e in events if e[0] == "discard"]
    snap.pop("collected_at"), expected.pop("collected_at")
    assert snap == expected


def multipathd_changes_after_the_first_scan(t, events, change):
    """A deadline.call stand-in that records what it reads and calls change() once, right after the first scan of
    /proc for multipathd (the one before the read starts): the daemon stops or starts while sysfs is read."""
    def call(fn, args=(), timeout=10.0, what=None):
        events.append(("read", fn.__name__))
        answer = inline_call(fn, args)
        if fn.__name__ == "multipathd_pids" and ("read", "multipathd_pids") == events[0]:
            change()
        return answer
    return call


def test_a_multipathd_stopped_during_the_read_is_not_answered_for_by_the_query_started_before(tmp_path):
    """multipathd found before the read and gone in the read's own scan (its admin stopped it): the maps query
    started ahead is stopped, its answer not taken, and the snapshot says the daemon is not running, as a reader
    that asks after the read would. Fails when the early answer stands for a daemon the read no longer saw."""
    t = healthy_lab(tmp_path).commands()
    events = []
    call = multipathd_changes_after_the_first_scan(t, events, lambda: shutil.rmtree(t.path("/proc/612")))
    snap = sr.Host(root=t.root, run=t.run, call=call, start=StartedFromRun(t.run, events)).snapshot(probe=False)
    maps_query = " ".join(sr.CMD_MPD_JSON)
    assert [e for e in events if e[1] == maps_query] == [("start", maps_query), ("discard", maps_query)]
    assert not snap["host"]["multipathd_running"]
    assert "multipathd is not running" in " ".join(e["msg"] for e in snap["errors"] if e["what"] == "multipathd")
    assert all(p["checker_state"] is None for m in snap["maps"].values() for p in m["paths"])


def test_a_multipathd_not_running_before_the_read_is_never_asked_ahead(tmp_path):
    """No multipathd in /proc before the read: the maps query is not started (it would start a stopped daemon
    through socket activation); if the read's scan finds it running after all (started meanwhile), it is asked
    after the read, as before. Fails when a daemon not seen running is asked, or one seen by the read is not."""
    t = healthy_lab(tmp_path).commands(multipathd=False)
    events = []
    snap = sr.Host(root=t.root, run=t.run, call=multipathd_changes_after_the_first_scan(t, events, lambda: None),
                   start=StartedFromRun(t.run, events)).snapshot(probe=False)
    assert not [e for e in events if "multipathd" in e[1] and e[0] != "read"]
    assert tuple(sr.CMD_MPD_JSON) not in [tuple(c[0]) for c in t.run.calls]
    assert not snap["host"]["multipathd_running"]

    t = healthy_lab(tmp_path / "started").commands()
    shutil.rmtree(t.path("/proc/612"))
    events = []
    call = multipathd_changes_after_the_first_scan(t, events, lambda: t.proc(612, "multipathd"))
    snap = sr.Host(root=t.root, run=t.run, call=call, start=StartedFromRun(t.run, events)).snapshot(probe=False)
    assert not [e for e in events if e[0] == "start" and "multipathd" in e[1]]
    assert [tuple(c[0]) for c in t.run.calls].count(tuple(sr.CMD_MPD_JSON)) == 1
    assert snap["host"]["multipathd_running"]
    assert {p["checker_state"] for m in snap["maps"].values() for p in m["paths"]} == {"ready"}


def test_a_started_dm_command_past_its_deadline_fails_the_read_and_the_others_are_stopped(tmp_path):
    """A dmsetup table started ahead that misses its deadline raises naming it (a core command), and dmsetup status,
    whose answer is no longer wanted, is stopped; a read that fails stops every started command. Fails when a
    missed deadline of a started command is taken for an answer or a started command is left running."""
    t = healthy_lab(tmp_path).commands()
    events = []
    table = " ".join(sr.CMD_DM_TABLE)
    with pytest.raises(deadline.DeadlineExceeded, match="dmsetup table"):
        t.reader(start=StartedFromRun(t.run, events, hang=(table,))).snapshot(probe=False)
    assert ("discard", " ".join(sr.CMD_DM_STATUS)) in events

    def call(fn, args=(), timeout=10.0, what=None):
        raise deadline.DeadlineExceeded(what, timeout)  # the batch read and the listing: nothing to report
    events[:] = []
    with pytest.raises(deadline.DeadlineExceeded, match="listing of /sys/block"):
        t.reader(call=call, start=StartedFromRun(t.run, events)).snapshot(probe=False)
    assert [e for e in events if e[0] != "start"] == [("discard", " ".join(a)) for a in sr.CMD_DM_AHEAD]


def test_hung_dmsetup_raises_naming_the_command(tmp_path):
    """Fails when a hung dmsetup table does not raise a deadline error naming the command."""
    t = healthy_lab(tmp_path).commands()
    t.run.answers[tuple(sr.CMD_DM_TABLE)] = timeout_answer
    with pytest.raises(deadline.DeadlineExceeded) as info:
        t.reader().snapshot()
    assert "dmsetup table --target multipath" in str(info.value)


def test_hung_multipathd_is_partial(tmp_path):
    """Fails when a hung multipathd loses the kernel's maps or is not reported."""
    t = healthy_lab(tmp_path).commands()
    t.run.answers[tuple(sr.CMD_MPD_JSON)] = timeout_answer
    t.run.answers[tuple(sr.CMD_MPD_PATHS)] = timeout_answer
    snap = t.reader().snapshot(probe=False)
    assert len(snap["maps"]) == 2
    assert " ".join(sr.CMD_MPD_JSON) in [e["what"] for e in snap["errors"]]


# ------------------------------------------------------------------------------------------------ disk() / map()


def test_disk_rereads_one_device(tmp_path):
    """Fails when a disk re-read does not show a reused sd name's new identity, or accepts a path."""
    t = healthy_lab(tmp_path).commands()
    r = t.reader()
    assert r.disk("sdb")["wwid"] == ontap_wwid(1)
    # sd name reuse: sdb now is another LUN (new hctl, dev, wwid); disk() must show the new identity
    import shutil
    shutil.rmtree(t.path(os.path.dirname(os.path.dirname(t.sd["sdb"]["bdir"]))))
    os.unlink(t.path("/sys/block/sdb"))
    t.disk("sdb", "2:0:0:5", "8:96", session=1, wwid="naa." + ontap_wwid(5)[1:])
    d = r.disk("sdb")
    assert (d["hctl"], d["dev"], d["wwid"], d["lun"], d["map"]) == ("2:0:0:5", "8:96", ontap_wwid(5), 5, None)
    assert r.disk("sdzz") is None
    with pytest.raises(ValueError):
        r.disk("../sdb")


def test_map_by_name_wwid_or_dm(tmp_path):
    """Fails when a map is not found by WWID or dm name, a missing one is found, or a path is accepted."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdd": ("F", "faulty", "running")})
    r = t.reader()
    for key in (ontap_wwid(1), "dm-0"):
        m = r.map(key)
        assert m["dm"] == "dm-0"
        assert [(p["name"], p["dm_state"]) for p in m["paths"]] == [("sdb", "active"), ("sdd", "failed")]
    assert r.map("3600a0980ffff") is None
    with pytest.raises(ValueError):
        r.map("a/../b")


def test_map_reread_asks_only_for_that_map(tmp_path):
    """The acts re-read a map before and during every step: the cost must not grow with the maps of the host."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdd": ("F", "faulty", "running")})
    r = t.reader()
    m = r.map(ontap_wwid(1))
    assert m["queueing"] is not None and [p["name"] for p in m["paths"]] == ["sdb", "sdd"]
    name = ontap_wwid(1)
    asked = [c[0] for c in t.run.calls]
    assert asked == [sr.CMD_DM_INFO + [name], ["dmsetup", "table", name], ["dmsetup", "status", name],
                     ["multipathd", "show", "map", name, "json"]]
    assert not {tuple(sr.CMD_DM_TABLE), tuple(sr.CMD_DM_STATUS), tuple(sr.CMD_MPD_JSON)} & set(map(tuple, asked))
    # the same map as the whole-host snapshot sees it
    snap = healthy_lab(tmp_path / "again").commands(paths_state={"sdd": ("F", "faulty", "running")}).reader()
    whole = snap.snapshot(probe=False)["maps"][name]
    assert dict((k, m[k]) for k in ("queueing", "features", "paths", "dm", "dev")) == \
        dict((k, whole[k]) for k in ("queueing", "features", "paths", "dm", "dev"))


# ------------------------------------------------------------------------------------------------ captured lab trees


@pytest.mark.parametrize("scenario", ["healthy", "unmapped", "portal_cut", "orphan", "mounted"])
def test_captured_fixture_reads_cleanly(scenario):
    """Fails when a captured lab host does not read with its truth's initiator, portals, maps and paths."""
    reader, truth = load_captured(scenario)
    snap = reader.snapshot(probe=True)
    assert snap["host"]["iscsi_iqn"] == truth["initiator_iqn"]
    assert sorted(s["portal"] for s in snap["iscsi_sessions"]) == sorted(truth["portals"])
    assert any(d["transport"] == "iscsi" for d in snap["disks"].values())
    assert snap["host"]["multipathd_running"] is True
    for m in snap["maps"].values():
        assert m["paths"]
        for p in m["paths"]:
            assert p["name"] in snap["disks"]
            assert p["dm_state"] in ("active", "failed") and p["checker_state"]
    # every error is a real partial failure, never a missing fixture output
    assert not [e for e in snap["errors"] if "no captured output" in e["msg"]], snap["errors"]


def test_initiator_comes_from_the_kernel_session_not_the_file(tmp_path):
    """An edited initiatorname.iscsi not yet applied (or an iface override): the array sees the session's name."""
    t = healthy_lab(tmp_path)
    t.initiator("iqn.1994-05.com.redhat:edited-not-applied")
    t.iscsi_session(2, 3, "127.0.0.2", initiator="iqn.2024-01.lab.san:iface1", iface="iface1")
    t.commands()
    snap = t.reader().snapshot(probe=False)
    assert snap["host"]["iscsi_iqn_source"] == "session"
    assert snap["host"]["initiators"] == sorted([IQN, "iqn.2024-01.lab.san:iface1"])
    assert "edited-not-applied" not in str(snap["host"]["initiators"])
    assert snap["disks"]["sdd"]["initiator"] == "iqn.2024-01.lab.san:iface1"
    assert snap["disks"]["sdb"]["initiator"] == IQN
    assert [s["iface"] for s in snap["iscsi_sessions"]] == ["default", "iface1"]


def test_initiator_file_is_the_flagged_last_resort(tmp_path):
    """Fails when the initiator taken from initiatorname.iscsi alone is not flagged as from the file."""
    t = SanTree(tmp_path / "root")
    t.initiator("iqn.1994-05.com.redhat:fromfile")
    t.commands(multipathd=False)
    snap = t.reader().snapshot(probe=False)
    assert (snap["host"]["iscsi_iqn"], snap["host"]["iscsi_iqn_source"]) == ("iqn.1994-05.com.redhat:fromfile", "file")


def test_fc_disk_names_the_target_port_it_is_reached_through(tmp_path):
    """Fails when an FC disk does not name the initiator and target port it is reached through."""
    t = SanTree(tmp_path / "root")
    t.fc_host(5)
    t.disk("sdb", "5:0:1:7", "8:16", fc="0x200500a098000001", wwid="naa." + ontap_wwid(7)[1:])
    t.commands(multipathd=False)
    d = t.reader().snapshot(probe=False)["disks"]["sdb"]
    assert (d["initiator"], d["target_wwpn"], d["target_iqn"]) == ("0x21000024ff3a0b1c", "0x200500a098000001", None)


def test_each_fc_disk_is_read_with_the_port_of_its_own_rport_not_of_the_rport_numbered_as_its_target(tmp_path):
    """Several rports per host, rport number != SCSI target id: a reader that took the port of rport-H:C-<T>
    (or any other than the rport the sd sits below) names another array port, and the judge then asks another
    SVM about the path."""
    snap = fc_several_rports(tmp_path).reader().snapshot(probe=False)
    inits = {5: "0x21000024ff3a0b1c", 6: "0x21000024ff3a0b1d"}
    got = dict((n, (d["hctl"], d["target_wwpn"], d["initiator"], d["transport"])) for n, d in snap["disks"].items())
    assert got == dict((n, (hctl, FC_PORTS[port], inits[int(hctl[0])], "fc")) for n, (hctl, port) in FC_DISKS.items())
    below = dict((r["rport"], (r["port_name"], r["scsi_target_id"], [d["name"] for d in r["devices"]]))
                 for r in snap["host"]["fc_rports"])
    assert below == {"rport-5:0-0": ("0x21000024ff990001", -1, []),
                     "rport-5:0-1": (FC_PORTS["5b"], 2, ["sdd", "sde"]),
                     "rport-5:0-2": (FC_PORTS["5c"], 0, ["sdb"]),
                     "rport-5:0-3": (FC_PORTS["5a"], 1, ["sdc"]),
                     "rport-6:0-0": (FC_PORTS["6c"], 1, ["sdg"]),
                     "rport-6:0-1": (FC_PORTS["6a"], 0, ["sdf"])}


def test_openers_are_matched_by_device_number_wherever_the_node_lives(tmp_path):
    """Fails when an opener of a device node outside /dev is missed, or its opens are not counted."""
    t = plain_san_disk(tmp_path)
    # a Kubernetes volumeDevices path: a device node outside /dev, opened twice
    node = "/var/lib/kubelet/plugins/kubernetes.io/csi/volumeDevices/publish/pvc-1/pod-1"
    _blocknode(t, node, "8:80")
    t.proc(901, "postgres", fds=[node, node, "/var/log/x.log", "socket:[1234]"])
    t.commands()
    d = t.reader().snapshot(probe=False)["disks"]["sdf"]
    assert {"pid": 901, "comm": "postgres", "fds": 2} in d["openers"]


@pytest.mark.parametrize("kind,make,named", [
    ("loop", lambda t: t._write("/sys/block/loop3/loop/backing_file", "/dev/sdf\n"), "loop3"),
    ("lio", lambda t: t._write("/sys/kernel/config/target/core/iblock_0/lun7/udev_path", "/dev/sdf1\n"),
     "iblock_0/lun7"),
    ("btrfs", lambda t: t._mkdir("/sys/fs/btrfs/5d1e0c4a-fsid/devices/sdf1"), "5d1e0c4a-fsid"),
])
def test_kernel_users_without_holders_links_are_found(tmp_path, kind, make, named):
    """Fails when a loop, LIO or btrfs kernel user of a disk without a holders link is missed."""
    t = plain_san_disk(tmp_path)
    make(t)
    t.commands()
    d = t.reader().snapshot(probe=False)["disks"]["sdf"]
    assert [(u["kind"], u["name"]) for u in d["kernel_users"]] == [(kind, named)]
    assert "kernel_users" not in t.reader().snapshot(probe=False)["disks"]["sdb"]


def test_a_btrfs_mount_with_an_anonymous_device_number_is_found_by_its_source(tmp_path):
    """Fails when a btrfs mount, whose device number is anonymous, is not found by its source device."""
    t = plain_san_disk(tmp_path)
    t.mount("0:52", "/srv/btr", "/dev/sdf1", fstype="btrfs")
    t.commands()
    assert t.reader().snapshot(probe=False)["disks"]["sdf"]["mountpoints"] == ["/srv/btr"]


def test_swap_on_a_partition_marks_the_disk(tmp_path):
    """Fails when swap on a partition does not mark its disk as swap."""
    t = plain_san_disk(tmp_path)
    t.swap("/dev/sdf1")
    t.commands()
    assert t.reader().snapshot(probe=False)["disks"]["sdf"]["swap"] is True


def test_open_files_are_the_fewest_the_fds_can_be():
    """Fails when fds that may share one open file are counted as more open files than they can be."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users
    a = {"pid": 1, "comm": "blkid", "files": ["25:100000"]}
    b = {"pid": 2, "comm": "blkid", "files": ["25:100000"]}    # fork(): may share a's open file
    c = {"pid": 3, "comm": "blkid", "files": ["25:100002"]}
    unknown = {"pid": 4, "comm": "blkid", "files": ["?"]}
    assert users.open_files([a, b]) == 1 and users.open_files([a, c]) == 2
    assert users.open_files([a, unknown]) == 1 and users.open_files([unknown]) == 1
    assert users.open_files([{"pid": 5, "comm": "x", "fds": 2}]) == 2   # read without keys: its fds
    assert users.unexplained_opens(3, [a, b, c]) == 1


def test_the_opens_nothing_accounts_for_are_counted_on_every_dm_device(tmp_path):
    """Killed closers are matched against every device-mapper device's opens, chosen or not: an
    LV (dm-2 on map dm-0) and a map the array still maps count as much as a stale map."""
    t = healthy_lab(tmp_path)
    t.dm("dm-2", "253:2", "vg0-lv0", "LVM-abcdef")
    t.hold("dm-0", "dm-2")
    t.mount("253:2", "/srv/data", "/dev/mapper/vg0-lv0")
    _blocknode(t, "/dev/dm-1", "253:1")
    t.proc(4243, "dd", fds=["/dev/dm-1", "/dev/dm-1"])     # one open file through two fds (dup)
    fd_info(t, 4243, 3)
    fd_info(t, 4243, 4)
    t.maps["dm-0"]["open"] = 2   # the LV's table and one open nobody sees
    t.maps["dm-1"]["open"] = 2   # dd's open file and one open nobody sees
    t.maps["dm-2"]["open"] = 1   # its mount
    t.commands()
    host = t.reader().snapshot(probe=False)["host"]
    assert host["dm_unaccounted"] == {
        "dm-0": {"name": ontap_wwid(1), "open_count": 2, "unaccounted": 1},
        "dm-1": {"name": ontap_wwid(2), "open_count": 2, "unaccounted": 1},
        "dm-2": {"name": "vg0-lv0", "open_count": 1, "unaccounted": 0}}
    t.run.set(sr.CMD_DM_INFO, "", rc=1)   # no open counts: nothing can be counted
    assert all(c["unaccounted"] is None for c in t.reader().snapshot(probe=False)["host"]["dm_unaccounted"].values())


def test_a_thread_fd_table_that_cannot_be_read_makes_openers_unknown(tmp_path, monkeypatch):
    """Fails when a thread's unreadable fd table is skipped instead of making the openers unknown."""
    t = plain_san_disk(tmp_path)
    t.proc(5000, "java", fds=[])
    t._mkdir("/proc/5000/task/5001/fd")
    t.commands()
    real = os.listdir

    def listdir(path):
        if str(path).endswith("/proc/5000/task/5001/fd"):
            raise PermissionError(13, "Permission denied")
        return real(path)
    monkeypatch.setattr(os, "listdir", listdir)
    snap = t.reader(call=lambda fn, args=(), timeout=10, what=None: fn(*args)).snapshot(probe=False)
    assert "pid 5000" in snap["disks"]["sdf"]["openers_unknown"]


def test_unreadable_fd_directory_makes_openers_unknown(tmp_path, monkeypatch):
    """Fails when a process's unreadable fd directory is skipped instead of making the openers unknown."""
    t = plain_san_disk(tmp_path)
    t.proc(950, "secretd", fds=[])
    t.commands()
    real = os.listdir

    def listdir(path):
        if str(path).endswith("/proc/950/fd"):
            raise PermissionError(13, "Permission denied")
        return real(path)
    monkeypatch.setattr(os, "listdir", listdir)
    snap = t.reader(call=lambda fn, args=(), timeout=10, what=None: fn(*args)).snapshot(probe=False)
    assert "pid 950 (secretd)" in snap["disks"]["sdf"]["openers_unknown"]
    assert snap["maps"][ontap_wwid(1)]["openers_unknown"]


def test_a_killed_task_still_closing_a_device_is_reported_on_the_host(tmp_path):
    """Fails when a killed task still closing a block device is not reported, or a sleeping task is."""
    t = plain_san_disk(tmp_path)
    killed_task(t, 402)
    killed_task(t, 403, stack=None)                               # stack unreadable: listed, frames unknown
    killed_task(t, 404, stack="[<0>] do_exit+0x381/0xb10\n")      # exiting, but not in a block device close
    # a kernel thread and a sleeping process, both with empty fd dirs: not exiting tasks
    killed_task(t, 2, comm="kthreadd", stat="2 (kthreadd) S 0 0 0 0 -1 2129984 0 0")
    killed_task(t, 405, comm="sleep", stat="405 (sleep) D 1 405 405 0 -1 4194560 0 0")
    t.commands()
    snap = t.reader(call=inline_call).snapshot(probe=False)
    assert snap["host"]["exiting_tasks"] == [
        {"pid": 402, "comm": "(udev-worker)", "frames": ["blkdev_flush_mapping", "blkdev_put", "blkdev_close"]},
        {"pid": 403, "comm": "(udev-worker)", "frames": None},
        {"pid": 404, "comm": "(udev-worker)", "frames": []}]


def test_a_proc_scan_that_times_out_makes_openers_unknown(tmp_path):
    """Fails when a /proc fd scan that timed out reads as no openers instead of unknown."""
    t = plain_san_disk(tmp_path)
    t.commands()
    snap = t.reader(call=proc_scan_times_out).snapshot(probe=False)
    assert snap["disks"]["sdf"]["openers_unknown"] == "the /proc/*/fd scan did not finish"


def test_view_answers_like_map_and_disk_from_one_read(tmp_path):
    """The act's batch read: one sysfs child, one dmsetup round and one multipathd query for any number
    of maps and disks, answering each lookup as map() and disk() do."""
    t = healthy_lab(tmp_path).commands(paths_state={"sdd": ("F", "faulty", "running")})
    r = t.reader()
    one_map, one_disk = r.map(ontap_wwid(1)), r.disk("sdb")
    t.run.calls[:] = []
    v = r.view(["sdb"], [ontap_wwid(1), "dm-1"])
    asked = [c[0] for c in t.run.calls]
    assert asked == [sr.CMD_DM_INFO, sr.CMD_DM_TABLE, sr.CMD_DM_STATUS, sr.CMD_MPD_JSON]
    for key in (ontap_wwid(1), "dm-0"):
        m = v.map(key)
        assert (m["dm"], m["queueing"], [(p["name"], p["dm_state"]) for p in m["paths"]]) == (
            one_map["dm"], one_map["queueing"], [(p["name"], p["dm_state"]) for p in one_map["paths"]])
    d = v.disk("sdb")
    assert dict((k, d[k]) for k in ("hctl", "dev", "wwid", "serial", "map")) == dict(
        (k, one_disk[k]) for k in ("hctl", "dev", "wwid", "serial", "map"))
    # the paths of an asked-for map are read even when not asked for by name (a path added since the plan)
    assert v.disk("sdd") is not None and v.disk("sdd")["map"] == one_map["name"]
    assert v.map("3600a0980ffff") is None and v.disk("sdzz") is None
    assert v.holders(["dm-0"])[0]["uuid"] == "mpath-" + ontap_wwid(1)
    with pytest.raises(ValueError):
        r.view(["../sdb"])


@pytest.mark.parametrize("setup", [
    lambda t: None,
    lambda t: (t._write("/sys/block/vda/dev", "254:0\n"), t._write("/sys/block/sr0/dev", "11:0\n")),
    lambda t: (t._write("/sys/block/nvme0n1/dev", "259:0\n"),
               t._write("/sys/block/nvme0n1/device/transport", "pcie\n")),
    lambda t: (t._write("/sys/block/loop1/dev", "7:1\n"), t._write("/sys/block/loop1/size", "0\n")),  # unbound
    lambda t: virtio_disk(t, loop_file(t, "loop0")),
], ids=["sd-and-dm-only", "vda-and-sr0", "pcie-nvme", "unbound-loop", "loop-on-local-fs"])
def test_a_killed_closer_still_releases_a_stale_map_on_a_host_whose_other_disks_cannot_wait(tmp_path, setup):
    """Fails when block devices that cannot hold a hidden open stop a killed closer's stale map release."""
    t = healthy_lab(tmp_path)
    setup(t)
    snap, actions, _out = closer_and_hidden_open_plan(t)
    assert snap["host"]["uncounted_block_devices"] == []
    assert actions[:2] == ["disable_queueing", "verify_unused"]


@pytest.mark.parametrize("setup,name", [
    (lambda t: (t._write("/sys/block/nvme1n1/dev", "259:1\n"),
                t._write("/sys/block/nvme1n1/device/transport", "tcp\n")), "nvme1n1"),
    (lambda t: t._write("/sys/block/nbd0/dev", "43:0\n"), "nbd0"),
    (lambda t: t._write("/sys/block/md127/dev", "9:127\n"), "md127"),
    (lambda t: t._write("/sys/block/rbd0/dev", "252:0\n"), "rbd0"),
    (lambda t: (t.mount("0:41", "/mnt/images", "filer:/images", fstype="nfs"),
                local_loop(t, "loop0", "/mnt/images/disk.img")), "loop0"),
    (lambda t: (t._write("/sys/block/loop2/dev", "7:2\n"), t._write("/sys/block/loop2/size", "2048\n"),
                os.makedirs(t.path("/sys/block/loop2/loop"))), "loop2"),           # backing file unreadable
    (lambda t: t._write("/sys/block/hd9/dev", "3:0\n"), "hd9"),                  # unknown: fails closed
], ids=["nvme-tcp", "nbd", "md", "rbd", "loop-on-nfs", "loop-unreadable", "unknown"])
def test_a_killed_closer_releases_nothing_while_a_block_device_that_can_wait_has_no_count(tmp_path, setup, name):
    """Fails when a killed closer releases a map while a device that can hold an open has no count."""
    t = healthy_lab(tmp_path)
    setup(t)
    snap, actions, out = closer_and_hidden_open_plan(t)
    assert [d["name"] for d in snap["host"]["uncounted_block_devices"]] == [name]
    assert actions == []
    assert name in [x for x in out["skipped"] if x["name"] == ontap_wwid(1)][0]["reason"]


def _closers_vouch_for_every_hidden_open(snap):
    return plan_maps.closers_account_for_every_hidden_open(snap, plan_maps.exiting_closers(snap)) is None


def _while_dmsetup_info_runs(t, change):
    """change() happens between the /proc scan and the open counts: while `dmsetup info` runs."""
    answer = t.run.answers[tuple(sr.CMD_DM_INFO)]

    def info(_argv, _timeout):
        change()
        return answer
    t.run.answers[tuple(sr.CMD_DM_INFO)] = info


def test_a_closer_whose_close_returns_between_the_proc_scan_and_dmsetup_info_vouches_for_no_hidden_open(tmp_path):
    """Fails when one read counts as a closer a task whose close returned before the open counts were read: dm-1's
    open went with it, so the task vouches for dm-0's hidden open (a user nobody sees), at no moment its own."""
    t = healthy_lab(tmp_path)
    killed_task(t, 402)            # stuck closing dm-1, read during the scan
    t.maps["dm-0"]["open"] = 1     # a hidden user
    t.commands()
    _while_dmsetup_info_runs(t, lambda: shutil.rmtree(t.path("/proc/402")))    # its close returned: it is gone
    snap = t.reader(call=inline_call).snapshot(probe=False)
    assert snap["host"]["dm_unaccounted"]["dm-0"]["unaccounted"] == 1
    assert snap["host"]["exiting_tasks"] == []
    assert not _closers_vouch_for_every_hidden_open(snap)


def test_a_closer_still_closing_after_dmsetup_info_is_counted(tmp_path):
    """Fails when the second read of the exiting tasks loses a closer that is still there (the release never
    happens), or when exiting tasks that cannot be read again are counted."""
    t = healthy_lab(tmp_path)
    killed_task(t, 402)
    t.maps["dm-0"]["open"] = 1     # the closer's open
    t.commands()
    snap = t.reader(call=inline_call).snapshot(probe=False)
    assert [c["pid"] for c in snap["host"]["exiting_tasks"]] == [402]
    assert _closers_vouch_for_every_hidden_open(snap)

    def second_read_hangs(fn, args=(), timeout=10.0, what=None):
        if fn.__name__ == "still_exiting":
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args, timeout, what)
    snap = t.reader(call=second_read_hangs).snapshot(probe=False)
    assert [(c["pid"], c["frames"]) for c in snap["host"]["exiting_tasks"]] == [(402, None)]
    assert not _closers_vouch_for_every_hidden_open(snap)
    assert [e for e in snap["errors"] if "exiting tasks 402 again" in e["what"]]


def test_a_task_whose_stack_shows_its_close_only_in_the_second_read_counts(tmp_path):
    """Fails when a task exiting without a file table at the scan, and inside a block close when the open counts
    were read, is not counted as a closer (the release it holds would never happen)."""
    t = healthy_lab(tmp_path)
    killed_task(t, 402, stack="[<0>] exit_mm+0x1/0x2\n")
    t.maps["dm-0"]["open"] = 1
    t.commands()
    _while_dmsetup_info_runs(t, lambda: t._write("/proc/402/task/402/stack", KILLED_WORKER_STACK))
    snap = t.reader(call=inline_call).snapshot(probe=False)
    assert [c["pid"] for c in snap["host"]["exiting_tasks"] if c["frames"]] == [402]
    assert _closers_vouch_for_every_hidden_open(snap)


def test_a_host_whose_only_san_is_nvme_over_fabrics_is_a_san_host(tmp_path):
    """An NVMe/TCP host has no initiator name, session, map or SCSI disk: its fabrics controller is the evidence,
    even where its host NQN did not read. A local pcie drive is not."""
    t = SanTree(tmp_path / "root")
    t.nvme_ctrl(0, None, "nqn.2014.08.org.nvmexpress:uuid:local", transport="pcie", model="QEMU NVMe Ctrl")
    snap = t.commands(multipathd=False).reader().snapshot(probe=False)
    assert snap["host"]["san_presence"] == "not_san", snap["host"]["san_presence_reason"]
    t.nvme_ctrl(1, None, NVME_ONTAP_NQN, transport="tcp", hostnqn=None, hostid=None)
    snap = t.reader().snapshot(probe=False)
    assert snap["host"]["san_presence"] == "san"
    assert snap["host"]["san_presence_reason"] == "NVMe over fabrics controller(s) nvme1 (tcp)"


def test_an_nvme_read_that_hung_leaves_a_host_showing_nothing_else_unknown(tmp_path):
    """The NVMe read can alone show a SAN host: when it misses its deadline, a host otherwise bare is unknown, and
    its namespaces are None (not read), not an empty list."""
    t = SanTree(tmp_path / "root").commands(multipathd=False)
    snap = t.reader(call=hanging(("read_nvme_devices",))).snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == ["nvme"]
    assert snap["host"]["san_presence"] == "unknown"
    assert snap["nvme"] is None
