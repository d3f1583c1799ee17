# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FC audit (pure; no I/O): each target remote port's dev_loss_tmo / fast_io_fail_tmo against what multipathd
should have written there from the effective multipath settings, and the FC ports' states.

multipathd writes both timeouts to the rport of every FC path it adds (or reconfigures). The rules below follow
multipath-tools' libmultipath/discovery.c (sysfs_set_scsi_tmo, sysfs_set_rport_tmo), libmultipath/propsel.c
(select_dev_loss, select_fast_io_fail: overrides > device entry > defaults; fast_io_fail_tmo defaults to 5,
dev_loss_tmo to "not set") and libmultipath/defaults.h (DEFAULT_CHECKINT 5, DEFAULT_DEV_LOSS_TMO 600,
MAX_DEV_LOSS_TMO UINT_MAX), opensvc/multipath-tools c2fcdaf (2026-02):

* no_path_retry N > 0 raises dev_loss_tmo to at least N x polling_interval, padded by one second per minute and
  one default check interval (5 s) since multipath-tools 0.9.9 (not padded before); no_path_retry queue raises
  it to infinity (UINT_MAX);
* dev_loss_tmo "infinity" is UINT_MAX; not set, multipathd leaves the rport's value alone - before 0.10.2 even
  when no_path_retry asks for a minimum (since 0.10.2 an unset dev_loss_tmo is raised to that minimum);
* fast_io_fail_tmo >= dev_loss_tmo is ignored: multipathd turns fast_io_fail off;
* with fast_io_fail off (or 0) dev_loss_tmo is capped at 600 s unless no_path_retry is queue (the kernel refuses
  more than 600 s without fast_io_fail).

The snapshot's `host` carries what was read (observe.snapshot: fc_hosts, fc_rports); `tmo_settings` is the part of
the effective configuration (multipathd show config) these rules need, returned by multipath_conf state=audit,
with the multipath-tools version it talked to (`multipath_tools_version`, None when unknown: then any value one
of the generations would write is accepted) and the audit's scope (`scope`, its `devices` option).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_audit as judge_multipath_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import snapshot as observe_snapshot
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import normalize_initiator

import re

UINT_MAX = 4294967295
DEFAULT_CHECKINT = 5
DEFAULT_FAST_IO_FAIL = 5
DEFAULT_DEV_LOSS_TMO = 600
# A dead rport (and its sd devices) stays this long at least: past an hour it outlives any path outage worth
# waiting for, and the stale devices it keeps are what the collection exists to clean up.
DEV_LOSS_LONG = 3600
TMO_KEYS = ("no_path_retry", "dev_loss_tmo", "fast_io_fail_tmo")
DOWN_STATES = ("Blocked", "Not Present")
# the rport states in which its paths carry I/O: Marginal is a degraded link the fabric reported (FPIN), not a
# dead one. Any other state -- down, or one this audit does not know -- is not known to carry I/O (fail closed)
UP_STATES = ("Online", "Marginal")
LINK_DOWN_STATES = ("Linkdown", "Offline")

# What multipath_conf audits when its `devices` option is left alone: the scope of a tmo_settings without one.
DEFAULT_SCOPE = ({"vendor": "NETAPP", "product": "LUN"},)
VERSION_RE = re.compile(r"multipath-tools v?(\d+)\.(\d+)\.(\d+)")
# The generations of sysfs_set_scsi_tmo (libmultipath/discovery.c): (first version, label, pads the minimum by
# n/60 + 5, raises an unset dev_loss_tmo to the minimum). Newest first.
GENERATIONS = (
    ((0, 10, 2), ">= 0.10.2", True, True),
    ((0, 9, 9), "0.9.9 - 0.10.1", True, False),
    ((0, 0, 0), "<= 0.9.8", False, False),
)

# check -> severity (check_registry, area fc: like the multipath checks, a setting that keeps stale devices is a
# violation, a state of the fabric a warning, as some_paths_failed)
CHECKS = check_registry.severities("fc")


