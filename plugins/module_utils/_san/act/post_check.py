# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""After the act (module stale_cleanup): one read of the host, the healthy maps and removed maps still present,
and the lines that still name what was removed (reported; commented out only with clean_references)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import files as config_write
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import refs as act_refs
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan import cleanup


def post_check(module, host, result, exclude):
    """Read the host once after the run: the healthy maps (same definition as before the run), removed maps still
    present, and the lines that still name what was removed."""
    try:
        after = host.reader.snapshot(probe=False)
    except (deadline.DeadlineExceeded, RuntimeError, OSError) as exc:
        result.update(healthy_after=None, maps_still_present=None, references=[],
                      post_check_error="the host could not be read after the run: %s" % exc)
        return
    result["healthy_after"] = cleanup.healthy_maps(after, exclude)
    present = set(after.get("maps") or {})
    result["maps_still_present"] = [w for w in result["flush_maps"] if w in present]
    result["references"] = []
    if any(e["outcome"] == "done" for e in result["executed"]):
        report_references(module, host, result, after)


def report_references(module, host, result, after):
    """fstab/crypttab/LVM devices file/mount unit lines that still name what was removed: reported, and
    commented out only with clean_references. Files are edited one by one: when a later one fails, the earlier
    ones stay in the result (their lines commented_out, their backups) beside references_error."""
    refs, backups, cleaning = [], [], False
    try:
        present = list(after.get("maps") or {}) + [d.get("wwid") for d in (after.get("disks") or {}).values()
                                                   if d and d.get("wwid")]
        refs = act_refs.references(host, result["executed"], present)
        cleaning = bool(refs) and module.params["clean_references"]
        if cleaning:
            act_refs.clean_references(host, refs, lambda path, text: backups.append(
                config_write.write_text(module, path, text, backup=True,
                                        timeout=host.command_timeout)))
        elif refs:
            module.warn("%d line(s) still name a removed device (see 'references'): %s" % (
                len(refs), "; ".join("%s:%s" % (r["file"], r["line"]) for r in refs)))
    except (deadline.DeadlineExceeded, RuntimeError, OSError) as exc:
        result["references_error"] = str(exc)
        module.warn("the lines that still name a removed device could not be %s: %s" % (
            "all read and cleaned" if cleaning else "read", exc))
    # also when a later file's edit failed: the lines left before it are said
    changed = ["%s:%s" % (r["file"], r["line"]) for r in refs if r.get("action") == "changed_since_read"]
    if changed:
        module.warn("%d line(s) naming a removed device changed after they were read, or the device is there again, "
                    "and were left as they are (see 'references'): %s" % (len(changed), "; ".join(changed)))
    # a byte no codec reads is kept in the file, shown as \xNN here
    result["references"] = config_write.safe_data(refs)
    if cleaning:
        result["reference_backups"] = [b for b in backups if b]
