# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/identity.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import (
    deadline, identity as si, validate)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import (
    context as act_context, maps as act_maps)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    DISK_CHECK, HCTL_RE, MAP_CHECK, RESCAN_CHECK, SD_NAME_RE, Identity, Wwid, identity_diff, in_host_spelling,
    map_wwid, normalize_initiator, nsid_number, ontap_hex_id, refuse_other_spelling, same_wwid, wwid_has_prefix,
    wwid_key, wwid_matches, wwid_or_none)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.reread import View
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import approval, steps as plan_steps
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import FakeEnv
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.helpers import (
    LOWER, UPPER, _artifact, _redigest, references_after_removing)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    FAILED, LNS, check, fc_snap_of, norm, rec, snap_of, verdict)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    healthy_lab, inline_call, ontap_serial, ontap_wwid)


@pytest.mark.parametrize("value,pattern", [("sda\n", SD_NAME_RE), ("1:0:0:1\n", HCTL_RE)])
def test_a_name_with_a_trailing_newline_is_not_a_kernel_name(value, pattern):
    """Fails when an sd name or H:C:T:L with a trailing newline matches the kernel-name pattern."""
    assert pattern.match(value) is None


def test_a_users_wwid_is_not_resolved_case_blind_over_an_unfinished_read(tmp_path):
    """Fails when a user's WWID over an unfinished read resolves to a map of another LU differing in case."""
    t = healthy_lab(tmp_path)
    for name, hctl, dev, text in (("sdf", "2:0:0:7", "8:80", "Abc"), ("sdg", "2:0:0:8", "8:96", "abc")):
        t.disk(name, hctl, dev, session=1, wwid="t10.VEND    %s" % text)
    t.dm("dm-5", "253:5", "mpathx", "mpath-1VEND_Abc", slaves=("sdf",))
    t.dm("dm-6", "253:6", "mpathy", "mpath-1VEND_abc", slaves=("sdg",))
    t.commands()

    def call(fn, args=(), timeout=10.0, what=None):
        # the batch read misses its deadline, and so does the read of dm-6 (the map the user names)
        if fn.__name__ == "read_batch" or (fn.__name__ in ("read_dm", "read_devices") and "dm-6" in args[1]):
            raise deadline.DeadlineExceeded(what, timeout)
        return inline_call(fn, args)

    host = t.reader(call=call, read_timeout=1.5)
    with pytest.raises(obs_reread.Unread):
        host.map(Wwid("1VEND_abc"))                  # the exact lookup knows it cannot tell
    with pytest.raises(obs_reread.Unread):
        host.map(Wwid("t10.VEND abc"), from_user=True)  # on 3d7a95c: mpathx (1VEND_Abc), another LU


def test_a_san_disk_whose_wwid_text_is_refused_is_reported_with_that_text(tmp_path):
    """Fails when a disk whose WWID text is refused is removable, or reported without that text."""
    t = healthy_lab(tmp_path)
    # an LIO LU whose unit serial (set by the admin) holds a "/": the kernel prints its t10 designator as is
    t.disk("sdf", "2:0:0:7", "8:80", session=1, wwid="t10.LIO-ORG block7 vol/7")
    t.commands()
    snap = t.reader().snapshot(probe=False)
    assert snap["disks"]["sdf"]["wwid"] is None                # fail closed: matches no record, nothing removes it
    v = verdict(check(snap, [rec(1, 1), rec(2, 2)]), "sdf", obj="disk")
    assert v["kind"] == "unknown_array"
    assert "WWID None" not in v["reason"], v["reason"]
    assert "vol/7" in json.dumps([snap["errors"], snap["disks"]["sdf"], v]), "the refused text is named nowhere"


def test_the_references_of_a_removed_t10_lu_do_not_name_the_live_lu_differing_only_in_case(tmp_path):
    """Fails when a removed t10 LU's references include a live LU whose WWID differs only in case."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import refs as act_refs
    env = FakeEnv(tmp_path)
    env._file("sys/block/dm-6/dm/name", "mpathy")          # the live map of LU 1VEND_abc, a PV in use
    env._file("sys/block/dm-6/dm/uuid", "mpath-" + LOWER)
    env._file("etc/lvm/devices/system.devices", "VERSION=1.1.3\n"
              "IDTYPE=mpath_uuid IDNAME=mpath-%s DEVNAME=/dev/mapper/mpathy PVID=Xb2c\n" % LOWER)
    # this run removed LU 1VEND_Abc (map mpathx, path sdf); 1VEND_abc is still here
    executed = [{"action": "flush_map", "target": "mpathx", "outcome": "done"},
                {"action": "wait_map_gone", "target": "mpathx", "outcome": "done", "wwid": UPPER},
                {"action": "wait_disk_gone", "target": "sdf", "outcome": "done", "wwid": UPPER}]
    refs = act_refs.references(env.host(), executed, still_present=[LOWER, LOWER])
    assert refs == [], refs        # today: the live PV's line, which clean_references would comment out


# two LUs whose t10 ids differ only in the case of their vendor text, a text made of hex characters only (an
# 8-character T10 vendor id of hex letters/digits and a hex vendor-specific id: no blank, so no "_" in it)
HEX_UPPER, HEX_LOWER = Wwid("t10.ABCDEF0123456789"), Wwid("t10.abcdef0123456789")


def test_a_t10_vendor_text_of_hex_characters_is_compared_in_its_case_by_the_guards(tmp_path):
    """Fails when a guard takes two t10 WWIDs of hex letters differing only in case for one LU."""
    assert (HEX_UPPER, HEX_LOWER) == ("1ABCDEF0123456789", "1abcdef0123456789")   # Wwid keeps the case: two LUs
    # only the upper-case LU is here; the user names the other one (its map gone)
    t = healthy_lab(tmp_path)
    t.disk("sdf", "2:0:0:7", "8:80", session=1, wwid="t10.ABCDEF0123456789")
    t.dm("dm-5", "253:5", "mpathx", "mpath-" + HEX_UPPER, slaves=("sdf",))
    t.commands()
    with pytest.raises(validate.InvalidInput, match="differs from it only in case"):
        t.reader().map(HEX_LOWER, from_user=True)     # on ba200eb: mpathx, the map of the other LU
    assert not wwid_matches(HEX_LOWER, HEX_UPPER)
    assert Identity(wwid=HEX_UPPER).differs_from({"wwid": HEX_LOWER})
    assert identity_diff({"wwid": HEX_UPPER}, {"wwid": HEX_LOWER}) != {}


def test_the_references_of_a_removed_t10_lu_do_not_name_a_live_lu_whose_wwid_it_begins(tmp_path):
    """Fails when a removed t10 LU's references include a live LU whose WWID begins with the removed one."""
    removed, live = Wwid("t10.VEND abc"), Wwid("t10.VEND abc 2")       # "1VEND_abc", "1VEND_abc_2"
    refs = references_after_removing(tmp_path, removed, live)
    # the removed LU's own line (positive control), never the live one's (on ba200eb: lines 2 and 3)
    assert [r["line"] for r in refs] == [2], refs


