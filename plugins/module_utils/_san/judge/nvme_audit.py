# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NVMe over Fabrics audit (pure; no I/O): a host's NVMe-oF settings against NetApp's host configuration for
ONTAP (docs.netapp.com/us-en/ontap-sanhost, the NVMe-oF pages of RHEL 8/9/10 and SLES 15) and against what the
kernel does with them (drivers/nvme/host): docs/compliance.md "NVMe over Fabrics" names the sources.

Input: what observe.nvme.read_nvme_fabrics read (None when the read did not finish). A host without a fabrics
controller (transport tcp, fc or rdma) is not judged (`applicable` False, no finding); one whose controllers could
not be listed, or whose transport could not be read, is neither judged nor said to be without NVMe-oF (None).

Every value that could not be read, or that is none the kernel prints, is `nvme_unreadable` naming it: never taken
for compliant or for absent. A controller that is connecting or resetting is in a transient state: its settings are
judged and reported, it is never called dead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme as observe_nvme
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import snapshot as observe_snapshot

# the subsystem model ONTAP reports (Identify Controller MN; NetApp's udev rule and host pages match it); sysfs prints
# the 40-byte field blank padded, compared here without the padding (as udev's ATTR{model}== does)
ONTAP_MODEL = "NetApp ONTAP Controller"
# the transports of NVMe over Fabrics this audit judges (ctrl->ops->name): the facts' own list
FABRICS = observe_nvme.FABRIC_TRANSPORTS
# nvme_iopolicy_names (multipath.c): numa (the kernel's default), round-robin, queue-depth (6.11+)
IOPOLICIES = ("numa", "round-robin", "queue-depth")
RECOMMENDED_IOPOLICIES = ("round-robin", "queue-depth")
# nvme_sysfs_show_state: a controller reconnecting or being reset is neither live nor dead
TRANSIENT_STATES = ("connecting", "resetting")
KNOWN_STATES = ("new", "live", "resetting", "connecting", "deleting", "deleting (no IO)", "dead")
# NVME_DISC_SUBSYS_NAME, and the unique discovery NQN of an ONTAP SVM as `nvme discover` lists it on NetApp's pages
DISCOVERY_NQN = "nqn.2014-08.org.nvmexpress.discovery"
ONTAP_DISCOVERY_NQN = re.compile(r"^nqn\.1992-08\.com\.netapp:sn\.[0-9A-Fa-f]+:discovery\Z")
# the kernel's default ctrl_loss_tmo (fabrics.h NVMF_DEF_CTRL_LOSS_TMO): what `nvme connect` gives without -l
DEFAULT_CTRL_LOSS_TMO = 600
SECONDS = re.compile(r"^[0-9]{1,10}\Z")
_PLAIN = re.compile(r"^[\x21-\x7e]+(?: [\x21-\x7e]+)*\Z")
TCP_LIKE = ("tcp", "rdma")
AUTOCONNECT, FC_BOOT = "nvmf-autoconnect.service", "nvmefc-boot-connections.service"
DISCOVERY_CONF, CONFIG_JSON = "/etc/nvme/discovery.conf", "/etc/nvme/config.json"

# check -> severity (check_registry, area nvme; nvme_unreadable is raised to a violation when what it left unjudged
# is a violation's, as fc_unreadable)
CHECKS = check_registry.severities("nvme")


def shown(text):
    """Text the kernel or a file gave, as a reason carries it: as it is when it is plain printable ASCII, else
    ascii() (no control character or line break of the host's reaches a message)."""
    return text if isinstance(text, str) and _PLAIN.match(text) else ascii(text)


def seconds(text):
    """"off" | seconds (int) | None: ctrl_loss_tmo, fast_io_fail_tmo and reconnect_delay as sysfs prints them ("off"
    for -1, else a number); None for anything else (unread, garbage, NaN, a sign)."""
    if text == "off":
        return "off"
    return int(text) if isinstance(text, str) and SECONDS.match(text) else None


def _nvme_finding(check, obj, reason, **extra):
    out = {"check": check, "severity": CHECKS[check], "object": obj, "reason": reason, "setting": None,
           "value": None, "recommended": None, "device": None}
    out.update(extra)
    return out


def _is_discovery(nqn):
    return nqn == DISCOVERY_NQN or bool(ONTAP_DISCOVERY_NQN.match(nqn or ""))


