# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""References to removed devices left in host config (fstab, crypttab, lvm devices file, ...): found from what
the executor removed, cleaned only where the user asks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import refs as observe_refs


def removed_identities(executed):
    """What a run removed, from its executed steps: WWIDs, map names and /dev/disk/by-id link names."""
    wwids, maps, by_id = set(), set(), set()
    for e in executed or []:
        if e.get("outcome") != "done":
            continue
        if e.get("action") == "wait_map_gone" and e.get("wwid"):
            wwids.add(e["wwid"])
        elif e.get("action") == "flush_map":
            maps.add(e.get("target"))
        elif e.get("action") == "delete_disk":
            by_id.update((e.get("detail") or {}).get("by_id") or [])
        elif e.get("action") == "wait_disk_gone" and e.get("wwid"):
            wwids.add(e["wwid"])
    return sorted(wwids), sorted(m for m in maps if m), sorted(by_id)


def references(host, executed, still_present=()):
    """Lines of fstab, crypttab, the LVM devices file and systemd mount units that still name a device this run
    removed (and that no live device carries any more: `still_present` lists WWIDs seen after the run)."""
    wwids, maps, by_id = removed_identities(executed)
    present = set(still_present)
    wwids = [w for w in wwids if w not in present]
    wanted = observe_refs.needles(wwids, maps, by_id)
    if not wanted:
        return []
    refs = host.call(obs_reread.read_references, (host.root, observe_refs.UNIT_DIR, list(observe_refs.FILES), wanted),
                     timeout=host.command_timeout, what="read of fstab, crypttab, LVM devices file and mount units")
    for r in refs:
        r["action"] = "reported"
    return refs


def clean_references(host, refs, write):
    """Opt-in: comment out the reference lines (fstab, crypttab, devices file) through `write(path, text)` (an
    atomic write with a backup); mount units are reported only (disable them with systemctl). A line is found by
    its number in the read behind `refs`; the file is read again (under the deadline) right before its write and
    only a line that is still a reference there, with the same number and text, is commented out. Another
    (`changed_since_read`) is left as it is: the file was edited in between (its number may name another line now,
    the root filesystem's), or the device it names is there again. Returns refs, each with `action`."""
    by_file = {}
    for r in refs:
        if r["kind"] != "mount_unit":
            by_file.setdefault(r["file"], []).append(r)
    for path, items in sorted(by_file.items()):
        wanted = sorted(set(n for r in items for n in r.get("matches") or []))
        now = host.call(obs_reread.reread_reference_file, (host.root, items[0]["kind"], path, wanted),
                        timeout=host.command_timeout, what="read of %s before commenting out its lines" % path)
        still = set((r["line"], r["text"]) for r in now["refs"])
        same = []
        for r in items:
            if (r["line"], r["text"]) in still:
                same.append(r)
            else:
                r["action"] = "changed_since_read"
        if not same:
            continue
        write(host.path(path), observe_refs.commented_out(now["text"], [r["line"] for r in same]))
        for r in same:
            r["action"] = "commented_out"
    return refs
