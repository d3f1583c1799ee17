# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fix of multipath.conf (pure; no I/O): the edits that make the audit pass (`plan_fix`: bounded queueing for
the target LUNs, in the scope the user chose, and the local disks blacklisted), rendered onto the parsed
document so that every untouched line stays as it was read; `new_document` for a host without the file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.multipath_parse import Setting, parse, render
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.multipath_audit import (
    CHECKS, entry_is_specific, entry_matches, features_without_queueing, is_bad, milliseconds)


# plan the file edit

FIX_COMMENT = "sanfleet.remediation: bounded queueing for these LUNs (docs/compliance.md)"


def _fix_values(section, recommended, changes, scope):
    """Rewrite bad values that a section sets explicitly."""
    for cid, key, bad, _reason in CHECKS:
        for s in section.settings(key):
            if s.value is None or not bad(s.value):
                continue
            if cid == "features_queue_if_no_path":
                if not recommended.get("remove_queue_if_no_path", True):
                    continue
                new = features_without_queueing(s.value)
            else:
                new = recommended.get(key)
            if new is None or new == s.value:
                continue
            changes.append({"scope": scope, "key": key, "before": s.value, "after": new})
            s.set(new)


def _fix_bad_values(doc, targets, recommended, changes):
    """Every scope of the file that explicitly sets a bad value gets the recommended one."""
    for sec in doc.sections("defaults"):
        _fix_values(sec, recommended, changes, "defaults")
    for sec in doc.sections("overrides"):
        _fix_values(sec, recommended, changes, "overrides")
    for devs in doc.sections("devices"):
        for dev in devs.sections("device"):
            vals = dev.values()
            if any(entry_matches(vals, t["vendor"], t["product"]) for t in targets):
                _fix_values(dev, recommended, changes,
                            'devices/device[vendor="%s",product="%s"]' % (vals.get("vendor"), vals.get("product", "")))
    for mps in doc.sections("multipaths"):
        for mp in mps.sections("multipath"):
            _fix_values(mp, recommended, changes, 'multipaths/multipath[wwid="%s"]' % mp.get("wwid"))


def _fix_overrides(doc, recommended, target_keys, changes):
    """scope "overrides": the last overrides section (a new one when there is none) carries the target values."""
    eol = doc.eol
    secs = doc.sections("overrides") or [doc.add_section("overrides", eol, FIX_COMMENT)]
    for key in target_keys:
        before = secs[-1].get(key)
        if before is not None and not is_bad(key, before):
            continue
        if secs[-1].set(key, recommended[key], eol):
            changes.append({"scope": "overrides", "key": key, "before": before, "after": recommended[key]})


def _fix_device_entries(doc, targets, recommended, target_keys, changes):
    """scope "devices": each target's own device entry (a new one when there is none) carries the target values."""
    eol = doc.eol
    for t in targets:
        entry = None
        for devs in doc.sections("devices"):
            for dev in devs.sections("device"):
                if entry_is_specific(dev.values(), t["vendor"], t["product"]):
                    entry = dev  # the last one wins, as in multipath-tools
        if entry is None:
            devs = doc.sections("devices")
            devs = devs[-1] if devs else doc.add_section("devices", eol)
            entry = devs.add_section("device", eol, FIX_COMMENT)
            entry.set("vendor", t["vendor"], eol)
            entry.set("product", t["product"], eol)
        vals = entry.values()
        label = 'devices/device[vendor="%s",product="%s"]' % (vals.get("vendor"), vals.get("product", ""))
        for key in target_keys:
            before = entry.get(key)
            if before is not None and not is_bad(key, before):
                continue  # already bounded (no_path_retry 16, dev_loss_tmo 30): the owner's choice stands
            if entry.set(key, recommended[key], eol):
                changes.append({"scope": label, "key": key, "before": before, "after": recommended[key]})