def test_the_references_of_a_removed_t10_lu_do_not_name_a_live_lu_whose_wwid_it_begins_before_a_dash(tmp_path):
    """Fails when a removed t10 LU's references include a live LU whose WWID is the removed one plus a dash."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.helpers import (
        references_after_removing)
    # LIO derives the t10 id from the backstore name; backstores "lun" and "lun-2" are two LUs
    removed, live = Wwid("t10.LIO-ORG lun"), Wwid("t10.LIO-ORG lun-2")    # "1LIO-ORG_lun", "1LIO-ORG_lun-2"
    refs = references_after_removing(tmp_path, removed, live)
    # the removed LU's own line (positive control), never the live one's (on 995ca68: lines 2 and 3)
    assert [r["line"] for r in refs] == [2], refs


# a t10 WWID as the kernel and multipath spell it (LIO without a NAA designator): its vendor text keeps its case
T10 = "1LIO-ORG_block_1"


class _NoView(object):
    """A reader whose batch read is not to be had (each step reads on its own) and that shows no map: the map of
    the WWID is gone, as remove_wwid requires."""

    def view(self, names, maps):
        raise RuntimeError("no batch read in this test")

    def map(self, key, by="any"):
        return None


def test_a_t10_wwid_still_in_the_wwids_file_after_multipath_w_is_not_reported_removed(tmp_path):
    """Fails when remove_wwid reports done while the t10 WWID is still listed in the wwids file."""
    (tmp_path / "etc" / "multipath").mkdir(parents=True)
    # `multipath -w` answered 0 but the line is still there (another wwids_file, multipathd wrote it back, ...)
    (tmp_path / "etc" / "multipath" / "wwids").write_text("/%s/\n" % T10)
    sent = []

    def run(argv, timeout=None, what=None):
        sent.append(argv)
        return deadline.CommandResult(argv, 0, "wwid '%s' removed" % argv[-1], "", 0.01)

    host = act_context.ActContext(_NoView(), run=run, root=str(tmp_path))  # call: the real forked deadline.call
    wwid = Wwid(T10)
    step = plan_steps.step("remove_wwid", wwid, {"wwid": wwid}).tagged("flush", "map mpatha")
    [(_st, outcome, _t)] = act_maps.remove_wwid(host, [step])
    assert sent == [["multipath", "-w", T10]]
    assert isinstance(outcome, act_context.ActFailed), outcome  # today: {"outcome": "done", wwids_file_checked: True}
    assert "still listed" in str(outcome)


def test_one_disk_with_a_wwid_text_the_wwid_type_refuses_does_not_fail_the_whole_hosts_read(tmp_path):
    """Fails when one disk whose WWID text the Wwid type refuses fails the whole host's read."""
    t = healthy_lab(tmp_path)
    # a local ATA disk: the kernel prints its t10 designator as is (%pE escapes only non-printables)
    t.disk("sdf", "0:0:1:0", "8:80", vendor="ATA", model="MSA/1000", wwid="t10.ATA     HP MSA/1000     QM00002")
    t.commands()
    snap = t.reader().snapshot(probe=False)  # today: InvalidInput "WWID 't10.ATA ...' is not valid"
    assert len(snap["maps"]) == 2 and "sdb" in snap["disks"]
    assert "sdf" in snap["disks"]  # reported, not removable: with no usable WWID it matches no truth record


@pytest.mark.parametrize("uuid", ["mpath-", "mpath-   "])
def test_an_approved_plan_whose_dm_uuid_names_no_wwid_is_refused_clearly(uuid):
    """Fails when an approved plan whose dm_uuid names no WWID is accepted or refused without a clear error."""
    _plan, _snap, artifact = _artifact(Wwid(T10))
    bad = copy.deepcopy(artifact)
    bad["steps"][0]["identity"]["dm_uuid"] = uuid
    with pytest.raises(validate.InvalidInput, match="dm_uuid|WWID"):
        approval.validate(_redigest(bad), 1001.0, approval.MAX_AGE)


def test_an_approved_plan_of_a_t10_map_is_matched_by_the_kernels_text_and_another_case_is_refused():
    """As written by the check run (JSON round trip) the plan approves its unit. Its t10 WWIDs in another case (an
    edited file, re-digested) name another LU to the kernel: the unit is refused as changed, never approved
    (every guard before a change compares the vendor text exactly)."""
    plan, snapshot, artifact = _artifact(Wwid(T10))
    other = copy.deepcopy(artifact)
    for st in other["steps"]:
        st["identity"]["wwid"] = st["identity"]["wwid"].lower()
        st["identity"]["dm_uuid"] = st["identity"]["dm_uuid"].lower()
        if st["action"] == "remove_wwid":
            st["target"] = st["target"].lower()
    approval.validate(artifact, 1001.0, approval.MAX_AGE)
    out, seen = approval.gate(plan, snapshot, artifact)
    assert seen == {"refused": [], "not_needed": []}, out["skipped"]
    _redigest(other)
    approval.validate(other, 1001.0, approval.MAX_AGE)
    out, seen = approval.gate(plan, snapshot, other)
    assert seen["refused"] == ["map mpatha"] and out["steps"] == [], seen
    assert [s["approval"] for s in out["skipped"]] == ["changed"], out["skipped"]


def _t10_dell_lu1(tree):
    """LUN 1's paths (sdb, sdd) and map with a t10 WWID whose vendor text starts with hex letters ("DELL")."""
    for name, hctl, dev, sess in (("sdb", "2:0:0:1", "8:16", 1), ("sdd", "3:0:0:1", "8:48", 2)):
        tree.disk(name, hctl, dev, session=sess, wwid="t10.DELL    MD32xx  1")
    tree.dm("dm-0", "253:0", "1DELL_MD32xx_1", "mpath-1DELL_MD32xx_1", slaves=("sdb", "sdd"))


