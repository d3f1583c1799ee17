# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What loading a configuration does to the queueing of the live maps that have no active path (pure; no I/O).

A `multipathd reconfigure`, or the start of a stopped multipathd, gives every map the queueing its configuration
selects (no_path_retry, else queue_if_no_path in features; multipaths > overrides > devices > defaults). On a map
with no usable path, `fail` (or a features value without queue_if_no_path and no no_path_retry) ends its queued
I/O with an error at once, a number N starts a countdown to that of N x polling_interval seconds. `queueing_changes`
names the maps without an active path whose queueing the loaded configuration would change;
`judge.multipath_config.apply_plan` holds the reconfigure/start back over them unless forced (`daemon_plan`)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_config
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_parse
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.multipath_audit import (
    entry_matches, has_queue_feature, to_dict)

QUEUE, FAIL = "queue", "fail"
# multipath-tools' built-in polling_interval (seconds between two checks of a path)
DEFAULT_POLLING_INTERVAL = 5


def queueing(no_path_retry, features):
    """The queueing multipath-tools gives a map: QUEUE, FAIL, a number of checker intervals (int), or None when the
    value is none multipath-tools reads. A set no_path_retry wins over queue_if_no_path in features (propsel.c,
    reconcile_features_with_options); unset, queue_if_no_path means QUEUE and its absence FAIL (nothing queues)."""
    if no_path_retry is None:
        return QUEUE if has_queue_feature(features) else FAIL
    value = no_path_retry.strip()
    if value == QUEUE:
        return QUEUE
    if value in (FAIL, "0"):
        return FAIL
    return int(value) if value.isdigit() else None


class Unknown(Exception):
    """A setting's value cannot be told (duplicate multipaths entries that disagree, a map of unknown array)."""


def _multipaths_value(layers, wwid, key):
    for eff in layers:
        values = set(e[key] for e in eff["multipaths"] if wwid is not None and e.get("wwid") == wwid and key in e)
        if len(values) > 1:
            raise Unknown()
        if values:
            return values.pop()
    return None


def _setting(layers, m, key):
    """The value of `key` for map m in the configuration made of `layers` (each a judge.multipath_audit.to_dict;
    an earlier layer beats a later one within each section: multipaths > overrides > devices > defaults)."""
    value = _multipaths_value(layers, m.get("wwid"), key)
    if value is not None:
        return value
    for eff in layers:
        if key in eff["overrides"]:
            return eff["overrides"][key]
    if any(eff["devices"] for eff in layers) and not m.get("vendor"):
        raise Unknown()  # a map multipathd did not describe: which device entry applies is unknown
    for eff in layers:
        for entry in reversed(eff["devices"]):
            if key in entry and entry_matches(entry, m["vendor"], m.get("product") or ""):
                return entry[key]
    for eff in layers:
        if key in eff["defaults"]:
            return eff["defaults"][key]
    return None


def configured_queueing(layers, m):
    """queueing() of map m under the configuration of `layers`, None when unknown."""
    try:
        return queueing(_setting(layers, m, "no_path_retry"), _setting(layers, m, "features"))
    except Unknown:
        return None


def live_queueing(m, running):
    """The queueing map m has now: multipathd's `on`; its kernel table when multipathd does not manage it (`-`) or
    does not list it; else the configuration multipathd runs (`running`, to_dict of show config; None: unknown)."""
    state = m.get("queueing")
    if state is None or state == "-":
        if m.get("table_features") is None:
            return None
        return QUEUE if m.get("table_queue_if_no_path") else FAIL
    if state == "on":
        return QUEUE
    return configured_queueing([running], m) if running is not None else None


def polling_interval(layers):
    for eff in layers:
        value = (eff["defaults"].get("polling_interval") or "").strip()
        if value:
            return int(value) if value.isdigit() and int(value) > 0 else None
    return DEFAULT_POLLING_INTERVAL


def io_fails_after(after, interval):
    """Seconds until a map without a usable path fails its queued I/O under `after` (0: at once), None: never."""
    if after == QUEUE:
        return None
    if after == FAIL or after is None:
        return 0
    return after * (interval or 1)


def _text(mode):
    return "unknown" if mode is None else str(mode)


def queueing_changes(maps, pathless, running, base, new_file):
    """[{map, before, after, io_fails_after}] for each map of `pathless` (`maps_without_active_path`: no active
    path, or a count nobody could read) whose queueing loading the new configuration would change, sorted by name;
    None when the maps are unknown (`pathless` None).

    maps: judge.multipath_config.live_maps. running: the configuration multipathd runs (None: it does not answer);
    base: the one `multipath -t` read before this run's write (the built-in entries, /etc/multipath/conf.d);
    new_file: the file as this run leaves it. The new configuration is new_file over base; since a conf.d file read
    after the main file may beat it, a map counts as changed when either that or base alone gives it another
    queueing than it has now. Anything unknown counts as a change (fail closed)."""
    if pathless is None:
        return None
    by_name = dict((m["name"], m) for m in maps or [])
    layers = [e for e in (new_file, base) if e is not None]
    interval = polling_interval(layers)
    out = []
    for name in sorted(pathless):
        m = by_name.get(name) or {"name": name}
        before = live_queueing(m, running)
        after = configured_queueing(layers, m)
        alone = configured_queueing([base], m) if base is not None else after
        if before is not None and after is not None and before == after == alone:
            continue
        # what the new file gives it, and what a conf.d file that beats the file would (when that is a change too)
        outcomes = [after] + ([alone] if alone not in (after, before) else [])
        out.append({"map": name, "before": _text(before), "after": " or ".join(_text(o) for o in outcomes),
                    "io_fails_after": _soonest(*[io_fails_after(o, interval) for o in outcomes])})
    return out


def _soonest(*seconds):
    known = [s for s in seconds if s is not None]
    return min(known) if known else None


def daemon_plan(state, daemon, changed, reads, new_file, force, in_scope):
    """judge.multipath_config.apply_plan on what was read: `changed` (daemon_keys, stale), `reads` (the live maps, their
    kernel status (None: dmsetup did not answer), show config (None: the daemon does not answer) and multipath -t as
    read before this run's write), the file as this run leaves it (to_dict), `force` and `in_scope(map)` (an audited
    map). Returns (plan, the maps without an active path, queueing_changes())."""
    maps, status, texts = reads[0], reads[1], reads[2:]
    pathless = multipath_config.maps_without_active_path(maps if (maps or status is not None) else None, status)
    stale = changed[1]
    if state == "present" and texts[0]:
        stale = multipath_config.with_unadopted_maps(stale, maps, in_scope, pathless)
    running, base = [to_dict(multipath_parse.parse(t, strict=False)) if t else None for t in texts]
    changes = queueing_changes(maps, pathless, running, base, new_file)
    plan = multipath_config.apply_plan(state, daemon, changed[0], stale, pathless, force, changes)
    return plan, pathless, changes
