# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""multipath.conf compared with what it should say (pure; no I/O): the effective settings of a parsed document
(`to_dict`), device entries matched by vendor/product as multipath-tools matches them, the compliance checks
(CHECKS) and `audit`, which judges the effective configuration for the target LUNs (multipaths > overrides >
devices > defaults, multipath.conf(5)). Documents come from judge/multipath_parse.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_parse
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.multipath_config import (
    maps_without_active_path)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.multipath_parse import NEVER_MATCH


# structured view (for the judge)

def _entries(doc, outer, inner):
    out = []
    for sec in doc.sections(outer):
        for sub in sec.sections(inner):
            out.append(sub.values())
    return out


def _merged(doc, name):
    merged = {}
    for sec in doc.sections(name):
        merged.update(sec.values())
    return merged


def to_dict(doc):
    """{defaults: {}, overrides: {}, devices: [{}], multipaths: [{}], blacklist: {...}, ...}"""
    return {
        "defaults": _merged(doc, "defaults"),
        "overrides": _merged(doc, "overrides"),
        "devices": _entries(doc, "devices", "device"),
        "multipaths": _entries(doc, "multipaths", "multipath"),
        "blacklist": _lists(doc, "blacklist"),
        "blacklist_exceptions": _lists(doc, "blacklist_exceptions"),
    }


def _lists(doc, name):
    out = {"devnode": [], "wwid": [], "property": [], "protocol": [], "device": []}
    for sec in doc.sections(name):
        for s in sec.settings():
            out.setdefault(s.key, []).append(s.value)
        for dev in sec.sections("device"):
            out["device"].append(dev.values())
    return out


# judge

def rx_search(pattern, value):
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return pattern == value


def entry_matches(entry, vendor, product):
    """Does a devices entry (regexes) apply to a device with this vendor/product?"""
    v = entry.get("vendor")
    p = entry.get("product")
    if v is None or p is None:  # validate_pctable (libmultipath/config.c) drops such an entry
        return False
    return rx_search(v, vendor) and rx_search(p, product)


def entry_is_specific(entry, vendor, product):
    """Matches the target but not an arbitrary other device (so not a catch-all entry)."""
    return entry_matches(entry, vendor, product) and not entry_matches(entry, NEVER_MATCH, NEVER_MATCH)


def features_without_queueing(features):
    """'3 queue_if_no_path pg_init_retries 50' -> '2 pg_init_retries 50' (None when unchanged)."""
    if not features:
        return None
    words = features.split()
    if "queue_if_no_path" not in words:
        return None
    rest = words[1:] if words[0].isdigit() else words
    rest = [w for w in rest if w != "queue_if_no_path"]
    return " ".join([str(len(rest))] + rest)


def has_queue_feature(features):
    return bool(features) and "queue_if_no_path" in features.split()


CHECKS = (
    # check id, key, bad-value test, reason (what the check means: check_registry)
    ("no_path_retry_queue", "no_path_retry", lambda v: v == "queue", check_registry.meaning("no_path_retry_queue")),
    ("features_queue_if_no_path", "features", has_queue_feature, check_registry.meaning("features_queue_if_no_path")),
    ("dev_loss_tmo_infinity", "dev_loss_tmo", lambda v: v == "infinity", check_registry.meaning("dev_loss_tmo_infinity")),
    ("recheck_wwid_off", "recheck_wwid", lambda v: v in ("no", "0"), check_registry.meaning("recheck_wwid_off")),
    ("flush_on_last_del_off", "flush_on_last_del", lambda v: v in ("no", "never", "0"),
     check_registry.meaning("flush_on_last_del_off")),
)


def is_bad(key, value):
    """Does this value of key trip one of the CHECKS?"""
    return any(k == key and bad(value) for _cid, k, bad, _reason in CHECKS)


def _scopes(eff, targets):
    """(scope label, values, kind, precedence) for every scope relevant to the targets."""
    out = [("defaults", eff["defaults"], "defaults")]
    for idx, entry in enumerate(eff["devices"]):
        if any(entry_matches(entry, t["vendor"], t["product"]) for t in targets):
            label = 'devices/device[vendor="%s",product="%s"]' % (entry.get("vendor"), entry.get("product", ""))
            out.append((label, entry, "device:%d" % idx))
    if eff["overrides"]:
        out.append(("overrides", eff["overrides"], "overrides"))
    for entry in eff["multipaths"]:
        out.append(('multipaths/multipath[wwid="%s"]' % entry.get("wwid"), entry, "multipath"))
    return out