def test_a_hex_prefix_covers_a_t10_wwid_whose_vendor_text_starts_with_hex_letters(tmp_path):
    """Fails when a hex array prefix misses a t10 WWID whose vendor text starts with hex letters."""
    snap = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)}, setup=_t10_dell_lu1)
    kernel = "1DELL_MD32xx_1"
    assert Wwid(kernel) in snap["maps"]   # keys are Wwid: the plain str of a t10 in upper case hashes otherwise
    luns = [dict(rec(1, 1), wwid=kernel)]
    got = verdict(check(snap, luns, array_wwid_prefixes=("1DE",)), kernel)
    assert got["kind"] == "paths_down_but_mapped", got   # today: unknown_array (not judged at all)


def _two_t10_lus_differing_in_case(tree):
    """Two LUs whose t10 vendor-specific ids differ only in case (distinct to the kernel and to multipath, which
    compare WWIDs byte for byte), each with its own map."""
    for name, hctl, dev, text in (("sdf", "2:0:0:7", "8:80", "Abc"), ("sdg", "2:0:0:8", "8:96", "abc")):
        tree.disk(name, hctl, dev, session=1, wwid="t10.VEND    %s" % text)
    tree.dm("dm-5", "253:5", "mpathx", "mpath-1VEND_Abc", slaves=("sdf",))
    tree.dm("dm-6", "253:6", "mpathy", "mpath-1VEND_abc", slaves=("sdg",))


def test_two_maps_whose_t10_wwids_differ_only_in_case_are_both_in_the_snapshot(tmp_path):
    """Fails when two maps whose t10 WWIDs differ only in case are merged into one in the snapshot."""
    t = healthy_lab(tmp_path)
    _two_t10_lus_differing_in_case(t)
    t.commands()
    snap = t.reader().snapshot(probe=False)
    assert sorted(m["name"] for m in snap["maps"].values() if m["name"].startswith("mpath")) == ["mpathx", "mpathy"]
    assert snap["disks"]["sdf"]["map"] == "mpathx" and snap["disks"]["sdg"]["map"] == "mpathy"


def test_a_map_named_by_its_t10_wwid_keeps_its_table_when_its_sysfs_name_is_not_read(tmp_path):
    """Fails when a map named by its t10 WWID loses its table and paths because its sysfs name was not read."""
    t = healthy_lab(tmp_path)
    for name, hctl, dev, sess in (("sdf", "2:0:0:7", "8:80", 1), ("sdg", "3:0:0:7", "8:96", 2)):
        t.disk(name, hctl, dev, session=sess, wwid="t10.LIO-ORG  block  7")
    # user_friendly_names no: the map's name is its WWID, as dmsetup and multipathd print it
    t.dm("dm-5", "253:5", "1LIO-ORG_block_7", "mpath-1LIO-ORG_block_7", slaves=("sdf", "sdg"))
    t.commands()
    (tmp_path / "root" / "sys" / "devices" / "virtual" / "block" / "dm-5" / "dm" / "name").unlink()
    snap = t.reader().snapshot(probe=False)
    [m] = [m for m in snap["maps"].values() if m["dm"] == "dm-5"]
    assert m["queueing"] is False and m["features"], m
    assert [(p["name"], p.get("dm_state")) for p in m["paths"]] == [("sdf", "active"), ("sdg", "active")]
    assert not snap["errors"], snap["errors"]


# ------------------------------------------------------------------------------------------------ after the fix
def test_the_reader_finds_a_map_by_a_users_wwid_in_its_own_case_only(tmp_path):
    """Host.map(from_user=True) is how multipath_flush finds the map of a user's WWID: each of two maps differing
    only in case by its own spelling, and a third spelling refused naming both (no guess between two LUs)."""
    t = healthy_lab(tmp_path)
    _two_t10_lus_differing_in_case(t)
    t.commands()
    host = t.reader()
    assert host.map(Wwid("t10.VEND Abc"), from_user=True)["name"] == "mpathx"
    assert host.map(Wwid("t10.VEND abc"), from_user=True)["name"] == "mpathy"
    with pytest.raises(validate.InvalidInput, match="1VEND_Abc, 1VEND_abc differ from it only in case"):
        host.map(Wwid("t10.VEND ABC"), from_user=True)
    assert host.map(Wwid("t10.VEND ABC")) is None          # the act's lookups: the kernel's text only


def test_the_reader_finds_a_map_whose_uuid_spells_its_wwid_in_another_notation(tmp_path):
    """A map whose dm uuid carries upper-case hex (a uid_attribute other than udev's ID_SERIAL) is the user's
    naa./lower-case WWID (identity.wwid_matches: notation and hex case aside); the map keeps its own text."""
    t = healthy_lab(tmp_path)
    upper = "3600A098038303053453F463045494F77"
    for name, hctl, dev, sess in (("sdf", "2:0:0:7", "8:80", 1), ("sdg", "3:0:0:7", "8:96", 2)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + upper[1:])
    t.dm("dm-5", "253:5", "mpathq", "mpath-" + upper, slaves=("sdf", "sdg"))
    t.commands()
    m = t.reader().map(Wwid("naa." + upper[1:].lower()), from_user=True)
    assert m["name"] == "mpathq" and m["wwid"] == upper, m


def fc_disks(snap):
    return dict((n, d) for n, d in snap["disks"].items() if d["transport"] == "fc")


@pytest.mark.parametrize("scenario", ["fc_healthy", "fc_unmapped", "fc_rport_blocked", "fc_two_targets"])
def test_fc_disks_are_read_from_the_rport_tree(scenario):
    """Every sd below an rport is an FC disk whose target WWPN is the rport's port_name and whose initiator is
    its fc_host's WWPN; each of the FC target's maps has one path per fabric."""
    snap, truth, _reader = fc_snap_of(scenario)
    fc = truth["fc"]
    disks = fc_disks(snap)
    want = dict((d["name"], d) for d in fc["disks"])
    if "fc_target2" in truth:
        want.update((d["name"], d) for d in truth["fc_target2"]["disks"])
    assert set(disks) == set(want)
    hosts = dict((h["host"], h["wwpn"]) for h in fc["fc_hosts"])
    for name, d in disks.items():
        assert d["hctl"] == want[name]["hctl"]
        assert normalize_initiator(d["target_wwpn"]) == normalize_initiator(want[name]["target_wwpn"])
        if d["host"] in hosts:
            assert normalize_initiator(d["initiator"]) == normalize_initiator(hosts[d["host"]])
    for lun, wwid in fc["mapped"].items():
        m = snap["maps"].get(wwid)
        if m is None:
            continue
        targets = set(normalize_initiator(disks[p["name"]]["target_wwpn"]) for p in m["paths"])
        assert targets == norm(fc["fc_wwpns"]), (lun, targets)