def tmo_settings(eff):
    """The part of an effective configuration (judge.multipath_audit.to_dict of `multipathd show config`) the rport
    rules read: polling_interval, and no_path_retry / dev_loss_tmo / fast_io_fail_tmo of defaults, overrides,
    the device entries that set one of them (in order: the later matching entry wins) and multipaths."""
    def pick(values):
        return dict((k, values[k]) for k in TMO_KEYS if values.get(k) is not None)
    defaults = eff.get("defaults") or {}
    return {
        "polling_interval": defaults.get("polling_interval"),
        "defaults": pick(defaults),
        "overrides": pick(eff.get("overrides") or {}),
        "devices": [dict(pick(e), vendor=e.get("vendor"), product=e.get("product"))
                    for e in eff.get("devices") or [] if pick(e)],
        "multipaths": [{"wwid": e.get("wwid"), "no_path_retry": e["no_path_retry"]}
                       for e in eff.get("multipaths") or [] if e.get("no_path_retry") is not None],
    }


def parse_version(text):
    """(major, minor, patch) from `multipath -h`'s first line (multipath-tools v0.9.4 (01/01, 2023)), or None."""
    m = VERSION_RE.search(text or "")
    return tuple(int(x) for x in m.groups()) if m else None


def generation(version):
    """The sysfs_set_scsi_tmo generation of a multipath-tools version ("0.9.4" or a tuple); None when unknown."""
    if isinstance(version, str):
        version = parse_version("multipath-tools " + version)
    if not version:
        return None
    return next(g for g in GENERATIONS if tuple(version) >= g[0])


def _number(value):
    text = str(value).strip().strip('"')
    return int(text) if text.lstrip("-").isdigit() else None


def expected_tmo(settings, vendor, product, wwid=None, gen=None):
    """(dev_loss_tmo, fast_io_fail_tmo, problems) multipathd writes to the rport of a path of this device, by the
    rule of the multipath-tools version in settings (or of `gen`, an entry of GENERATIONS; the newest rule when
    neither says). dev_loss_tmo: seconds (UINT_MAX = infinity) or None (left alone); fast_io_fail_tmo: seconds
    or "off"."""
    return _expected(settings, vendor, product, wwid, gen)[:3]


def candidates(settings, vendor, product, wwid=None):
    """[(dev_loss_tmo, fast_io_fail_tmo, generation label, fast_io_fail turned off by a dev_loss_tmo not above
    it)], problems: what the version in settings writes, or with the version unknown what each generation would."""
    gen = generation(settings.get("multipath_tools_version"))
    out, problems = [], []
    for g in [gen] if gen else GENERATIONS:
        dev, fast, problems, turned_off = _expected(settings, vendor, product, wwid, g)
        if problems:
            return [], problems
        out.append((dev, fast, g[1], turned_off))
    return out, problems


def _expected(settings, vendor, product, wwid, gen):
    gen = gen or generation(settings.get("multipath_tools_version")) or GENERATIONS[0]
    padding, raise_unset = gen[2], gen[3]
    problems = []
    eff = {"defaults": settings.get("defaults") or {}, "overrides": settings.get("overrides") or {},
           "devices": settings.get("devices") or []}
    npr = next((e["no_path_retry"] for e in settings.get("multipaths") or []
                if wwid and e.get("wwid") == wwid), None)
    if npr is None:
        npr = judge_multipath_audit.resolve(eff, vendor or "", product or "", "no_path_retry")[0]
    queue = str(npr).strip('"') == "queue"
    retries = _number(npr) if npr is not None and not queue else None
    checkint = DEFAULT_CHECKINT
    if settings.get("polling_interval") is not None:
        checkint = _number(settings["polling_interval"])
        if checkint is None or checkint < 1:
            problems.append("polling_interval %r is not a number of seconds" % settings["polling_interval"])
            return None, None, problems, False
    if retries is not None and retries > 0:
        padded = retries * checkint
        if padding:
            padded += padded // 60 + DEFAULT_CHECKINT
        min_dev_loss = min(padded, UINT_MAX)
    elif queue:
        min_dev_loss = UINT_MAX
    else:
        min_dev_loss = 0
    raw_dev = judge_multipath_audit.resolve(eff, vendor or "", product or "", "dev_loss_tmo")[0]
    if raw_dev is None:
        dev = 0
    elif str(raw_dev).strip('"') == "infinity":
        dev = UINT_MAX
    else:
        dev = _number(raw_dev)
        if dev is None or dev < 0:
            problems.append("dev_loss_tmo %r is not a number of seconds" % raw_dev)
            return None, None, problems, False
    raw_fast = judge_multipath_audit.resolve(eff, vendor or "", product or "", "fast_io_fail_tmo")[0]
    if raw_fast is None:
        fast = DEFAULT_FAST_IO_FAIL
    elif str(raw_fast).strip('"') in ("off", "-1"):
        fast = "off"
    else:
        fast = _number(raw_fast)
        if fast is None or fast < 0:
            problems.append("fast_io_fail_tmo %r is not a number of seconds" % raw_fast)
            return None, None, problems, False
    if dev == 0 and min_dev_loss:
        if raise_unset:
            dev = min_dev_loss
    elif dev < min_dev_loss:
        dev = min_dev_loss
    turned_off = False
    if dev and fast != "off" and fast > 0 and fast >= dev:
        fast, turned_off = "off", True
    if (fast == "off" or fast == 0) and dev > DEFAULT_DEV_LOSS_TMO and not queue:
        dev = DEFAULT_DEV_LOSS_TMO
    return (dev or None), fast, problems, turned_off