def controllers(read):
    """[{name, subsystem, subsysnqn, transport, fabrics, kind, ontap, state, transient, address, ctrl_loss_tmo,
    fast_io_fail_tmo, reconnect_delay, hostnqn, hostid, cntlid, writable, unread}] of every controller: fabrics
    True/False/None (transport unread), kind io/discovery, ontap True/False/None (no model read), the timeouts as
    sysfs prints them, the host NQN and ID it connected with, the attributes nvme_conf may write live."""
    subs = dict((c, s) for s in (read or {}).get("subsystems") or [] for c in s.get("controllers") or [])
    out = []
    for c in (read or {}).get("controllers") or []:
        sub = subs.get(c["name"]) or {}
        nqn = sub.get("subsysnqn") or c.get("subsysnqn")
        model = sub.get("model") or c.get("model")
        discovery = (c.get("cntrltype") == "discovery" or sub.get("subsystype") == "discovery" or _is_discovery(nqn))
        transport = c.get("transport")
        out.append({"name": c["name"], "subsystem": sub.get("name"), "subsysnqn": nqn, "transport": transport,
                    "fabrics": None if transport is None else transport in FABRICS,
                    "kind": "discovery" if discovery else "io",
                    "ontap": None if model is None else model == ONTAP_MODEL, "state": c.get("state"),
                    "transient": c.get("state") in TRANSIENT_STATES, "address": c.get("address"),
                    "ctrl_loss_tmo": c.get("ctrl_loss_tmo"), "fast_io_fail_tmo": c.get("fast_io_fail_tmo"),
                    "reconnect_delay": c.get("reconnect_delay"), "hostnqn": c.get("hostnqn"),
                    "hostid": c.get("hostid"), "cntlid": c.get("cntlid"), "writable": list(c.get("writable") or []),
                    "unread": list(c.get("unread") or [])})
    return out


def subsystems(read):
    """[{name, subsysnqn, model, ontap, subsystype, iopolicy, controllers, writable, unread}] of every subsystem."""
    return [{"name": s["name"], "subsysnqn": s.get("subsysnqn"), "model": s.get("model"),
             "ontap": None if s.get("model") is None else s["model"] == ONTAP_MODEL,
             "subsystype": s.get("subsystype"), "iopolicy": s.get("iopolicy"),
             "controllers": s.get("controllers"), "writable": list(s.get("writable") or []),
             "unread": list(s.get("unread") or [])}
            for s in (read or {}).get("subsystems") or []]


def applicability(read):
    """(True | False | None, why): a host with a fabrics controller is judged; without one it is not (False); when
    the controllers could not be listed, or a controller's transport not read, it is unknown (None)."""
    if read is None:
        return None, "the read of /sys/class/nvme did not finish in time: whether this host has NVMe-oF is unknown"
    if read.get("controllers") is None:
        return None, "/sys/class/nvme could not be listed: whether this host has NVMe-oF is unknown"
    ctrls = controllers(read)
    fabrics = [c for c in ctrls if c["fabrics"]]
    if fabrics:
        by = {}
        for c in fabrics:
            by[c["transport"]] = by.get(c["transport"], 0) + 1
        return True, "%d NVMe over Fabrics controller(s): %s" % (
            len(fabrics), ", ".join("%s %d" % (t, n) for t, n in sorted(by.items())))
    unknown = [c["name"] for c in ctrls if c["fabrics"] is None]
    if unknown:
        return None, "the transport of %s could not be read: whether this host has NVMe-oF is unknown" % (
            ", ".join(unknown))
    local = len(ctrls)
    return False, "not applicable: no NVMe over Fabrics controller (tcp, fc, rdma) in /sys/class/nvme%s" % (
        " (%d local NVMe controller(s))" % local if local else "")


def judge(read):
    """The findings of the NVMe-oF audit of one host ([] when it has no fabrics controller)."""
    applicable, why = applicability(read)
    if applicable is False:
        return []
    if applicable is None:
        return [_nvme_finding("nvme_unreadable", "/sys/class/nvme", why + ": no NVMe-oF setting is judged, the host "
                              "is not known to comply", severity="violation")]
    ctrls = controllers(read)
    findings = _multipath_findings(read, ctrls)
    findings.extend(_iopolicy_findings(read, ctrls))
    for c in ctrls:
        findings.extend(_controller_findings(c))
    findings.extend(_identity_findings(read))
    findings.extend(_boot_findings(read, ctrls))
    return findings