@pytest.mark.parametrize("wwid,expected", [
    ("naa.600a098038314c674d24563477615370\n", "3600a098038314c674d24563477615370"),
    ("naa.60014055A1A0000", "360014055a1a0000"),
    ("eui.0025384b91b02e43", "20025384b91b02e43"),
    ("EUI.0025384B91B02E43", "20025384b91b02e43"),
    # the kernel pads the T10 vendor id with blanks; udev's scsi_id --replace-whitespace (the ID_SERIAL multipath
    # names maps by) makes each run one "_", trims the ends and keeps the text's case
    ("t10.Linux   scsi_debug      2000", "1Linux_scsi_debug_2000"),
    ("t10.NETAPP  LUN C-Mode  80AbCdEfGh01  ", "1NETAPP_LUN_C-Mode_80AbCdEfGh01"),
    ("t10.ATA     QEMU HARDDISK\x00", "1ATA_QEMU_HARDDISK"),
    # already in multipath notation: hex is lower-cased (as multipath prints it), a T10 form keeps its case
    ("3600A0980383143", "3600a0980383143"),
    ("1NETAPP_LUN_C-Mode_80AbCdEfGh01", "1NETAPP_LUN_C-Mode_80AbCdEfGh01"),
    ("", None),
    (" \x00", None),
    (None, None),
])
def test_multipath_wwid(wwid, expected):
    """Fails when a sysfs WWID is not put in multipath's notation, case kept for t10 only."""
    assert si.multipath_wwid(wwid) == expected


def test_user_wwid_and_kernel_wwid_meet_in_one_form():
    """What a user passes (validated) and what the reader derives from sysfs compare equal as strings."""
    kernel = si.multipath_wwid("naa.600a098038314c674d24563477615370")
    for given in ("3600A098038314C674D24563477615370", "naa.600A098038314C674D24563477615370"):
        assert si.multipath_wwid(validate.wwid(given)) == kernel


@pytest.mark.parametrize("observed,expected", [
    ("80AbCdEfGh01", True),
    ("80AbCdEfGh01".encode().hex(), True),
    ("80AbCdEfGh01".encode().hex().upper(), True),
    ("0" + "80AbCdEfGh01".encode().hex(), True),  # LIO with NetApp identity (as in the lab)
    ("  80AbCdEfGh01 ", True),
    ("80AbCdEfGh02", False),
    ("80AbCdEfGh02".encode().hex(), False),
    ("", None),
    (None, None),
])
def test_serial_matches(observed, expected):
    """Fails when a unit serial is not matched in ASCII, hex or LIO form, or another serial matches."""
    assert si.serial_matches(observed, "80AbCdEfGh01") is expected


def test_serial_matches_prefers_the_records_hex_and_needs_a_serial():
    """Fails when a serial is not matched against the record's hex, or matches without a record serial."""
    assert si.serial_matches("0abcd", "", serial_hex="ABCD") is True
    assert si.serial_matches("81LgM$V4waSq", "81LgM$V4waSp") is False
    assert si.serial_matches("x", None) is False


@pytest.mark.parametrize("value,expected", [
    ("iqn.1994-05.com.RedHat:Host1 ", "iqn.1994-05.com.redhat:host1"),
    ("0x21000024ff3a0b1c", "21000024ff3a0b1c"),
    ("21:00:00:24:FF:3A:0B:1C", "21000024ff3a0b1c"),
    ("naa.5000C500", "naa.5000c500"),
    (None, ""),
])
def test_normalize_initiator(value, expected):
    """Fails when an IQN or WWPN is not put in one comparable form."""
    assert si.normalize_initiator(value) == expected


@pytest.mark.parametrize("path,expected", [
    ("/devices/platform/host4/session3/target4:0:0/4:0:0:1", ("iscsi", "session3")),
    ("/devices/pci0000:00/0000:00:05.0/host5/rport-5:0-2/target5:0:1/5:0:1:7", ("fc", None)),
    ("/devices/pci0000:00/0000:00:01.1/ata1/host0/target0:0:0/0:0:0:0", ("other", None)),
    (None, ("other", None)),
])
def test_transport_of(path, expected):
    """Fails when a disk's sysfs path gives the wrong transport or iSCSI session."""
    assert si.transport_of(path) == expected


def test_udev_and_multipathd_are_harmless_everywhere():
    """Fails when udev, blkid or multipathd is not a harmless opener, or a workload is."""
    for comm in ("udevadm", "udevd", "systemd-udevd", "(udev-worker)", "blkid", "multipathd"):
        assert si.harmless({"comm": comm})
    assert not si.harmless({"comm": "postgres"})


@pytest.mark.parametrize("uuid,expected", [
    ("mpath-3600a098038314c674d24563477615370", "3600a098038314c674d24563477615370"),
    ("part1-mpath-3600a098038314c674d24563477615370", None),  # a kpartx partition of a map is not the map
    ("LVM-abcdef", None), ("mpath-", None), ("", None), (None, None)])
def test_map_wwid(uuid, expected):
    """Fails when a WWID is read from a dm uuid that is not a multipath map's."""
    assert si.map_wwid(uuid) == expected


