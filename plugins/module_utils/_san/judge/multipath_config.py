# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a changed multipath.conf means for the running daemon (pure; no I/O): the live maps (the daemon's view
merged with the kernel tables), the maps without an active path, and `apply_plan`, which decides between a
reconfigure and a restart, and what must wait. Parsing, the audit and the fix are judge/multipath_parse.py,
judge/multipath_audit.py and judge/multipath_fix.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


# live maps

def live_maps(show_maps, table):
    """Merge the daemon's view (observe.parse.parse_show_maps) and the kernel tables (observe.parse.parse_dm_lines with
    parse_multipath_table) into one list (sorted by name)."""
    names = sorted(set(show_maps) | set(table))
    out = []
    for name in names:
        d = dict(show_maps.get(name) or {"name": name, "wwid": None, "dm": None, "queueing": None,
                                         "active_paths": None, "vendor": None, "product": None})
        t = table.get(name)
        d["table_features"] = t["features"].partition(" ")[2] if t else None  # without the count
        d["table_queue_if_no_path"] = bool(t and t["queueing"])
        if name in show_maps:
            # "-": multipathd does not manage the map's queueing (no_path_retry unset for it; 0.9.4 keeps a map so
            # when a reconfigure finds none of its paths usable), so queue_if_no_path in the table is for good
            d["unmanaged"] = show_maps[name]["queueing"] == "-" and d["table_queue_if_no_path"]
            d["queues_forever"] = show_maps[name]["queues_forever"] or d["unmanaged"]
        else:  # no daemon answer: the table is all we know
            d["queues_forever"] = d["table_queue_if_no_path"]
        out.append(d)
    return out


# Settings that only multipathd's clients use: `multipathd <command>` reads uxsock_timeout from the file on each call
# (main.c: load_config, then uxclnt(s, uxsock_timeout + 100), in 0.8.5, 0.9.4 and 0.11.1); the daemon's copy only
# bounds how long it waits for the bytes of a command. Writing one needs nothing from the daemon.
CLIENT_ONLY_KEYS = frozenset(["uxsock_timeout"])


# Settings a `multipathd reconfigure` does not change in a running daemon (reconfigure_check() keeps the old value
# and logs "multipathd must be restarted", 0.9.x to 0.11.x). This collection never writes them; a stale one in the
# running daemon still needs a restart.
RESTART_ONLY_KEYS = frozenset(["uid_attrs", "marginal_pathgroups"])


def maps_without_active_path(maps, status):
    """Names of the maps that have no path the kernel can send I/O to, sorted.

    maps: live_maps() (the maps multipathd and the tables list); status: {name: parse_multipath_status(...)} from
    `dmsetup status --target multipath`, the kernel's own view, which alone says a path is active: a map counts as
    having one only when its status line shows one. A map whose line did not parse (None) or is missing, and every
    map when dmsetup status did not answer (status None), is listed too, whatever multipathd counts: unknown is not
    safe, and multipathd's count is the daemon's view, behind the kernel that fails a path on an I/O error. Returns
    None when neither source listed the maps (nothing can be said)."""
    if maps is None and status is None:
        return None
    names = set(m["name"] for m in maps or []) | set(status or {})
    out = []
    for name in names:
        kernel = (status or {}).get(name)  # a line that did not parse (None), or none at all: no path counted
        active = sum(1 for g in kernel["groups"] for p in g["paths"] if p["active"]) if kernel else 0
        if not active:
            out.append(name)
    return sorted(out)


UNKNOWN_MAPS = "(unknown: neither multipathd nor dmsetup listed the maps)"