def _multipath_findings(read, ctrls):
    """nvme_native_multipath_off: nvme_core's multipath parameter is N (or the kernel has none) while fabrics
    controllers of an ONTAP subsystem are here."""
    ontap = sorted(c["name"] for c in ctrls if c["fabrics"] and c["ontap"] and c["kind"] == "io")
    if not ontap:
        return []
    param = read.get("multipath") or {"state": "unreadable", "text": "not read"}
    where = "nvme_core.multipath"
    via = "ONTAP controllers %s" % ", ".join(ontap)
    if param["state"] == "ok" and param["text"] == "Y":
        return []
    if param["state"] == "ok" and param["text"] == "N":
        why = "native NVMe multipath is off (/sys/module/nvme_core/parameters/multipath reads N)"
    elif param["state"] == "absent" and param.get("module_loaded"):
        why = ("this kernel has no native NVMe multipath (nvme_core has no multipath parameter: "
               "CONFIG_NVME_MULTIPATH is off)")
    else:
        text = shown(param.get("text")) if param["state"] == "ok" else param.get("text") or param["state"]
        return [_nvme_finding("nvme_unreadable", where, "/sys/module/nvme_core/parameters/multipath %s: whether "
                              "native NVMe multipath is on is unknown (%s), the host is not known to comply" % (
                                  "reads %s, neither Y nor N" % text if param["state"] == "ok" else
                                  "was not read (%s)" % text, via), severity="violation", setting="multipath")]
    return [_nvme_finding(
        "nvme_native_multipath_off", where, "%s with %s: every path of an ONTAP namespace is a block device of its "
        "own and the kernel does not follow ANA, which NetApp's NVMe-oF host configuration needs to survive a storage "
        "failover" % (why, via), setting="multipath", value=param.get("text") or "(no parameter)", recommended="Y")]


def _iopolicy_findings(read, ctrls):
    """nvme_iopolicy: the I/O policy of an ONTAP NVM subsystem is not one NetApp recommends."""
    findings = []
    if read.get("subsystems") is None:
        return [_nvme_finding("nvme_unreadable", "/sys/class/nvme-subsystem", "/sys/class/nvme-subsystem could not be "
                              "listed: no ONTAP subsystem's iopolicy is judged, the host is not known to comply",
                              severity="violation", setting="iopolicy")]
    fabrics = set(c["name"] for c in ctrls if c["fabrics"])
    for s in subsystems(read):
        # a subsystem whose model was not read is ONTAP when a controller of it says so (controllers() falls back
        # to the controller's model; one that neither names is nvme_unreadable there)
        ontap = s["ontap"] if s["ontap"] is not None else any(c["ontap"] for c in ctrls
                                                              if c["name"] in (s["controllers"] or []))
        if not ontap or s["subsystype"] == "discovery" or _is_discovery(s["subsysnqn"]):
            continue
        if s["controllers"] is not None and not fabrics & set(s["controllers"]):
            continue
        where = "%s (%s)" % (s["name"], shown(s["subsysnqn"]))
        policy = s["iopolicy"]
        if policy in RECOMMENDED_IOPOLICIES:
            continue
        if policy is None and "iopolicy" not in s["unread"]:
            continue  # no CONFIG_NVME_MULTIPATH: nvme_native_multipath_off says so
        if policy == "numa":
            findings.append(_nvme_finding(
                "nvme_iopolicy", s["subsysnqn"] or s["name"], "ONTAP subsystem %s has I/O policy numa (the kernel's "
                "default): I/O goes to the one path nearest the submitting CPU's node, not across the optimized "
                "paths; NetApp's udev rule (nvme-cli 71-nvmf-netapp.rules) sets queue-depth where the kernel has it "
                "(RHEL 9.6+, SLES 15 SP6+), round-robin before" % where, setting="iopolicy", value="numa",
                recommended=" or ".join(RECOMMENDED_IOPOLICIES), device=s["name"]))
            continue
        problem = "was not read" if policy is None else "reads %s, no I/O policy the kernel prints (%s)" % (
            shown(policy), ", ".join(IOPOLICIES))
        findings.append(_nvme_finding("nvme_unreadable", s["subsysnqn"] or s["name"], "ONTAP subsystem %s: iopolicy "
                                      "%s: not judged, the host is not known to comply" % (where, problem),
                                      severity="violation", setting="iopolicy", device=s["name"]))
    return findings


def _state_text(c):
    state = c["state"]
    if state is None:
        return "in a state that was not read"
    if state in TRANSIENT_STATES:
        return "%s (transient: it is reconnecting or being reset now, not dead)" % state
    return state if state in KNOWN_STATES else "in state %s" % shown(state)