def _in(file_eff, scope_kind, entry, key, value):
    """Is this value written in the file (rather than coming from the built-in hwtable)?"""
    if file_eff is None:
        return None
    if scope_kind == "defaults":
        return file_eff["defaults"].get(key) == value
    if scope_kind == "overrides":
        return file_eff["overrides"].get(key) == value
    if scope_kind == "multipath":
        return any(e.get("wwid") == entry.get("wwid") and e.get(key) == value for e in file_eff["multipaths"])
    return any(e.get("vendor") == entry.get("vendor") and e.get("product") == entry.get("product")
               and e.get(key) == value for e in file_eff["devices"])


def resolve(eff, vendor, product, key):
    """The value in force for a device (overrides > last matching device entry > defaults) and its scope."""
    if key in eff["overrides"]:
        return eff["overrides"][key], "overrides"
    for entry in reversed(eff["devices"]):
        if entry_matches(entry, vendor, product) and key in entry:
            return entry[key], 'devices/device[vendor="%s",product="%s"]' % (entry.get("vendor"), entry.get("product", ""))
    if key in eff["defaults"]:
        return eff["defaults"][key], "defaults"
    return None, None


def audit(eff, targets, recommended, file_eff=None, recheck_supported=True, uxsock_supported=True, client_eff=None):
    """Findings for an effective configuration (as from to_dict(parse(show_config, strict=False))).

    client_eff: the configuration multipathd's clients read (multipath -t, from the file): uxsock_timeout is
    judged there, since every `multipathd <command>` reads it from the file on each call (default: eff).

    recommended: {no_path_retry, dev_loss_tmo, recheck_wwid, flush_on_last_del, find_multipaths, uxsock_timeout}
    (None = do not recommend a value). A finding in a scope that a higher-precedence scope overrides
    for every target is marked shadowed (reported, but it neither needs a fix nor blocks verification).
    """
    findings = []
    resolved = {}
    for t in targets:
        label = "%s/%s" % (t["vendor"], t["product"])
        resolved[label] = {}
        for _cid, key, _bad, _r in CHECKS:
            value, scope = resolve(eff, t["vendor"], t["product"], key)
            resolved[label][key] = {"value": value, "scope": scope}
    for scope, values, kind in _scopes(eff, targets):
        for cid, key, bad, reason in CHECKS:
            value = values.get(key)
            if value is None or not bad(value):
                continue
            if cid == "recheck_wwid_off" and not recommended.get("recheck_wwid"):
                continue
            if cid == "flush_on_last_del_off" and kind == "defaults":
                continue  # the global default (no/unused) is not a problem by itself
            shadowed = False
            if kind.startswith("device"):
                # every target this entry applies to takes the key from a higher-precedence scope
                shadowed = all(
                    resolved["%s/%s" % (t["vendor"], t["product"])][key]["scope"] not in (None, scope)
                    for t in targets if entry_matches(values, t["vendor"], t["product"])
                )
            rec = _recommendation(cid, key, value, recommended)
            findings.append({
                "check": cid, "scope": scope, "key": key, "value": value, "recommended": rec,
                "reason": reason, "severity": "info" if shadowed else "warning", "shadowed": shadowed,
                "in_file": _in(file_eff, kind.split(":", 1)[0], values, key, value),
                "fixable": rec is not None,
            })
    if recommended.get("recheck_wwid"):
        if not recheck_supported:
            findings.append({
                "check": "recheck_wwid_unsupported", "scope": "defaults", "key": "recheck_wwid", "value": None,
                "recommended": None, "severity": "warning", "shadowed": False, "in_file": None, "fixable": False,
                "reason": "the installed multipath-tools does not know recheck_wwid (added in 0.8.8): a reused "
                          "LUN number silently rejoins the old map; upgrade multipath-tools",
            })
        else:
            for t in targets:
                r = resolved["%s/%s" % (t["vendor"], t["product"])]["recheck_wwid"]
                if r["value"] in (None,) and not any(f["check"] == "recheck_wwid_off" for f in findings):
                    findings.append({
                        "check": "recheck_wwid_off", "scope": "defaults", "key": "recheck_wwid", "value": None,
                        "recommended": recommended["recheck_wwid"], "severity": "warning", "shadowed": False,
                        "in_file": None, "fixable": True, "reason": CHECKS[3][3] + " (the built-in default is no)",
                    })
    if recommended.get("uxsock_timeout"):
        findings.extend(_uxsock_findings(client_eff or eff, recommended["uxsock_timeout"], file_eff,
                                         uxsock_supported))
    fm = eff["defaults"].get("find_multipaths")
    want_fm = recommended.get("find_multipaths")
    findings.append({
        "check": "find_multipaths", "scope": "defaults", "key": "find_multipaths", "value": fm,
        "recommended": want_fm if want_fm and want_fm != fm else None,
        "severity": "warning" if want_fm and want_fm != fm else "info", "shadowed": False,
        "in_file": _in(file_eff, "defaults", {}, "find_multipaths", fm), "fixable": bool(want_fm and want_fm != fm),
        "reason": {
            "no": "every SCSI disk that is not blacklisted gets a map, local disks included: blacklist them",
            "greedy": "every SCSI disk that is not blacklisted gets a map, local disks included: blacklist them",
            "yes": "a LUN whose second path is not visible yet is used as a bare sd device",
            "smart": "a LUN with a single path is released after find_multipaths_timeout and used bare",
            "strict": "only WWIDs listed in the wwids file get maps (new LUNs need multipath -a)",
        }.get(fm, "reported for information"),
    })
    return findings, resolved


