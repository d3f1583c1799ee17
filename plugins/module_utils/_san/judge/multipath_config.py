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

    maps: live_maps() (multipathd's active path count); status: {name: parse_multipath_status(...)} from
    `dmsetup status --target multipath`, the kernel's own view, which wins. A map neither source can count is
    listed too: unknown is not safe. Returns None when neither source answered (nothing can be said)."""
    if maps is None and status is None:
        return None
    names = set(m["name"] for m in maps or []) | set(status or {})
    show = dict((m["name"], m) for m in maps or [])
    out = []
    for name in names:
        kernel = (status or {}).get(name)
        if kernel is not None:
            active = sum(1 for g in kernel["groups"] for p in g["paths"] if p["active"])
        else:
            active = (show.get(name) or {}).get("active_paths")
        if not active:  # 0 or unknown
            out.append(name)
    return sorted(out)


def apply_plan(state, daemon, daemon_keys, stale, pathless, force_restart):
    """How the written configuration reaches multipathd: the one decision state=present/restarted acts on.

    state: present | restarted. daemon: answers (show config answered) | inactive (not running) | unresponsive
    (running but not answering). daemon_keys: the keys the write changed that the daemon reads (client-only keys
    left out). stale: the keys whose running value the file no longer has. pathless: maps_without_active_path()
    (None = unknown). Returns {action: none|reconfigure|start|restart|refused, reason, maps_failing_io}.

    A stopping multipathd with queue_without_daemon no (the default) turns queueing off on every map, so a map with
    no active path fails its queued I/O at once: a stop/restart is refused while any map has none (or while that is
    unknown) unless force_restart; reconfigure keeps every map and its queueing."""
    plan = {"action": "none", "reason": None, "maps_failing_io": []}
    needed = sorted(set(daemon_keys) | set(stale))
    if state == "present" and not needed:
        plan["reason"] = "nothing for the daemon to apply"
        return plan
    if daemon == "inactive":
        plan.update(action="start", reason="multipathd is not running; starting it reads the file")
        return plan
    restart_keys = sorted(set(needed) & RESTART_ONLY_KEYS)
    if state == "present" and daemon == "answers" and not restart_keys:
        plan.update(action="reconfigure", reason="multipathd reconfigure applies %s" % ", ".join(needed))
        return plan
    if state == "restarted":
        why = "a restart was asked for (state=restarted)"
    elif daemon != "answers":
        why = "multipathd runs but does not answer, so it cannot reconfigure"
    else:
        why = "multipathd reconfigure does not change %s" % ", ".join(restart_keys)
    failing = ["(unknown: neither multipathd nor dmsetup listed the maps)"] if pathless is None else list(pathless)
    if failing and not force_restart:
        plan.update(action="refused", maps_failing_io=failing,
                    reason="%s, but stopping multipathd turns queueing off on every map (queue_without_daemon no) "
                           "and these maps have no active path: their queued I/O would fail at once: %s; retry when "
                           "their paths are back, or set force_restart" % (why, ", ".join(failing)))
        return plan
    plan.update(action="restart", reason=why, maps_failing_io=failing)
    return plan


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