def observed_tmo(rport):
    """(dev_loss_tmo seconds or None, fast_io_fail_tmo seconds / "off" / None) as read from the rport."""
    dev = _number(rport.get("dev_loss_tmo")) if rport.get("dev_loss_tmo") is not None else None
    raw = rport.get("fast_io_fail_tmo")
    if raw is None:
        fast = None
    elif str(raw).strip() in ("off", "-1"):
        fast = "off"
    else:
        fast = _number(raw)
    return dev, fast


def show_seconds(value):
    if value is None:
        return "(unread)"
    return "infinity" if value == UINT_MAX else str(value)


def is_target(rport):
    """A remote port whose roles name FCP Target; unread roles count (judged, with their problem)."""
    roles = rport.get("roles")
    return roles is None or "FCP Target" in roles


def rport_devices(snapshot, rport):
    """The sd devices below this rport: as the snapshot recorded them with the rport (the compact fact keeps no
    healthy disk), else found in the snapshot's disks (a hand-made snapshot)."""
    if rport.get("devices") is not None:
        return rport["devices"]
    return observe_snapshot.rport_devices(snapshot.get("disks"), rport)


def _finding(check, obj, reason, **extra):
    out = {"check": check, "severity": CHECKS[check], "object": obj, "reason": reason, "setting": None,
           "value": None, "recommended": None, "device": None}
    out.update(extra)
    return out


def judge(snapshot, settings=None, wwpn_form=normalize_initiator):
    """Findings of the FC audit of one host. snapshot: ansible_facts.san (host.fc_hosts, host.fc_rports, disks);
    settings: tmo_settings of the effective configuration, or None when the multipath audit did not run (then the
    comparison with the configuration is left out, the other checks stay). wwpn_form: the display form of a
    WWPN in the findings' objects."""
    host = snapshot.get("host") or {}
    findings = _host_port_findings(host, wwpn_form)
    if host.get("fc_rports") is None and host.get("fc_hosts"):
        findings.append(_finding(
            "fc_unreadable", "fc_remote_ports", "the FC remote ports (/sys/class/fc_remote_ports) were not read: no "
            "target port's dev_loss_tmo / fast_io_fail_tmo is judged, the host is not known to comply",
            severity="violation"))
    scope = list(settings.get("scope") or []) if settings and settings.get("scope") is not None \
        else list(DEFAULT_SCOPE)
    for r in host.get("fc_rports") or []:
        if is_target(r):
            findings.extend(_rport_findings(snapshot, r, settings, scope, wwpn_form))
    return findings


def _host_port_findings(host, wwpn_form):
    findings = []
    for h in host.get("fc_hosts") or []:
        name = "host%s" % h.get("host")
        wwpn = wwpn_form(h["wwpn"]) if h.get("wwpn") else name
        unread = [k for k in ("wwpn", "port_state") if h.get(k) is None] + list(h.get("problems") or [])
        if unread:
            findings.append(_finding("fc_unreadable", wwpn, "FC host %s: %s not read" % (name, ", ".join(unread))))
        if h.get("port_state") is not None and h["port_state"] not in UP_STATES:
            findings.append(_finding(
                "fc_host_linkdown", wwpn, "FC host port %s (%s) is %s: every path through it is %s"
                % (wwpn, name, h["port_state"], "down" if h["port_state"] in LINK_DOWN_STATES else
                   "not known to carry I/O (not Online or Marginal)"), setting="port_state", value=h["port_state"],
                recommended="Online"))
    return findings