UXSOCK_REASON = (
    "multipathd's clients (multipathd show ..., the collection's facts and cleanup) give up after uxsock_timeout "
    "ms; on a host with thousands of paths the daemon, busy with its checkers, answers later than the built-in "
    "4000 ms and the query fails (lab finding 14: 'show maps json' at 2,048 paths)")


def milliseconds(value):
    """uxsock_timeout as multipath-tools reads it (a whole number of ms), or None when it is not one."""
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _uxsock_findings(eff, want, file_eff, supported):
    if not supported:
        return [{
            "check": "uxsock_timeout_unsupported", "scope": "defaults", "key": "uxsock_timeout", "value": None,
            "recommended": None, "severity": "warning", "shadowed": False, "in_file": None, "fixable": False,
            "reason": "the installed multipath-tools does not know uxsock_timeout: its clients keep their built-in "
                      "timeout; upgrade multipath-tools",
        }]
    value = eff["defaults"].get("uxsock_timeout")
    in_force = milliseconds(value)
    if in_force is not None and in_force >= int(want):
        return []  # as long or longer than asked: the owner's choice stands
    return [{
        "check": "uxsock_timeout_short", "scope": "defaults", "key": "uxsock_timeout", "value": value,
        "recommended": str(want), "severity": "warning", "shadowed": False,
        "in_file": _in(file_eff, "defaults", {}, "uxsock_timeout", value), "fixable": True,
        "reason": UXSOCK_REASON + ("" if value is not None else " (not set: the built-in default is in force)"),
    }]


def _recommendation(cid, key, value, recommended):
    if cid == "features_queue_if_no_path":
        return features_without_queueing(value)
    return recommended.get(key)


class ConfigJudge(object):
    """The audit of one configuration text (the daemon's, the file's, the one after a fix) against the recommended
    settings. `configured` (multipath -t) is what the clients read, uxsock_timeout included: it is re-read after a
    write, and every later judgement uses the new one."""

    def __init__(self, targets, audit_rec, file_eff, configured, supported, uxsock_supported):
        self.targets, self.audit_rec, self.file_eff = targets, audit_rec, file_eff
        self.configured, self.supported, self.uxsock_supported = configured, supported, uxsock_supported

    def __call__(self, text):
        eff = to_dict(multipath_parse.parse(text, strict=False))
        client = (to_dict(multipath_parse.parse(self.configured, strict=False))
                  if self.configured else None)
        return audit(eff, self.targets, self.audit_rec, file_eff=self.file_eff,
                     recheck_supported=self.supported,
                     uxsock_supported=self.uxsock_supported, client_eff=client)

    def stale_settings(self, running):
        """The keys of the fixable settings the running daemon has that the configured text no longer has."""
        now = dict((_key(f), f["key"]) for f in active(self(running)[0]) if f["fixable"])
        later = (set(_key(f) for f in active(self(self.configured)[0]) if f["fixable"])
                 if self.configured else set())
        return sorted(set(now[k] for k in set(now) - later))

    def after_apply(self, running, maps, status):
        """What is left after a reconfigure/start/restart, from the daemon's configuration (`running`, None when it
        does not answer), the live maps and their kernel status: (the fixable findings left, the audited maps that
        still queue without bound, the maps with no active path, settled: nothing more to wait for)."""
        remaining = [f for f in active(self(running)[0]) if f["fixable"]] if running else []
        stuck = [m for m in maps if m["queues_forever"] and map_in_scope(m, self.targets)]
        pathless = maps_without_active_path(maps, status) or []
        # a map with no active path keeps the queueing it had until a path returns: no point waiting for it
        settled = bool(running and not remaining and all(m["name"] in pathless for m in stuck))
        return remaining, stuck, pathless, settled