def apply_plan(state, daemon, daemon_keys, stale, pathless, force, queueing):
    """How the written configuration reaches multipathd: the one decision state=present/restarted acts on.

    state: present | restarted. daemon: answers (show config answered) | inactive (not running) | unresponsive
    (running but not answering). daemon_keys: the keys the write changed that the daemon reads (client-only keys
    left out). stale: the keys whose running value the file no longer has. pathless: maps_without_active_path()
    (None = unknown). force: {restart, queueing_change} (the operator's overrides). queueing:
    judge.multipath_queueing.queueing_changes() (None = unknown). Returns {action: none|reconfigure|start|restart|
    deferred|refused, reason, maps_failing_io, warning (what a forced change costs, or None)}.

    A stopping multipathd with queue_without_daemon no (the default) turns queueing off on every map, so a map with
    no active path fails its queued I/O at once: a stop/restart is refused while any map has none (or while that is
    unknown) unless force["restart"]. A reconfigure or start keeps the maps but gives each the queueing of the new
    configuration: it is deferred while that changes the queueing of a map with no active path (or of maps nobody
    could list) unless force["queueing_change"]."""
    plan = {"action": "none", "reason": None, "maps_failing_io": [], "warning": None}
    needed = sorted(set(daemon_keys) | set(stale))
    if state == "present" and not needed:
        plan["reason"] = "nothing for the daemon to apply"
        return plan
    if daemon == "inactive":
        plan.update(action="start", reason="multipathd is not running; starting it reads the file")
        return held_for_queueing(plan, queueing, force["queueing_change"])
    restart_keys = sorted(set(needed) & RESTART_ONLY_KEYS)
    if state == "present" and daemon == "answers" and not restart_keys:
        plan.update(action="reconfigure", reason="multipathd reconfigure applies %s" % ", ".join(needed))
        return held_for_queueing(plan, queueing, force["queueing_change"])
    if state == "restarted":
        why = "a restart was asked for (state=restarted)"
    elif daemon != "answers":
        why = "multipathd runs but does not answer, so it cannot reconfigure"
    else:
        why = "multipathd reconfigure does not change %s" % ", ".join(restart_keys)
    failing = [UNKNOWN_MAPS] if pathless is None else list(pathless)
    if failing and not force["restart"]:
        plan.update(action="refused", maps_failing_io=failing,
                    reason="%s, but stopping multipathd turns queueing off on every map (queue_without_daemon no) "
                           "and these maps have no active path: their queued I/O would fail at once: %s; retry when "
                           "their paths are back, or set force_restart" % (why, ", ".join(failing)))
        return plan
    plan.update(action="restart", reason=why, maps_failing_io=failing)
    if failing:
        plan["warning"] = ("force_restart: these maps have no active path and fail their queued I/O when multipathd "
                           "stops: %s" % ", ".join(failing))
    return plan


# the daemon plans that hold the fix back because a map has no active path (or that cannot be read): a reconfigure
# or start that would change such a map's queueing (deferred), a restart that would fail its queued I/O (refused)
HELD = ("deferred", "refused")


def writes_active_file(plan):
    """Whether the fix may be written as the active multipath.conf: not while `plan` holds it back (HELD), since the
    next reload by anyone (systemctl reload multipathd, multipath -r, a package script) would load it into the maps
    the hold protects; the fix then waits beside the file (multipath_conf's proposed_file)."""
    return plan["action"] not in HELD


def held_for_queueing(plan, queueing, force):
    """A reconfigure/start `plan`, deferred when it changes the queueing of maps with no active path (`queueing`,
    None when the maps are unknown) and not forced; forced, it goes ahead and names them in maps_failing_io."""
    if queueing is not None and not queueing:
        return plan
    failing = [c["map"] for c in queueing] if queueing is not None else [UNKNOWN_MAPS]
    what = ", ".join(describe(c) for c in queueing) if queueing is not None else UNKNOWN_MAPS
    if force:
        plan.update(maps_failing_io=failing, warning="force_queueing_change: the %s changes the queueing of maps "
                                                     "with no active path: %s" % (plan["action"], what))
        return plan
    plan.update(action="deferred", maps_failing_io=failing,
                reason="multipathd is not given the fix (no %s), and the file is not changed, so that no reload "
                       "loads it: these maps have no active path (or it cannot be read) and the new settings change "
                       "their queueing: %s. Run the fix again once a path of each is back (it writes and applies the "
                       "file then, keeping their queued I/O), or set force_queueing_change to apply it now"
                       % (plan["action"], what))
    return plan


def describe(change):
    """'NAME (queue -> fail: its queued I/O fails at once)'."""
    seconds = change["io_fails_after"]
    when = ("at once" if seconds == 0 else "after %d s" % seconds) if seconds is not None else "never (it queues)"
    return "%s (%s -> %s: its queued I/O fails %s)" % (change["map"], change["before"], change["after"], when)


def daemon_keys(changes, file_changed, existed):
    """The changed keys the daemon reads (client-only ones left out); a new file is one change for it."""
    keys = sorted(set(c["key"] for c in changes) - CLIENT_ONLY_KEYS)
    if file_changed and not existed:
        keys = keys or ["(new file)"]
    return keys


def with_unadopted_maps(stale, maps, in_scope, pathless):
    """`stale` and the audited maps (in_scope(map)) the daemon did not (re)adopt: a map that still queues without
    bound under a fixed configuration was kept through a reconfigure while it had no usable path; once a path is
    back, a reconfigure adopts it."""
    readopt = [m["name"] for m in maps if m.get("unmanaged") and in_scope(m) and m["name"] not in (pathless or [])]
    if readopt and pathless is not None:
        stale = sorted(set(stale) | set(["live map %s" % n for n in readopt]))
    return stale