def _rport_findings(snapshot, r, settings, scope, wwpn_form):
    """The findings of one target rport: unread attributes, down with devices, its timeouts."""
    findings = []
    wwpn = wwpn_form(r["port_name"]) if r.get("port_name") else r.get("rport") or "rport"
    where = "target port %s (%s on host%s)" % (wwpn, r.get("rport"), r.get("host"))
    devices = rport_devices(snapshot, r)
    names = [d["name"] for d in devices]
    paths = [d for d in devices if d.get("map")]
    # the collection's remedy (multipath_conf, its devices) reaches these paths only: another array's rport
    # is for information
    in_scope = any(d.get("vendor") and judge_multipath_audit.entry_matches(t, d["vendor"], d.get("model") or "")
                   for d in paths for t in scope)
    aside = "" if in_scope else (" (for information: its paths are not devices of the audit's scope %s)"
                                 % ", ".join("%s/%s" % (t.get("vendor"), t.get("product")) for t in scope))
    unread = [k for k in ("port_name", "port_state", "roles", "dev_loss_tmo", "fast_io_fail_tmo")
              if r.get(k) is None] + list(r.get("problems") or [])
    if unread:
        # an in-scope rport whose timeouts were not read is not known to comply (as lvm's device_unreadable)
        unjudged = in_scope and (r.get("dev_loss_tmo") is None or r.get("fast_io_fail_tmo") is None)
        findings.append(_finding("fc_unreadable", wwpn, "%s: %s not read; its timeouts are not judged%s"
                                 % (where, ", ".join(unread), ", the host is not known to comply"
                                    if unjudged else ""), **({"severity": "violation"} if unjudged else {})))
    if r.get("port_state") is not None and r["port_state"] not in UP_STATES and devices:
        findings.append(_finding(
            "rport_down_with_devices", wwpn, "%s is %s%s with %d device(s) still below it: %s"
            % (where, r["port_state"], "" if r["port_state"] in DOWN_STATES else
               " (not Online or Marginal: not known to carry I/O)", len(names), ", ".join(names)),
            setting="port_state", value=r["port_state"], device=", ".join(names)))
    if not paths:
        return findings  # multipathd sets the timeouts of its paths' rports only
    expected = []
    if settings is not None and not unread:
        for d in paths:
            found, problems = candidates(settings, d.get("vendor"), d.get("model"), d.get("wwid"))
            if problems:
                findings.append(_finding("fc_unreadable", wwpn, "%s: the multipath settings of %s cannot be "
                                         "judged: %s" % (where, d["name"], "; ".join(problems))))
                continue
            expected.extend((c, d["name"]) for c in found)
    context = {"wwpn": wwpn, "where": where, "aside": aside, "severity": {} if in_scope else {"severity": "info"}}
    findings.extend(_timeout_findings(r, expected, context))
    mismatch = _mismatch_finding(r, expected, settings, context)
    if mismatch:
        findings.append(mismatch)
    return findings


def _timeout_findings(r, expected, context):
    """fast_io_fail off, dev_loss_tmo too long: judged on the rport's own values."""
    findings = []
    wwpn, where, aside, severity = context["wwpn"], context["where"], context["aside"], context["severity"]
    dev, fast = observed_tmo(r)
    if fast == "off":
        recommended = str(DEFAULT_FAST_IO_FAIL)
        turned_off = [e[0] for e in expected if e[0][3]]
        if turned_off and len(turned_off) == len(expected):
            # multipathd turns fast_io_fail off itself while dev_loss_tmo is not above it: a fast_io_fail_tmo
            # alone would be turned off again
            recommended = "dev_loss_tmo above fast_io_fail_tmo in the multipath settings (or both, as a pair)"
        findings.append(_finding(
            "rport_fast_io_fail_off", wwpn, "%s: fast_io_fail_tmo is off: I/O on its paths waits for "
            "dev_loss_tmo (%s s) before multipath fails over%s%s" % (
                where, show_seconds(dev), "; multipathd turned it off because the configured dev_loss_tmo "
                "is not above fast_io_fail_tmo" if recommended != str(DEFAULT_FAST_IO_FAIL) else "", aside),
            setting="fast_io_fail_tmo", value="off", recommended=recommended, **severity))
    if dev is not None and dev >= DEV_LOSS_LONG:
        findings.append(_finding(
            "rport_dev_loss_long", wwpn, "%s: dev_loss_tmo is %s: a dead rport %s, and its sd devices stay "
            "as stale devices%s" % (where, show_seconds(dev), "is never removed" if dev == UINT_MAX
                                    else "is removed only after %d s" % dev, aside),
            setting="dev_loss_tmo", value=show_seconds(dev), recommended="a number of seconds below %d"
            % DEV_LOSS_LONG, **severity))
    return findings


