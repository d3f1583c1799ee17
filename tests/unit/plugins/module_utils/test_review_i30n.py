# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adversarial review (round 5) of 489225a (a lookup that knows its key's kind never falls back to the other):
the lookups left that still fall back from a map's name to a WWID, and a name multipathd reads as a dm-N: each a
strict xfail that fails on 489225a. Most severe: #3. Remove the marker with the fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as san_read
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.test_review_i30g_modules import (
    W1, W2, _alias_tree)


# ------------------------------------------------------------------------------------------------ 1 (low)
def test_an_alias_map_keeps_its_own_checker_states_under_multipathd_show_paths(tmp_path):
    """multipathd's answer is keyed by map NAME (`show maps json`) or by path WWID (the `show paths raw format`
    fallback, when the JSON cannot be had). _maps looks a map up by its name first, then by its WWID: under the
    fallback, LU W2's map aliased "W1" finds LU W1's entry by its name, and its own path's checker state (keyed
    under W2) is never looked at. sdc's checker says faulty; the snapshot says nothing (None), so the path reads
    as working (dm state active): the audit misses a failed path of a live map, --diff/healthy baselines count it
    healthy. Fix: look the answer up by the kind its parser keyed it by (JSON: name; show paths: WWID)."""
    for alias_last in (False, True):
        t = _alias_tree(tmp_path / str(alias_last), alias_last)
        t.run.set(san_read.CMD_MPD_JSON, "", rc=1, stderr="fail")  # an older multipathd, or a JSON it cannot give
        t.run.set(san_read.CMD_MPD_PATHS, "sdb|8:16|active|ready|running|%s\nsdc|8:32|active|faulty|running|%s\n"
                  % (W1, W2))
        snap = t.reader().snapshot(probe=False)
        states = dict((p["name"], p["checker_state"]) for m in snap["maps"].values() for p in m["paths"])
        assert snap["maps"][W1]["name"] == "mpatha" and snap["maps"][W2]["name"] == W1, snap["maps"]
        # on 489225a: {"sdb": "ready", "sdc": None} -- the alias map W1 took LU W1's entry (keyed W1)
        assert states == {"sdb": "ready", "sdc": "faulty"}, (alias_last, states)


# ------------------------------------------------------------------------------------------------ 2 (low, tests)
def test_the_fake_hosts_commands_address_a_map_as_the_real_tools_do(tmp_path):
    """FakeEnv (test_san_act) answers `multipath -f NAME`, `multipathd (dis|restore)queueing map NAME` and
    `dmsetup ... -u mpath-WWID` through FakeReader._find, which takes the first map whose WWID, name OR dm-N is
    the key. The real tools do not: `dmsetup -u` addresses the dm uuid only, `multipath -f` the dm name (delegated
    as multipathd `del map X`: libdevmapper by name), multipathd `(dis|restore)queueing map X` a dm-N by minor,
    then the alias, then the WWID (find_mp_by_str). With a map aliased like another LU's WWID (the scenario of rounds 3-5) the fake
    flushes or un-queues the other LU's map, so an act test on FakeEnv with aliases proves the wrong thing (the
    SanTree-based alias tests do not use FakeEnv). Fix: _find(key, by) with "uuid" for -u and "name" (+ dm-N)
    for the others."""
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_act import (
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


# ------------------------------------------------------------------------------------------------ 3 (high)
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
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import maps as plan_maps
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils.test_san_read import (
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
    step = [st for st in plan_maps.plan_map_flush(m, {}) if st["action"] == "disable_queueing"][0]
    act_maps._send_queueing_off(host, dict(step, unit="map dm-1"))
    sent = [argv for argv, _t in t.run.calls if argv[:1] == ["multipathd"] and argv[1].endswith("queueing")]
    assert sent, t.run.calls
    for argv in sent:
        # on 489225a: `multipathd disablequeueing map dm-1` -> mpathb (minor 1), LU W2's live map
        assert _multipathd_finds(argv[3], kernel)["wwid"] == W1, (argv, _multipathd_finds(argv[3], kernel))