def _controller_findings(c):
    """ctrl_loss_tmo of one fabrics I/O controller (nvme_ctrl_loss_unbounded), and what of it could not be read."""
    if c["fabrics"] is False:
        return []
    address = ", " + shown(c["address"]) if c["address"] else ""
    nqn = shown(c["subsysnqn"]) if c["subsysnqn"] else "not read"
    where = "%s (%s%s, %s, subsystem %s)" % (c["name"], c["transport"] or "transport unread", address,
                                             _state_text(c), nqn)
    scope = {} if c["ontap"] is not False else {"severity": "info"}
    aside = "" if c["ontap"] is not False else " (for information: not an ONTAP subsystem)"
    missing, bad = [], []
    if c["fabrics"] is None:
        missing.append("transport")
    if c["ontap"] is None and c["kind"] == "io":
        missing.append("model")
    if c["fabrics"] and c["kind"] == "io":
        if c["ctrl_loss_tmo"] is None:
            missing.append("ctrl_loss_tmo")
        elif seconds(c["ctrl_loss_tmo"]) is None:
            bad.append("ctrl_loss_tmo reads %s, neither off nor a number of seconds" % shown(c["ctrl_loss_tmo"]))
    unread = sorted(set(missing + [a for a in c["unread"] if a not in missing]))
    findings = []
    if unread or bad:
        judged = bool(missing or bad) and c["ontap"] is not False
        problems = bad + (["%s not read" % ", ".join(unread)] if unread else [])
        tail = ": its settings are not judged, the host is not known to comply" if judged else ""
        findings.append(_nvme_finding("nvme_unreadable", c["name"], "%s: %s%s" % (where, "; ".join(problems), tail),
                                      **({"severity": "violation"} if judged else {})))
    if c["fabrics"] and c["kind"] == "io" and c["ctrl_loss_tmo"] == "off":
        findings.append(_unbounded(c, where, aside, scope))
    return findings


def _unbounded(c, where, aside, scope):
    fast = seconds(c["fast_io_fail_tmo"])
    if fast == "off":
        io = ("and fast_io_fail_tmo is off, so while it reconnects I/O to a namespace with no live path stays queued "
              "(the kernel requeues it while any of its controllers is live, resetting or connecting): the NVMe form "
              "of no_path_retry queue")
    elif fast is not None:
        io = ("fast_io_fail_tmo %d s fails I/O after that, but the controller and its namespace paths are never "
              "removed" % fast)
    else:
        io = "fast_io_fail_tmo %s, so whether I/O queues meanwhile is unknown" % (
            "not read" if c["fast_io_fail_tmo"] is None else "reads %s" % shown(c["fast_io_fail_tmo"]))
    delay = seconds(c["reconnect_delay"])
    every = " (every %d s)" % delay if isinstance(delay, int) else ""
    return _nvme_finding(
        "nvme_ctrl_loss_unbounded", c["name"], "%s: ctrl_loss_tmo is off: when its target port (LIF) is gone it "
        "reconnects forever%s, %s%s" % (where, every, io, aside),
        setting="ctrl_loss_tmo", value="off", recommended="a number of seconds (the kernel's default is %d)"
        % DEFAULT_CTRL_LOSS_TMO, device=c["subsysnqn"], **scope)


# what a connect sends without the file: libnvme's nvme_default_host generates a host NQN (nvmf_hostnqn_generate);
# the kernel's default host (fabrics.c nvmf_host_default) is a random NQN and ID made when nvme_fabrics loads
ABSENT = {"hostnqn": "nvme-cli generates a host NQN at each run instead (libnvme nvmf_hostnqn_generate), not the "
                     "file NetApp's host configuration checks against the hosts of the ONTAP subsystem",
          "hostid": "the host ID a connect sends is not read from a file (the kernel's default host ID is a random "
                    "UUID made when nvme_fabrics loads, another after a reboot)"}


def _without_cli(read):
    """What a finding about nvme-cli's files or units adds on a host without nvme-cli (read["nvme_cli"] False)."""
    return ("; nvme-cli is not installed (nvme not found): it writes /etc/nvme/hostnqn and hostid and ships the "
            "boot units, install it" if read.get("nvme_cli") is False else "")


def _identity_findings(read):
    """/etc/nvme/hostnqn and hostid: absent or not an NQN / a UUID (nvme_hostnqn_invalid, nvme_hostid_invalid), the
    forms and the reads of observe.snapshot.nvme_host (one definition); a file not read is nvme_unreadable."""
    raw = read.get("host") or {}
    hostnqn, hostid, why = observe_snapshot.nvme_host(raw)
    values = {"hostnqn": hostnqn, "hostid": hostid}
    findings = []
    for key, path, _form, what in observe_snapshot.NVME_HOST_CHECKS:
        state = (raw.get(key) or {}).get("state", "unread")
        if values[key] is not None:
            continue
        if state == "absent":
            reason = "%s is absent (or empty): %s%s" % (path, ABSENT[key], _without_cli(read))
        elif state in ("ok", "undecodable"):
            reason = "%s: %s (%s)" % (path, why.get(path) or "not %s" % what, (
                "NVMe Base Specification, NVMe Qualified Names" if key == "hostnqn" else
                "the kernel parses the host ID as a UUID, fabrics.c"))
        else:
            findings.append(_nvme_finding("nvme_unreadable", path, "%s %s: the host identity is unknown%s" % (
                path, why.get(path) or "was not read", ", the host is not known to comply" if key == "hostnqn" else
                ""), **({"severity": "violation"} if key == "hostnqn" else {})))
            continue
        findings.append(_nvme_finding("nvme_hostnqn_invalid" if key == "hostnqn" else "nvme_hostid_invalid", path,
                                      reason, setting=key,
                                      value="(absent)" if state == "absent" else None))
    return findings