def _mismatch_finding(r, expected, settings, context):
    """rport_tmo_mismatch when no value multipathd would write from the effective settings is the rport's, or None."""
    dev, fast = observed_tmo(r)
    if not expected or any((e[0][0] is None or e[0][0] == dev) and e[0][1] == fast for e in expected):
        return None
    want_dev, want_fast, label = expected[0][0][:3]
    via = sorted(set(n for c, n in expected if (c[0], c[1]) == (want_dev, want_fast)))
    differ = []
    if want_dev is not None and want_dev != dev:
        differ.append("dev_loss_tmo %s (multipath wants %s)" % (show_seconds(dev), show_seconds(want_dev)))
    if want_fast != fast:
        differ.append("fast_io_fail_tmo %s (multipath wants %s)" % (fast, want_fast))
    if generation(settings.get("multipath_tools_version")):
        rule = "multipath-tools %s (rule %s)" % (settings.get("multipath_tools_version"), label)
    else:
        rule = "multipath-tools version unknown: any value one of its generations would write is accepted " \
               "(%s)" % "; ".join(sorted(set("%s: dev_loss_tmo %s, fast_io_fail_tmo %s" % (
                   c[2], show_seconds(c[0]) if c[0] is not None else "left alone", c[1])
                   for c in (e[0] for e in expected))))
    dev_differs = want_dev is not None and want_dev != dev
    return _finding(
        "rport_tmo_mismatch", context["wwpn"], "%s: %s, from the effective multipath settings of its paths %s: "
        "multipathd did not apply them%s; %s%s" % (
            context["where"], "; ".join(differ) or "dev_loss_tmo %s" % show_seconds(dev), ", ".join(via),
            " (it cannot while the rport is %s)" % r["port_state"] if r.get("port_state") in DOWN_STATES
            else "", rule, context["aside"]),
        setting="dev_loss_tmo" if dev_differs else "fast_io_fail_tmo",
        value=show_seconds(dev) if dev_differs else str(fast),
        recommended=show_seconds(want_dev) if dev_differs else str(want_fast),
        device=", ".join(via), **context["severity"])


def ports(snapshot, wwpn_form=normalize_initiator):
    """What the reports list per host: initiators (the FC host ports) and targets (the target remote ports)."""
    host = snapshot.get("host") or {}

    def form(value):
        return wwpn_form(value) if value else None
    initiators = [{"host": "host%s" % h.get("host"), "wwpn": form(h.get("wwpn")), "node_name": form(h.get("node_name")),
                   "state": h.get("port_state"), "speed": h.get("speed"), "fabric": h.get("fabric_name")}
                  for h in host.get("fc_hosts") or []]
    by_host = dict((h.get("host"), h.get("wwpn")) for h in host.get("fc_hosts") or [])
    if host.get("fc_rports") is None:
        return {"initiators": initiators, "targets": None}  # not read: unknown, not "no target"
    targets = []
    for r in host.get("fc_rports") or []:
        if not is_target(r):
            continue
        dev, fast = observed_tmo(r)
        targets.append({"rport": r.get("rport"), "wwpn": form(r.get("port_name")),
                        "node_name": form(r.get("node_name")), "state": r.get("port_state"),
                        "initiator": form(by_host.get(r.get("host"))),
                        "dev_loss_tmo": show_seconds(dev) if dev is not None else None,
                        "fast_io_fail_tmo": str(fast) if fast is not None else None,
                        "devices": [d["name"] for d in rport_devices(snapshot, r)]})
    return {"initiators": initiators, "targets": targets}


def tools_version(text):
    """The multipath-tools version ("0.9.4") `multipath -h` names, None when it names none."""
    version = parse_version(text)
    return ".".join(str(n) for n in version) if version else None