def test_identity_keys_compare_each_kind_as_its_protocol_does():
    """A fleet check that lower-cased NQNs would report two hosts whose NQNs differ in case (two names for libnvme
    and the kernel, which strcmp them) as a clone; one that compared IQNs or host IDs exactly would miss a clone
    spelled in another case (iSCSI names are case-folded, a host ID is a UUID), and WWPNs in another notation."""
    nqn = "nqn.2014-08.org.nvmexpress:uuid:4C4C4544-0042-3410-8058-B4C04F305A32"
    assert si.identity_key("nvme_hostnqn", nqn) != si.identity_key("nvme_hostnqn", nqn.lower())
    assert si.identity_key("nvme_hostnqn", nqn) == nqn
    assert si.identity_key("nvme_hostnqn", "nqn.2014-08.com.example:host 1") is None
    assert si.identity_key("nvme_hostnqn", "nqn.2014-08.com.example:" + "x" * 200) is None  # > 223 bytes
    assert si.identity_key("nvme_hostnqn", "nqn.1992-08.com.netapp:sn.abc:subsystem.s1") is not None
    assert si.identity_key("iscsi", "iqn.1994-05.com.RedHat:Node1") == si.identity_key(
        "iscsi", "iqn.1994-05.com.redhat:node1")
    assert si.identity_key("fc", "0x21000024FF3A0B1C") == si.identity_key("fc", "21:00:00:24:ff:3a:0b:1c")
    assert si.identity_key("nvme_hostid", "4C4C4544-0042-3410-8058-B4C04F305A32") == (
        "4c4c4544-0042-3410-8058-b4c04f305a32")
    assert si.identity_key("fc", "not-a-wwpn") is None and si.identity_key("iscsi", "  ") is None


W = ontap_wwid(1)


# ------------------------------------------------------------------------------------------------ the value
@pytest.mark.parametrize("spelling, normal", [
    (W.upper(), W), ("naa." + W[1:].upper(), W), (W[1:].upper(), W), ("eui.0025385B71B0E3A1", "20025385b71b0e3a1"),
    ("t10.LIO-ORG  block   1", "1LIO-ORG_block_1"), (" %s\n" % W, W),
])
def test_a_wwid_is_its_normal_form_as_a_str(spelling, normal):
    """Fails when a Wwid is not its normal form as a str, equal and hashed alike."""
    w = Wwid(spelling)
    assert isinstance(w, str) and w == normal and normal == w and str(w) == normal
    # equality and hash are the str's: a dict keyed by Wwid is looked up by the plain text and back
    assert hash(w) == hash(normal) and {normal: 1}[w] == 1 and {w: 1}[normal] == 1
    assert w in set([normal]) and normal in set([w]) and sorted([w, "0"]) == ["0", normal]
    assert json.dumps({w: w}) == json.dumps({normal: normal}) and "%s" % w == normal and w + "" == normal


def test_a_wwid_of_a_wwid_is_itself_and_survives_copies():
    """Fails when a Wwid is rebuilt from a Wwid, loses its type when copied, or a bad uuid gives one."""
    w = Wwid(W.upper())
    assert Wwid(w) is w and copy.deepcopy(w) == W and isinstance(copy.deepcopy(w), Wwid)
    # a map's WWID is its dm uuid's text as it is ("mpath-" + it names the map again); wwid_key meets the others
    assert map_wwid("mpath-" + W.upper()) == W.upper() and isinstance(map_wwid("mpath-" + W), Wwid)
    assert wwid_key(map_wwid("mpath-" + W.upper())) == W == wwid_key("naa." + W[1:].upper())
    assert map_wwid("mpath-") is None and map_wwid("mpath- ") is None and map_wwid("mpath-a/b") is None
    assert wwid_or_none(None) is None and wwid_or_none(" \x00") is None and map_wwid("LVM-abc") is None


T10_KERNEL = "t10.LIO-ORG_block_1"        # the vendor text as the kernel reports it (VPD 0x83 type 1)


def test_a_t10_wwid_in_another_case_is_another_text_but_the_same_lu_by_its_key():
    """A t10 vendor text keeps its case, and Wwid compares and hashes exactly (two LUs may differ only in case:
    the kernel and multipath tell them apart). The same LU spelled in another case by a truth record or a user
    meets the kernel's through wwid_key / same_wwid / find_wwid."""
    kernel, other = Wwid(T10_KERNEL), Wwid(T10_KERNEL.lower())
    assert kernel != other and len({kernel: 1, other: 2}) == 2 and kernel not in set([other])
    assert same_wwid(kernel, other) and wwid_key(kernel) == wwid_key(other) == "1lio-org_block_1"
    assert not same_wwid(kernel, Wwid(W)) and not same_wwid(kernel, None) and not same_wwid(None, None)
    # the str values are untouched: what dmsetup -u and multipath -w are given
    assert str(kernel) == "1LIO-ORG_block_1" and str(other) == "1lio-org_block_1"
    assert "mpath-" + kernel == "mpath-1LIO-ORG_block_1" and json.dumps([kernel]) == '["1LIO-ORG_block_1"]'
    assert str(Wwid("naa." + W[1:].upper())) == W and hash(Wwid(W.upper())) == hash(W)
    assert (kernel == 5) is False and (kernel != 5) is True and kernel not in (None, b"1LIO-ORG_block_1")


def test_a_users_wwid_matches_its_own_spelling_only_and_names_the_other_case_when_refused():
    """A user's WWID names a host WWID with the same normal form (naa./upper-case hex aside), a t10 vendor text in
    its case: another case is another LU (or none), refused with the kernel's spelling named, never guessed."""
    upper, lower = Wwid("t10.VEND Abc"), Wwid("t10.VEND abc")
    assert wwid_matches(Wwid("naa." + W[1:].upper()), W.upper()) and wwid_matches(upper, "1VEND_Abc")
    assert not wwid_matches(Wwid("t10.vend ABC"), upper) and not wwid_matches(None, upper)
    refuse_other_spelling(lower, [upper, lower])           # its own spelling is here: nothing to refuse
    refuse_other_spelling(Wwid(W), [upper])                # nothing of it here: the caller's "not present"
    with pytest.raises(validate.InvalidInput, match="1VEND_Abc differs from it only in case"):
        refuse_other_spelling(Wwid("t10.vend ABC"), [upper, Wwid(W)])
    with pytest.raises(validate.InvalidInput, match="1VEND_Abc, 1VEND_abc differ from it only in case"):
        refuse_other_spelling(Wwid("t10.VEND ABC"), [upper, lower])


def test_a_prefix_covers_by_the_key():
    """Fails when an array WWID prefix is not compared by the WWID's key."""
    assert wwid_has_prefix(Wwid("t10.DELL MD32xx 1"), ("1de",)) and wwid_has_prefix(Wwid(W), ("3600A0980",))
    assert not wwid_has_prefix(Wwid(W), ()) and not wwid_has_prefix(None, ("3",))