def _boot_findings(read, ctrls):
    """nvme_autoconnect_off: a boot unit of nvme-cli NetApp verifies enabled is not, or nvmf-autoconnect has nothing
    to connect for the TCP/RDMA controllers (its unit runs only when discovery.conf or config.json exists)."""
    units = read.get("units") or {}
    transports = set(c["transport"] for c in ctrls if c["fabrics"])
    findings = []
    wanted = [AUTOCONNECT] + ([FC_BOOT] if "fc" in transports else [])
    for unit in wanted:
        u = units.get(unit) or {"state": "unknown", "unread": ["not read"]}
        if u["state"] == "enabled":
            continue
        if u["state"] == "unknown":
            findings.append(_nvme_finding("nvme_unreadable", unit, "whether %s is enabled is unknown: %s" % (
                unit, "; ".join(u.get("unread") or []))))
            continue
        findings.append(_nvme_finding(
            "nvme_autoconnect_off", unit, "%s is %s: %s%s" % (unit, u["state"].replace("_", " "), (
                "the NVMe/TCP and NVMe/RDMA connections listed in discovery.conf / config.json are not made again "
                "at boot" if unit == AUTOCONNECT else "the NVMe/FC connections are not made again at boot"),
                _without_cli(read)),
            setting=unit, value=u["state"], recommended="enabled"))
    if transports & set(TCP_LIKE) and (units.get(AUTOCONNECT) or {}).get("state") == "enabled":
        findings.extend(_discovery_findings(read))
    return findings


def _discovery_findings(read):
    files = read.get("files") or {}
    conf = files.get(DISCOVERY_CONF) or {"state": "unreadable", "why": "not read"}
    config = files.get(CONFIG_JSON) or {"state": "unreadable", "why": "not read"}
    unread = ["%s: %s" % (p, f.get("why") or f["state"]) for p, f in ((DISCOVERY_CONF, conf), (CONFIG_JSON, config))
              if f["state"] not in ("ok", "absent")]
    if config["state"] == "ok" or (conf["state"] == "ok" and conf.get("entries")):
        return []
    if unread:
        return [_nvme_finding("nvme_unreadable", AUTOCONNECT, "what %s connects at boot is unknown: %s not read" % (
            AUTOCONNECT, "; ".join(unread)))]
    return [_nvme_finding(
        "nvme_autoconnect_off", AUTOCONNECT, "%s is enabled but has nothing to connect at boot: %s and %s is absent "
        "(the unit runs only when one of them exists, and connects what they list)" % (
            AUTOCONNECT, "discovery.conf has no entry" if conf["state"] == "ok" else "discovery.conf is absent",
            CONFIG_JSON), setting=DISCOVERY_CONF, value="no entry" if conf["state"] == "ok" else "(absent)",
        recommended="the discovery controllers of the ONTAP SVMs in discovery.conf (or config.json)")]


def audit(read):
    """What nvme_conf returns: {applicable, applicable_reason, findings, native_multipath, subsystems, controllers,
    host_identity, discovery, units} (a part None when it was not read)."""
    applicable, why = applicability(read)
    read_ok = read or {}
    hostnqn, hostid, unread = observe_snapshot.nvme_host(read_ok.get("host"))
    return {
        "applicable": applicable,
        "applicable_reason": why,
        "findings": judge(read),
        "native_multipath": (read_ok.get("multipath") or {}).get("text") if read is not None else None,
        # None: not read (unknown, not none)
        "subsystems": subsystems(read) if read_ok.get("subsystems") is not None else None,
        "controllers": controllers(read) if read_ok.get("controllers") is not None else None,
        "host_identity": {"hostnqn": hostnqn, "hostid": hostid, "unread": unread} if read is not None else None,
        "discovery": read_ok.get("files") if read is not None else None,
        "units": read_ok.get("units") if read is not None else None,
    }
