# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Acts on sd disks: flush buffers, the sysfs delete (identity re-checked in the writing child), wait gone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import disks as plan_disks
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.steps import Step
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import reread as obs_reread
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import HCTL_RE, Identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.children import (
    child_checked_write, exclusive_open_check, sysfs_write)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.checks import (
    verify_identity, verify_still_dead)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import alone, disks_of, poll_steps
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.maps import (
    disable_queueing, flush_map, wait_map_gone)


def disks_still_dead(host, unit_steps):
    """Before a unit's first disk touch of a batch: every disk of it that the batch touches still dead, checked
    before any of them is touched (verify_still_dead); a disk already gone is left to its own step."""
    for st in unit_steps:
        d = host.disk_now(st.identity.name or st.target)
        if d is not None:
            verify_still_dead(host, st, d, "disk")


def flush_buffers(host, step):
    d = verify_identity(host, step, {"allow_non_san": host.allow_non_san})
    if d is None:
        return {"outcome": "already_absent"}
    probe = host.reader.probe_path(d["name"])
    if not plan_disks.flush_wanted(d, probe, {"flush_buffers": True}):
        return {"outcome": "skipped", "why": "the device no longer answers as the same LU", "probe": probe}
    res = host.command(["blockdev", "--flushbufs", "/dev/%s" % d["name"]])
    if not res.ok:
        raise ActFailed("disk %s" % d["name"], "blockdev --flushbufs failed: %s" % res.describe())
    return {"outcome": "done", "elapsed_flush": res.elapsed}


def _rebuilt_map(host, step, refusal):
    """The map multipathd assembled again from this path after the plan's own flush of the same WWID, or None.

    Only a map with exactly the WWID that this run just removed qualifies (the option after_flush); any other
    live map holding the disk stays a refusal."""
    flushed = step.options.get("after_flush")
    if not flushed or refusal.kind != "live_map":
        return None
    m = host.reader.map((refusal.evidence or {}).get("map") or "", "name")
    if m is None or Identity(wwid=flushed).differs_from(m):
        return None
    return m


def _flush_rebuilt(host, step, m):
    """Remove a map rebuilt between the plan's flush and this path's delete: the same checks as the planned
    flush (nothing may use it, not even a process), queueing off first, targeted multipath -f, wait gone."""
    def again(action):
        return Step(action, m["name"], Identity(wwid=m.get("wwid"), name=m["name"]), unit=step.unit)
    saved, host.view = host.view, None
    try:
        alone(disable_queueing, host, again("disable_queueing"))
        detail = alone(flush_map, host, again("flush_map"))
        alone(wait_map_gone, host, again("wait_map_gone"))
    finally:
        host.view = saved
    return {"map": m["name"], "dm": m.get("dm"), "attempts": detail.get("attempts")}


def delete_disk(host, step):
    detail = {"outcome": "done"}
    try:
        d = verify_identity(host, step, {"allow_non_san": host.allow_non_san})
    except Refused as exc:
        rebuilt = _rebuilt_map(host, step, exc)
        if rebuilt is None:
            raise
        detail["rebuilt_map_removed"] = _flush_rebuilt(host, step, rebuilt)
        # the batch's read predates the rebuilt map: this disk and the rest of the batch read again, one by one
        host.view = None
        d = verify_identity(host, step, {"allow_non_san": host.allow_non_san})
    if d is None:
        raise Refused("disk %s" % step.target, "unknown", "is gone before delete (nothing written); "
                      "its identity cannot be re-checked")
    hctl = d["hctl"]
    if not HCTL_RE.match(hctl or ""):
        raise Refused("disk %s" % d["name"], "identity", "has no valid H:C:T:L (%r)" % hctl)
    if not d.get("map") and not d.get("holders"):
        detail["exclusive_open"] = exclusive_open_check(host, d)
    links = host.by_id_now(d["name"])
    sysfs_write(host, child_checked_write, (host.path("/sys"), hctl, d["name"], d.get("dev"), "delete", "1"),
                "disk %s" % d["name"], "write 1 to /sys/class/scsi_device/%s/device/delete" % hctl)
    detail.update(hctl=hctl, by_id=links)
    return detail


def wait_disk_gone(host, steps):
    """Wait until every deleted disk's name, H:C:T:L and by-id links are gone: one sysfs + by-id read per round."""
    seen = {}

    def gone(host, step, left):
        name, hctl = step.identity.name or step.target, step.identity.hctl
        now = (left or {}).get(name) or obs_reread.leftovers(host, [(name, hctl)])[name]
        reused = now["hctl_now"] is not None and now["hctl_now"] != hctl
        present = now["hctl_now"] is not None and not reused
        links = [] if reused else now["links"]
        if not present and now["at"] is None and not links:
            return dict({"outcome": "done"}, **({"name_reused_by": now["hctl_now"]} if reused else {}))
        seen[id(step)] = (present, hctl, now["at"], links)
        return None

    def not_gone(host, step):
        present, hctl, at, links = seen.get(id(step), (None, None, None, None))
        if present is False and at is None and links:
            # the kernel is done; udev has not handled the remove events yet (minutes behind after a mass unmap
            # under load). The unit still stops: what it would do next (forget the WWID) waits for a settled host.
            wwid = step.identity.wwid
            return ActFailed("disk %s" % step.target, "by-id links still present %.0fs after delete although the "
                             "kernel removed the disk (no sysfs entry, nothing at %s): udev is behind (see `udevadm "
                             "settle`); links: %s. The unit stops here and its later steps did not run%s"
                             % (host.wait_timeout, hctl, links, " (if one was forgetting WWID %s: `multipath -w %s` "
                                                                "once udev has settled)" % (wwid, wwid) if wwid else ""),
                             {"kernel_removed": True, "by_id": links})
        return ActFailed("disk %s" % step.target, "still present %.0fs after delete (disk: %s, scsi_device %s: %s, "
                         "by-id links: %s)" % (host.wait_timeout, present, hctl, at, links))

    return poll_steps(host, steps, gone, lambda st: host.wait_timeout, not_gone, read=False,
                      prefetch=lambda h, pending: obs_reread.leftovers(h, disks_of(pending)))