@pytest.mark.parametrize("bad", [None, 5, b"3600a0980", "", "   ", "3600a 0980", "3600a0980/x", "36\x01"])
def test_text_that_is_no_wwid_raises_the_validation_error(bad):
    """Fails when text that is no WWID is accepted or raises another error."""
    with pytest.raises(validate.InvalidInput):
        Wwid(bad)


@pytest.mark.parametrize("bad", ["zz", "naa.", "36..00", "t10.", "3600a0980 ", "../etc"])
def test_a_users_wwid_that_is_not_one_keeps_its_clear_error(bad):
    """Fails when a user's bad WWID does not get a clear error, or a good one in upper case is refused."""
    with pytest.raises(validate.InvalidInput, match="WWID .* is not valid"):
        validate.wwid(bad)
    assert isinstance(validate.wwid(W.upper()), Wwid) and validate.wwid(W.upper()) == W


# ------------------------------------------------------------------------------------------------ the judge
def _all_paths_lun_not_supported(tmp_path):
    return snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)})


@pytest.mark.parametrize("upper", ["wwid", "serial"])
def test_the_array_truth_in_upper_case_keeps_the_hosts_map_mapped_end_to_end(tmp_path, upper):
    """The truth as the user/lookup gives it (validated: truth_of), against the host's lower-case map whose
    paths all fail: mapped (an outage), never stale_unmapped; the same verdict as the lower-case truth."""
    snap = _all_paths_lun_not_supported(tmp_path)
    assert W in snap["maps"] and snap["maps"][W]["wwid"] == W
    lower = rec(1, 1)
    shouted = dict(lower, wwid=W.upper()) if upper == "wwid" else dict(lower, wwid=None)
    if upper == "serial":
        assert shouted["serial"] == ontap_serial(1)  # ONTAP serial -> WWID, lower-case hex whatever its letters
    truth = facts.truth_of(array_luns=[shouted])
    assert truth["luns"][0]["wwid"] == W
    got = verdict(check(snap, truth["luns"]), W)
    want = verdict(check(_all_paths_lun_not_supported(tmp_path / "again"), [lower]), W)
    assert got["kind"] == want["kind"] == "paths_down_but_mapped", got
    assert got["reason"] == want["reason"] and got["lun"] == 1


def _t10_lu1(tree):
    """LUN 1's paths (sdb, sdd) and map report a t10 WWID instead of NAA (LIO without naa designator)."""
    for name, hctl, dev, sess in (("sdb", "2:0:0:1", "8:16", 1), ("sdd", "3:0:0:1", "8:48", 2)):
        tree.disk(name, hctl, dev, session=sess, wwid="t10.LIO-ORG  block  1",
                  serial="0" + ontap_serial(1).encode().hex())
    tree.dm("dm-0", "253:0", "1LIO-ORG_block_1", "mpath-1LIO-ORG_block_1", slaves=("sdb", "sdd"))


@pytest.mark.parametrize("spelling", ["t10.lio-org_block_1", "t10.LIO-ORG_BLOCK_1", "t10.Lio-Org_Block_1"])
def test_a_t10_lu_in_the_array_truth_in_another_case_keeps_the_hosts_map_mapped_end_to_end(tmp_path, spelling):
    """The kernel's t10 WWID (vendor text in its case) against the array truth's record of the same LU in another
    case (validated: truth_of): the map whose paths all fail is mapped (an outage), never stale_unmapped."""
    snap = snap_of(tmp_path, {"sdb": FAILED, "sdd": FAILED}, {"sdb": (5, LNS), "sdd": (5, LNS)}, setup=_t10_lu1)
    kernel = "1LIO-ORG_block_1"
    assert [str(w) for w in snap["maps"]].count(kernel) == 1
    truth = facts.truth_of(array_luns=[dict(rec(1, 1), wwid=spelling), rec(2, 2)])
    t10_array = ("1", "3600a0980")   # prefixes are hex: "1" is every t10 WWID
    got = verdict(check(snap, truth["luns"], array_wwid_prefixes=t10_array), kernel)
    assert got["kind"] == "paths_down_but_mapped" and got["lun"] == 1, got
    # without the LU in the truth the same map is stale: the case-blind match is what keeps it
    alone = verdict(check(snap, facts.truth_of(array_luns=[rec(2, 2)])["luns"], array_wwid_prefixes=t10_array),
                    kernel)
    assert alone["kind"] == "stale_unmapped", alone


def test_a_record_handed_to_the_judge_raw_in_upper_case_still_maps_the_lu(tmp_path):
    """cross_check is where a caller's own records enter the judge: they are built as Wwid there."""
    snap = _all_paths_lun_not_supported(tmp_path)
    v = verdict(check(snap, [dict(rec(1, 1), wwid=W.upper())]), W)
    assert v["kind"] == "paths_down_but_mapped" and v["evidence"]["array_mappings"][0]["path"] == "/vol/v1/lun1"


# ------------------------------------------------------------------------------------------------ the act's lookups
def test_an_upper_case_wwid_of_the_users_options_finds_the_map_the_act_checks(tmp_path):
    """The user's WWID enters through validate.wwid; the act looks the map up by it (one key) in the read of the
    host and its identity check sees no difference: the same as the lower-case WWID."""
    snap = snap_of(tmp_path)
    view = View(snap, {})
    for spelling in (W, W.upper(), "naa." + W[1:].upper()):
        key = validate.wwid(spelling)
        m = view.map(key)
        assert m is not None and m["wwid"] == W
        assert identity_diff({"wwid": key, "name": m["name"]}, m) == {}
    assert identity_diff({"wwid": validate.wwid(ontap_wwid(2))}, view.map(W))["wwid"]


# ------------------------------------------------------------------------------------------------ the approved plan
HOST = {"machine_id": "m1", "hostname": "h1"}


def _plan():
    snapshot = {"maps": {W: {"name": "mpatha", "wwid": Wwid(W), "dm": "dm-3", "dev": "253:3",
                             "paths": [{"name": "sdb"}]}},
                "disks": {"sdb": {"name": "sdb", "hctl": "2:0:0:1", "dev": "8:16", "wwid": Wwid(W), "map": "mpatha"}}}
    steps = [plan_steps.step("flush_map", "mpatha", {"wwid": Wwid(W), "name": "mpatha"}).tagged("flush", "map mpatha"),
             plan_steps.step("remove_wwid", Wwid(W), {"wwid": Wwid(W)}).tagged("flush", "map mpatha")]
    plan = {"steps": steps, "skipped": [], "flush_maps": [Wwid(W)], "delete_disks": [], "mismatches": []}
    return plan, snapshot