def _fix_defaults(doc, recommended, changes):
    """Array-neutral settings go to defaults; a longer uxsock_timeout than asked is left as it is."""
    eol = doc.eol
    keep = {"uxsock_timeout": lambda before: (milliseconds(before) or 0) >= int(recommended["uxsock_timeout"])}
    for key in ("recheck_wwid", "find_multipaths", "uxsock_timeout"):
        want = recommended.get(key)
        if not want:
            continue
        want = str(want)
        secs = doc.sections("defaults")
        if secs and any(s.get(key) is not None for s in secs):
            for s in secs:
                before = s.get(key)
                if before is None or keep.get(key, lambda _b: False)(before):
                    continue
                if s.set(key, want, eol):
                    changes.append({"scope": "defaults", "key": key, "before": before, "after": want})
            continue
        sec = secs[-1] if secs else doc.add_section("defaults", eol)
        sec.set(key, want, eol)
        changes.append({"scope": "defaults", "key": key, "before": None, "after": want})


def _blacklist_local_disks(doc, blacklist_wwids, changes):
    """The WWIDs of local disks that multipath would claim go to the blacklist (once)."""
    eol = doc.eol
    secs = doc.sections("blacklist")
    present = set(s.value for sec in secs for s in sec.settings("wwid"))
    for wwid in blacklist_wwids:
        if wwid in present:
            continue
        sec = secs[-1] if secs else doc.add_section("blacklist", eol)
        secs = [sec]
        sec.children.insert(sec._insert_at(), Setting(
            '%swwid "%s"%s' % (sec.child_indent(), wwid, eol), "wwid", wwid, True))
        present.add(wwid)
        changes.append({"scope": "blacklist", "key": "wwid", "before": None, "after": wwid})


def plan_fix(doc, targets, recommended, scope="devices", blacklist_wwids=()):
    """Edit a copy of doc so that the file carries the recommended values. Returns (new_doc, changes).

    recommended: {no_path_retry, dev_loss_tmo, recheck_wwid, flush_on_last_del, find_multipaths, uxsock_timeout};
    None leaves a key alone. scope: where the target values go, "devices" (one entry per target, merged with
    the built-in entry) or "overrides" (every device of every array).
    """
    doc = copy.deepcopy(doc)
    changes = []
    # 1. every scope of the file that explicitly sets a bad value
    _fix_bad_values(doc, targets, recommended, changes)
    # 2. the target scope carries the recommended values
    target_keys = [k for k in ("no_path_retry", "dev_loss_tmo", "flush_on_last_del") if recommended.get(k)]
    if scope == "overrides":
        _fix_overrides(doc, recommended, target_keys, changes)
    else:
        _fix_device_entries(doc, targets, recommended, target_keys, changes)
    # 3. array-neutral settings go to defaults
    _fix_defaults(doc, recommended, changes)
    # 4. local disks that multipath would claim
    if blacklist_wwids:
        _blacklist_local_disks(doc, blacklist_wwids, changes)
    return doc, changes


NEW_FILE_HEADER = (
    "# /etc/multipath.conf: created by sanfleet.remediation.multipath_conf.\n"
    "# Everything not set here keeps the multipath-tools built-in value (multipath -t shows them).\n"
)


def new_document():
    return parse(NEW_FILE_HEADER)


def fixed_text(doc, targets, recommended, scope, blacklisted_disks, remove_queue_if_no_path):
    """(the file's text with the fix, the changes): plan_fix of `doc` (blacklisting the WWIDs of the disks of
    `blacklisted_disks` that multipath claims), rendered, and parsed back."""
    blacklist_wwids = [d["wwid"] for d in blacklisted_disks if d.get("claimed") and d.get("wwid")]
    plan_rec = dict(recommended)
    if not remove_queue_if_no_path:
        plan_rec["remove_queue_if_no_path"] = False
    new_doc, changes = plan_fix(doc, targets, plan_rec, scope=scope, blacklist_wwids=blacklist_wwids)
    new_text = render(new_doc)
    parse(new_text)  # the editor never produces what the parser would refuse
    return new_text, changes