def map_in_scope(m, targets):
    return any(m.get("vendor") and entry_matches(t, m["vendor"], m.get("product") or "") for t in targets)


def map_findings(maps):
    out = []
    for m in maps:
        if m["queues_forever"]:
            out.append({
                "check": "live_map_queueing", "scope": "map:%s" % m["name"], "key": "queueing",
                "value": m.get("queueing") or m.get("table_features"), "recommended": None, "severity": "warning",
                "shadowed": False, "in_file": None, "fixable": False,
                "reason": "this map queues I/O without bound when its paths are gone (multipathd queueing 'on'); "
                          "it follows the configuration after multipathd reconfigure" if not m.get("unmanaged") else
                          "multipathd does not manage this map's queueing ('-', kept through a reconfigure while it "
                          "had no usable path) and its table queues: without bound until a reconfigure adopts it, "
                          "which needs a path back (run the fix again then)",
            })
    return out


def disk_findings(disks, fix):
    out = []
    for d in disks:
        if not d.get("claimed"):
            continue
        out.append({
            "check": "local_disk_not_blacklisted", "scope": "blacklist", "key": "wwid",
            "value": "%s (%s %s%s)" % (d["name"], d.get("vendor") or "", d.get("model") or "",
                                       ", in map %s" % d["holder"] if d.get("holder") else ""),
            "recommended": d.get("wwid"), "severity": "warning", "shadowed": False, "in_file": None,
            "fixable": bool(fix and d.get("wwid")),
            "reason": "a local disk that multipath claims gets a map (and, with queueing, the hang risk of a SAN "
                      "LUN); blacklist it by wwid",
        })
    return out


def _key(f):
    return (f["check"], f["scope"])


def active(findings):
    return [f for f in findings if f["severity"] == "warning" and not f["shadowed"]]


def recommended_settings(params, tool_text):
    """(what a fix writes, what the audit recommends, recheck_wwid known, uxsock_timeout known) from the module's
    options and what multipath-tools knows (the configuration texts it printed, `tool_text`): a fix writes no
    keyword the installed tools do not know; the audit names it either way."""
    supported = "recheck_wwid" in tool_text
    uxsock_supported = "uxsock_timeout" in tool_text
    uxsock = str(params["uxsock_timeout"]) if params["uxsock_timeout"] is not None else None
    recommended = {
        "no_path_retry": params["no_path_retry"], "dev_loss_tmo": params["dev_loss_tmo"],
        "recheck_wwid": "yes" if params["recheck_wwid"] and supported else None,
        "flush_on_last_del": params["flush_on_last_del"], "find_multipaths": params["find_multipaths"],
        "uxsock_timeout": uxsock if uxsock_supported else None,
        "remove_queue_if_no_path": params["remove_queue_if_no_path"],
    }
    audit_rec = dict(recommended, recheck_wwid="yes" if params["recheck_wwid"] else None, uxsock_timeout=uxsock)
    return recommended, audit_rec, supported, uxsock_supported


def settled_failure(what, running, remaining, stuck, pathless):
    """Why the daemon's state after the reconfigure/start/restart (`what`) is not the fixed one, or None."""
    if not running:
        return "multipathd does not answer 'show config' after the %s" % what
    waiting = [m["name"] for m in stuck if m["name"] in pathless]
    if waiting and not remaining and len(waiting) == len(stuck):
        return ("after the %s, maps with no active path still queue without bound: %s; multipathd "
                "applies the new setting to them once a path is back: run the fix again then (nothing "
                "was stopped, their queued I/O waits)" % (what, ", ".join(waiting)))
    if remaining or stuck:
        return ("after the %s multipathd still runs risky settings (%s) or maps still queue "
                "without bound (%s)" % (what, ", ".join(sorted(set(f["check"] for f in remaining))) or "none",
                                        ", ".join(m["name"] for m in stuck) or "none"))
    return None


def without_queue_feature_fix(findings):
    """The findings with queue_if_no_path in `features` reported but no longer fixable (remove_queue_if_no_path
    false)."""
    for f in findings:
        if f["check"] == "features_queue_if_no_path":
            f["recommended"], f["fixable"] = None, False
    return findings