def _shouted(artifact):
    out = copy.deepcopy(artifact)
    for st in out["steps"]:
        st["identity"]["wwid"] = st["identity"]["wwid"].upper()
        st["identity"]["dm_uuid"] = "mpath-" + W.upper()
        if st["action"] == "remove_wwid":
            st["target"] = st["target"].upper()
    out["digest"] = approval.digest(out["format"], out["host"], out["created_at"], out["steps"])
    return out


def test_an_approved_plan_in_upper_case_approves_the_same_units_as_in_lower_case():
    """Fails when an approved plan's NAA WWIDs in upper case approve other units than in lower case."""
    plan, snapshot = _plan()
    lower = json.loads(json.dumps(approval.plan_artifact(plan["steps"], snapshot, HOST, 1000.0)))
    assert lower["steps"][0]["identity"]["dm_uuid"] == "mpath-" + W
    shouted = _shouted(lower)
    results = []
    for approved in (lower, shouted):
        approval.validate(approved, 1001.0, approval.MAX_AGE)
        out, seen = approval.gate(plan, snapshot, approved)
        results.append((out["steps"], out["flush_maps"], out["skipped"], seen))
    assert results[0] == results[1]
    assert results[1][3] == {"refused": [], "not_needed": []} and results[1][0] == plan["steps"]


def test_an_approved_plan_whose_wwid_is_no_wwid_is_refused_clearly():
    """Fails when an approved plan whose WWID is no WWID is accepted or refused without a clear error."""
    plan, snapshot = _plan()
    bad = json.loads(json.dumps(approval.plan_artifact(plan["steps"], snapshot, HOST, 1000.0)))
    bad["steps"][0]["identity"]["wwid"] = "3600a 0980"
    bad["digest"] = approval.digest(bad["format"], bad["host"], bad["created_at"], bad["steps"])
    with pytest.raises(validate.InvalidInput, match=r"approved_plan.steps\[0\]: WWID .* is not valid"):
        approval.validate(bad, 1001.0, approval.MAX_AGE)


# ------------------------------------------------------------------------------------------------ the step's identity
DISK_NOW = {"name": "sdc", "hctl": "4:0:0:1", "dev": "8:32", "wwid": Wwid(W), "serial": "80Lab-001+Ab",
            "map": None, "holders": []}
OTHER_VALUE = {"name": "sdd", "hctl": "4:0:0:2", "dev": "8:48", "wwid": Wwid(ontap_wwid(2)), "serial": "other",
               "dm": "dm-4"}


@pytest.mark.parametrize("key", sorted(OTHER_VALUE))
def test_an_identity_differs_from_a_device_on_each_field_it_carries(key):
    """Fails when a field the step's identity carries is not compared, or a difference is reported otherwise than
    {key: {expected, actual}}."""
    live = dict(DISK_NOW, dm="dm-3")
    mine = Identity.expected(live)
    assert mine.differs_from(live) == {}
    assert mine.differs_from(dict(live, **{key: OTHER_VALUE[key]})) == {
        key: {"expected": live[key], "actual": OTHER_VALUE[key]}}
    assert mine.differs_from(dict(live, **{key: None})) == {key: {"expected": live[key], "actual": None}}


@pytest.mark.parametrize("spelling", [W.upper(), "naa." + W[1:], "NAA." + W[1:].upper(), W[1:], "mpath-" + W])
def test_an_identity_compares_a_wwid_exactly(spelling):
    """Fails when the act's comparison takes another spelling of the WWID for the host's own: an outside spelling is
    converted where it enters (in_host_spelling), never inside."""
    assert Identity(wwid=Wwid(W)).differs_from({"wwid": spelling}) == {
        "wwid": {"expected": W, "actual": spelling}}
    assert Identity(wwid=spelling).differs_from({"wwid": Wwid(W)})
    assert Identity(wwid=in_host_spelling(spelling if spelling[:6] != "mpath-" else W, [Wwid(W)])).differs_from(
        {"wwid": Wwid(W)}) == {}


def test_an_identity_carries_only_the_fields_of_its_check():
    """Fails when the identity built for a check compares a field that check does not: a rescan is there to read
    the WWID and serial again, a map has no H:C:T:L or serial."""
    changed = dict(DISK_NOW, wwid=Wwid(ontap_wwid(2)), serial="other")
    assert Identity.expected(DISK_NOW, RESCAN_CHECK).differs_from(changed) == {}
    assert set(Identity.expected(DISK_NOW, DISK_CHECK).differs_from(changed)) == {"wwid", "serial"}
    assert Identity.expected(DISK_NOW, RESCAN_CHECK) == Identity(name="sdc", hctl="4:0:0:1", dev="8:32")
    assert Identity.expected(dict(DISK_NOW, slaves=["sdc"]), MAP_CHECK).hctl is None


def test_an_identity_gives_the_diff_identity_diff_gives():
    """Fails when the typed identity and the wire form's comparison disagree on a difference."""
    expect = dict(DISK_NOW, hctl="4:0:0:9", serial=None)
    assert Identity.expected(expect, DISK_CHECK).differs_from(DISK_NOW) == identity_diff(expect, DISK_NOW) == {
        "hctl": {"expected": "4:0:0:9", "actual": "4:0:0:1"}}


def test_a_maps_identity_refuses_a_path_it_did_not_see_not_one_gone():
    """Fails when a map's identity lets a path added since the plan through, or refuses the map for a path gone."""
    m = {"name": "mpatha", "wwid": Wwid(W), "dm": "dm-3", "dev": "253:3",
         "paths": [{"name": "sdc"}, {"name": "sdd"}]}
    mine = Identity.expected(dict(m, slaves=["sdc", "sdd"]), MAP_CHECK)
    assert mine.differs_from(m) == {}
    assert mine.differs_from(dict(m, paths=[{"name": "sdd"}])) == {}
    assert mine.differs_from(dict(m, paths=m["paths"] + [{"name": "sdq"}])) == {
        "slaves": {"expected": ["sdc", "sdd"], "actual": ["sdq"]}}
    assert Identity(slaves=[]).differs_from(m) == {"slaves": {"expected": [], "actual": ["sdc", "sdd"]}}
    assert Identity.expected(m, MAP_CHECK).differs_from(dict(m, paths=m["paths"] + [{"name": "sdq"}])) == {}


@pytest.mark.parametrize("nothing", [None, ""])
def test_an_identity_does_not_compare_what_it_does_not_expect(nothing):
    """Fails when a field the step leaves empty (None, "") refuses a device."""
    assert Identity(name="sdc", wwid=nothing, serial=nothing, hctl=nothing).differs_from(DISK_NOW) == {}
    assert Identity.expected({"name": "sdc", "wwid": nothing}).differs_from({"name": "sdc"}) == {}


@pytest.mark.parametrize("live", [None, "", float("nan")])
def test_an_expected_value_differs_from_a_missing_empty_or_nan_live_one(live):
    """Fails when a value the step expects matches a device that reads none, an empty text or NaN."""
    for key in ("name", "hctl", "dev", "wwid", "serial", "dm"):
        diff = Identity(**{key: "x1"}).differs_from({key: live})
        assert list(diff) == [key] and diff[key]["expected"] == "x1", (key, diff)


def test_a_nan_expected_value_is_never_the_same_value():
    """Fails when an expectation of NaN (a damaged step) matches anything, NaN itself included."""
    nan = float("nan")
    for key in ("serial", "dev"):
        assert key in Identity(**{key: nan}).differs_from({key: nan})
        assert key in Identity(**{key: nan}).differs_from({key: "8:32"})
    assert identity_diff({"dev": nan}, {"dev": nan}) != {}


def test_an_identity_cannot_be_changed_and_is_a_value():
    """Fails when a step's identity can be changed after it was built, or two of the same device are not equal."""
    mine = Identity.expected(DISK_NOW)
    with pytest.raises(AttributeError):
        mine.wwid = "3600a0980aaaa"
    with pytest.raises(AttributeError):
        del mine.name
    assert mine == Identity.expected(dict(DISK_NOW)) and hash(mine) == hash(Identity.expected(dict(DISK_NOW)))
    assert mine != Identity.expected(dict(DISK_NOW, serial="other")) and "sdc" in repr(mine)


@pytest.mark.parametrize("outside", [W.upper(), "naa." + W[1:], "NAA." + W[1:].upper(), W[1:], W[1:].upper()])
def test_an_outside_wwid_enters_in_the_hosts_spelling(outside):
    """Fails when a user's, the array's or an approved plan's WWID in another notation or hex case is not turned into
    the host's own spelling: a disk's normal form, a map's dm uuid text (an EUI-64 map under NVMe's ID_WWN)."""
    assert in_host_spelling(outside, [Wwid(ontap_wwid(2)), Wwid(W)]) == W
    assert in_host_spelling(outside, []) == W                  # an LU not on the host: the kernel's form of NAA
    eui = map_wwid("mpath-eui.0025388B91B2E1C2")
    assert in_host_spelling("20025388b91b2e1c2", [eui]) == "eui.0025388B91B2E1C2"
    assert in_host_spelling("EUI.0025388b91b2e1c2", [eui, Wwid(W)]) == "eui.0025388B91B2E1C2"


def test_an_outside_wwid_of_another_lu_stays_another_lu():
    """Fails when an outside WWID is turned into the spelling of another LU: a t10 vendor text in another case, a
    really different WWID, or a spelling two host WWIDs share (never picked between)."""
    assert in_host_spelling(Wwid(ontap_wwid(2)), [Wwid(W)]) == ontap_wwid(2)
    assert in_host_spelling("t10.VEND abc", [UPPER]) == LOWER
    assert in_host_spelling(LOWER, [UPPER, LOWER]) == LOWER and in_host_spelling(UPPER, [UPPER, LOWER]) == UPPER
    eui = map_wwid("mpath-eui.0025388B91B2E1C2")
    assert in_host_spelling("eui.0025388b91b2e1c2", [eui, Wwid("eui.0025388b91b2e1c2")]) == "20025388b91b2e1c2"
    assert in_host_spelling(None, [Wwid(W)]) is None and in_host_spelling("  ", [Wwid(W)]) is None
    with pytest.raises(validate.InvalidInput):
        in_host_spelling("3600a 0980", [Wwid(W)])


@pytest.mark.parametrize("value, number", [
    # ONTAP REST API reference, /protocols/nvme/subsystem-maps: nsid "8 hexadecimal digits (zero-filled) followed by
    # a lower case h"; the CLI (vserver nvme subsystem map show -nsid) calls it a "Hex 32bit Integer"
    ("00000001h", 1), ("0000000ah", 10), ("0000000Ah", 10), ("00000010h", 16), ("fffffffeh", 0xFFFFFFFE),
    # the host's own form (sysfs nsid, decimal) and a caller's number
    ("1", 1), ("16", 16), (16, 16),
    # no NSID: broadcast, none, another shape, a zero-led digit string (hex without its h, or decimal?)
    ("ffffffffh", None), ("00000000h", None), ("00000010", None), ("0010", None), ("0x10", None), ("10h", None),
    ("00000001H", None), (" 00000001h", None), ("00000001h\n", None), (0, None), (True, None), (1.0, None),
    (None, None), ("", None),
])
def test_an_nsid_is_read_from_ontaps_hex_text_or_decimal_never_from_an_ambiguous_form(value, number):
    assert nsid_number(value) == number


def test_ontaps_hex_id_text_is_taken_only_in_its_documented_shape():
    assert ontap_hex_id("00000002h") == 2 and ontap_hex_id("2") is None and ontap_hex_id(2) is None


@pytest.mark.parametrize("text, nguid", [
    # sysfs nguid (drivers/nvme/host/sysfs.c nguid_show: "%pU"), Pure's example NGUID (fixtures/pure/SOURCES.md)
    ("009714b5-cb91-634c-24a9-37470002b2c8\n", "009714b5cb91634c24a937470002b2c8"),
    ("009714B5CB91634C24A937470002B2C8", "009714b5cb91634c24a937470002b2c8"),
    ("00000000-0000-0000-0000-000000000000", None),       # no NGUID reported
    ("0097-14b5cb91634c24a937470002b2c8", None),          # hyphens that are not a UUID's
    ("009714b5cb91634c24a937470002b2c", None),
    ("eui.009714b5cb91634c24a937470002b2c8", None),       # the wwid form: another attribute
    (None, None), (12, None),
])
def test_an_nguid_in_the_forms_sysfs_and_an_array_give_it(text, nguid):
    assert si.nguid_text(text) == nguid
