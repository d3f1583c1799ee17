# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NVMe family's judge (pure): each namespace behind a fabrics controller, and each fabrics controller, against
the NVMe truth of the array (docs/ontap.md, "NVMe truth"). Nothing here reads or writes.

What identifies a namespace on both sides: the subsystem NQN its controllers report and its NSID in that
subsystem (a subsystem map is exactly that pair), cross-checked by its UUID (sysfs `uuid`: the UUID descriptor of
Identify Namespace, which nvme-cli's `nvme netapp ontapdevices` prints as the ONTAP namespace's UUID). Another UUID
at the same pair is another namespace at that NSID: a reused NSID, never stale.

What the kernel keeps (lab findings 15, 16): a live controller drops an unmapped namespace on its own at the
namespace-changed event; a controller that is not live cannot hear it, and keeps its path with the last ANA state
it had. So a namespace a live controller still presents is mapped, whatever its ANA state says (the truth is then
older than the host), and only one whose every controller is not live can be one the array no longer maps.

What the truth covers: the SVM serving a subsystem NQN, and only at its LIFs: its NVMe/TCP addresses, and the
WWPNs of its NVMe/FC LIFs (an NVMe/FC controller's target port name, the pn of its `traddr`). A path to another
address or port may be another cluster's LIF presenting the same subsystem (SnapMirror active sync): a namespace
the SVM read does not map is then not covered (never stale), and the controller to it is the sole path of that
namespace. A path whose target cannot be told (an address the kernel's format does not give, another transport)
or an SVM whose list of that transport's LIFs came back empty covers nothing. The host NQN is the one each
controller connected with, never the host-wide /etc/nvme/hostnqn.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    InvalidInput, address_text, nguid_text, normalize_initiator, nsid_number, uuid_text)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.coverage import address_key
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import is_epoch, shown
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import fc_port_name, is_fabrics

# NVMe's words in the plan (judge.families.Family.actions; its steps are made by plan/nvme.py): an NVMe-oF controller
# that is not live, deleted, and waited for. What the act of each action reads besides the identity it re-checks:
#   namespaces                              the namespaces behind a controller, each with its role (act.nvme)
#   unit_controllers                        the controllers of its unit, which go together (act.nvme says what a
#                                           unit stopped half-way leaves)
#   vanishing, vanishing_via                the unmapped namespaces that go with a controller, and through which
#                                           other controllers of the plan they are also reached
PLAN_ACTIONS = (
    ("controller", "delete_controller", ("namespaces", "unit_controllers")),
    ("controller", "wait_controller_gone", ("vanishing", "vanishing_via")),
)


def object_names(snapshot):
    """The names an NVMe unit's label may give (judge.families.Family.object_names): the controllers'."""
    return set(c.get("name") for c in (snapshot.get("nvme") or {}).get("controllers") or [])


def device_lines(san, steps):
    """The NVMe-oF controllers and namespaces of the host as --diff lists them (judge.families.Family.device_lines),
    less what `steps` remove: the controllers they delete, the namespaces that vanish with them, and each remaining
    namespace by the controllers left to present it. Names shown escaped (validate.shown)."""
    gone_controllers = set(st.target for st in steps if st.action == "delete_controller")
    gone_namespaces = set(n for st in steps if st.action == "wait_controller_gone"
                          for n in st.options.get("vanishing") or [])
    nvme = san.get("nvme") or {}
    controllers = ["nvme controller %s %s %s %s" % (shown(c.get("name")), shown(c.get("state")),
                                                    shown(c.get("transport")), shown(address_text(c.get("address"))))
                   for c in nvme.get("controllers") or []
                   if is_fabrics(c.get("transport")) and c.get("name") not in gone_controllers]
    namespaces = ["nvme namespace %s (%s)" % (shown(ns.get("name")), " ".join(sorted(
        shown(p.get("controller")) for p in ns.get("paths") or [] if p.get("controller") not in gone_controllers)))
        for ns in nvme.get("namespaces") or [] if ns.get("fabrics") and ns.get("name") not in gone_namespaces]
    return controllers + namespaces


# the ANA states a path can do I/O in (NVMe base spec, "Asymmetric Namespace Access"; nvme_ana_state_names)
ANA_USABLE = ("optimized", "non-optimized")


class NvmeTruthError(InvalidInput):
    """The NVMe truth is not the documented contract (a caller's bad input: nothing is read or judged)."""


def _list(value, what):
    if value is None:
        return []
    if not isinstance(value, list):
        raise NvmeTruthError("%s must be a list, got %s" % (what, type(value).__name__))
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            raise NvmeTruthError("%s[%d] must be a dict, got %s" % (what, n, type(item).__name__))
    return value


def _strings(value, what, empty=True):
    """A list of non-blank strings, else NvmeTruthError (a string is no list of them: never iterated by letter)."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value) or not (
            empty or value):
        raise NvmeTruthError("%s must be a list of %sstrings, got %r" % (what, "" if empty else "one or more ", value))
    return value


def _name(value, what):
    if value is not None and not isinstance(value, str):
        raise NvmeTruthError("%s must be a string, got %s" % (what, type(value).__name__))
    return value


_WWPN_KEY = re.compile(r"^[0-9a-f]{16}\Z")


def _wwpns(value, what):
    """The WWPNs of a list in identity's normal form; NvmeTruthError for one that is no WWPN (16 hex digits in any of
    its spellings): a port the judge cannot compare would make every controller look like one whose LIF is gone."""
    keys = [normalize_initiator(w) for w in _strings(value, what)]
    if not all(_WWPN_KEY.match(k) for k in keys):
        raise NvmeTruthError("%s must be a list of WWPNs (16 hex digits, e.g. 20:05:00:50:56:bb:a0:e0), got %r"
                             % (what, value))
    return keys


def _nqn(value):
    return normalize_initiator(value) if isinstance(value, str) and value.strip() else None


class NvmeTruth(object):
    """The NVMe truth, indexed: the SVM serving each subsystem NQN (with its NVMe/TCP addresses), the mapping of
    each (subsystem NQN, NSID) and the host NQNs it was read for."""

    def __init__(self, nvme):
        if not isinstance(nvme, dict):
            raise NvmeTruthError("array_truth.nvme must be a dict, got %s" % type(nvme).__name__)
        self.problems = _list(nvme.get("problems"), "array_truth.nvme.problems")
        # the cluster reads: their times date the truth (nvme_truth_time), so their shape is checked like the rest
        _list(nvme.get("clusters"), "array_truth.nvme.clusters")
        host_nqns = nvme.get("host_nqns")
        if host_nqns is not None:
            _strings(host_nqns, "array_truth.nvme.host_nqns")
        self.every_host = host_nqns is not None and "*" in host_nqns
        self.host_nqns = set(_nqn(h) for h in host_nqns or [] if h != "*") - set([None])
        self.serving = {}        # subsystem NQN -> [(cluster, svm)]
        self.addresses = {}      # (cluster, svm) -> set of address keys of its NVMe/TCP LIFs
        self.fc_ports = {}       # (cluster, svm) -> set of its NVMe/FC LIFs' WWPNs (identity's normal form)
        self.allowed = {}        # ((cluster, svm), subsystem NQN) -> set of host NQNs it allows as read, None: unknown
        for n, t in enumerate(_list(nvme.get("targets"), "array_truth.nvme.targets")):
            where = "array_truth.nvme.targets[%d]" % n
            key = (_name(t.get("cluster"), where + ".cluster"), _name(t.get("svm"), where + ".svm"))
            nqns = _strings(t.get("subsystem_nqns") or [], where + ".subsystem_nqns")
            addresses = _strings(t.get("tcp_addresses") or [], where + ".tcp_addresses")
            self.addresses.setdefault(key, set()).update(address_key(a) for a in addresses)
            self.fc_ports.setdefault(key, set()).update(_wwpns(t.get("fc_wwpns") or [], where + ".fc_wwpns"))
            for nqn in nqns:
                self.serving.setdefault(_nqn(nqn), []).append(key)
            listed = set()
            for m, sub in enumerate(_list(t.get("subsystems"), where + ".subsystems")):
                if not isinstance(sub.get("nqn"), str) or not sub["nqn"].strip():
                    raise NvmeTruthError("%s.subsystems[%d].nqn must be an NQN, got %r" % (where, m, sub.get("nqn")))
                at = (key, _nqn(sub["nqn"]))
                listed.add(at)
                if sub.get("host_nqns") is None:
                    # the hosts it allows were not read: unknown, never "none", whatever another listing of it says
                    self.allowed[at] = None
                    continue
                hosts = set(_nqn(h) for h in _strings(sub["host_nqns"], "%s.subsystems[%d].host_nqns" % (where, m)))
                if at not in self.allowed:
                    self.allowed[at] = hosts
                elif self.allowed[at] is not None:
                    # two reads of one SVM's subsystem (two entries for one cluster): what either allows is allowed
                    self.allowed[at] |= hosts
            for nqn in nqns:
                # a listing that serves the subsystem without its hosts list: what it allows is unknown
                if (key, _nqn(nqn)) not in listed:
                    self.allowed[(key, _nqn(nqn))] = None
        self.mapped = {}         # (subsystem NQN, nsid) -> [record]
        for n, rec in enumerate(_list(nvme.get("namespaces"), "array_truth.nvme.namespaces")):
            where = "array_truth.nvme.namespaces[%d]" % n
            nsid, nqn = nsid_number(rec.get("nsid")), _nqn(rec.get("subsystem_nqn"))
            if nsid is None or nqn is None:
                raise NvmeTruthError("%s needs a subsystem_nqn and an nsid (a positive number, ONTAP's "
                                     "\"00000001h\" or decimal text), got %r and %r"
                                     % (where, rec.get("subsystem_nqn"), rec.get("nsid")))
            # the host NQNs the namespace's subsystem allows: never read as "none" when missing or malformed
            _strings(rec.get("host_nqns"), where + ".host_nqns", empty=False)
            if rec.get("nguid") is not None and nguid_text(rec["nguid"]) is None:
                raise NvmeTruthError("%s.nguid must be an NGUID (32 hex digits), got %r" % (where, rec["nguid"]))
            self.mapped.setdefault((nqn, nsid), []).append(rec)

    def svm_of(self, subsysnqn):
        """The one (cluster, svm) serving this subsystem NQN; None when none or several do (not covered)."""
        svms = self.serving.get(_nqn(subsysnqn)) or []
        return svms[0] if len(set(svms)) == 1 else None

    def allows(self, svm, subsysnqn, hostnqn):
        """Does the SVM's subsystem allow this host NQN? None when the truth cannot say (its hosts were not read)."""
        hosts = self.allowed.get((svm, _nqn(subsysnqn)))
        return None if hosts is None or not _nqn(hostnqn) else _nqn(hostnqn) in hosts

    def maps_of(self, subsysnqn, hostnqn):
        """The records of the subsystem's namespaces whose subsystem allows `hostnqn`."""
        nqn, host = _nqn(subsysnqn), _nqn(hostnqn)
        return [r for (sub, _nsid), recs in sorted(self.mapped.items()) if sub == nqn
                for r in recs if host in set(_nqn(h) for h in r["host_nqns"])]

    def read_for(self, hostnqn):
        return self.every_host or (_nqn(hostnqn) in self.host_nqns)

    def lif_of(self, svm, transport, traddr):
        """Is (transport, traddr) one of the SVM's LIFs: an NVMe/TCP address, or for NVMe/FC the WWPN of the target
        port the address names? None when the truth cannot say: another transport, an address the kernel's format
        does not give, or an SVM whose list of that transport's LIFs came back empty."""
        if transport == "tcp":
            known, key = self.addresses.get(svm), address_key(traddr) if traddr else None
        elif transport == "fc":
            port = fc_port_name(traddr)
            known, key = self.fc_ports.get(svm), normalize_initiator(port) if port else None
        else:
            return None
        if not known or not key:
            return None
        return key in known


def nvme_truth_time(nvme):
    """What the NVMe truth is as old as: the oldest of its own collected_at and of each dated target, namespace record
    and cluster read in it; a time that is no time (NaN, text, a bool) as it is, for the age gates to refuse; None
    when nothing in it carries a time (its age is unknown)."""
    if not isinstance(nvme, dict):
        return None
    times = [nvme.get("collected_at")]
    for part in ("targets", "namespaces", "clusters"):
        times.extend(item.get("collected_at") for item in nvme.get(part) or [] if isinstance(item, dict))
    times = [t for t in times if t is not None]
    odd = [t for t in times if not is_epoch(t)]
    if odd:
        return odd[0]
    return min(times) if times else None


def _answers(path):
    return path.get("controller_state") == "live" and path.get("ana_state") in ANA_USABLE


def _path_evidence(path):
    return dict((k, path.get(k)) for k in ("name", "controller", "controller_state", "traddr", "ana_state"))


def _verdict(ns, kind, reason, **extra):
    out = {"object": "namespace", "name": ns.get("name"), "nsid": ns.get("nsid"), "uuid": ns.get("uuid"),
           "subsysnqn": ns.get("subsysnqn"), "kind": kind, "reason": reason,
           "evidence": {"paths": [_path_evidence(p) for p in ns.get("paths") or []]}}
    out.update(extra)
    return out


def _unread(ns, controllers):
    """What about this namespace was not read (a judge of it would guess)."""
    missing = ["%s of %s" % (", ".join(ns["unread"]), ns.get("name"))] if ns.get("unread") else []
    for p in ns.get("paths") or []:
        ctrl = controllers.get(p.get("controller")) or {}
        if p.get("unread") or ctrl.get("unread") or p.get("controller_state") is None:
            missing.append("path %s (controller %s)" % (p.get("name"), p.get("controller")))
    if ns.get("nsid") is None or ns.get("subsysnqn") is None or not ns.get("paths"):
        missing.append("the NSID, subsystem or paths of %s" % ns.get("name"))
    return missing


def _not_read_for(ns, svm, controllers, truth):
    """Why the truth cannot say whether this namespace is mapped to this host (None when it can)."""
    if svm is None:
        return "subsystem %s is served by no SVM whose NVMe was read (or by several)" % ns["subsysnqn"]
    for p in ns["paths"]:
        hostnqn = (controllers.get(p["controller"]) or {}).get("hostnqn")
        if not _nqn(hostnqn):
            return "controller %s shows no host NQN it connected with" % p["controller"]
        if not truth.read_for(hostnqn):
            return "the array was not read for host NQN %s (controller %s)" % (hostnqn, p["controller"])
    return None


def _part(svm):
    """The part of the array that serves a subsystem, in a reason: ONTAP's SVM; a FlashArray (no SVM) itself."""
    return svm[1] if svm[1] is not None else "array %s" % svm[0]


def _part_of(svm):
    return "%s (%s)" % (svm[1], svm[0]) if svm[1] is not None else _part(svm)


def _lif_kind(transport):
    return "NVMe/FC" if transport == "fc" else "NVMe/TCP"


def _off_the_svm(ns, svm, controllers, truth):
    """Why a record's absence proves nothing for this namespace: a path to an address that is no NVMe/TCP or
    NVMe/FC LIF of the SVM read (another cluster may present the subsystem there), or whose target cannot be told.
    None when every path reaches one of its LIFs."""
    for p in ns["paths"]:
        transport = (controllers.get(p["controller"]) or {}).get("transport")
        if not truth.lif_of(svm, transport, p.get("traddr")):
            return ("path %s reaches %s %s, which is no %s LIF of %s that was read: another cluster may "
                    "present this subsystem there" % (p["name"], transport, p.get("traddr"), _lif_kind(transport),
                                                      _part_of(svm)))
    return None


def _array_identity(record):
    """What a record says the namespace is: ("NGUID", 32 hex digits) when the array gives one (a FlashArray's,
    built from the volume serial), else ("UUID", its UUID) (ONTAP's namespace UUID, which the host's sysfs shows)."""
    if record.get("nguid") is not None:
        return ("NGUID", nguid_text(record["nguid"]))
    return ("UUID", uuid_text(record.get("uuid")))


_HOST_FIELD = {"UUID": "uuid", "NGUID": "nguid"}   # where the snapshot holds each form
_HOST_TEXT = {"UUID": uuid_text, "NGUID": nguid_text}   # how each form reads there


def _host_identity(ns, wanted):
    """(form, the host's identity of the namespace in that form, or None when it shows none: never a match), in the
    form the records give (their first when they give two: then no host identity matches them all)."""
    form = sorted(f for f, _value in wanted)[0]
    return (form, _HOST_TEXT[form](ns.get(_HOST_FIELD[form])))


def _shown(form, value):
    """An identity in a reason: a UUID bare (as ONTAP and sysfs print it), an NGUID named."""
    return "%s" % (value,) if form == "UUID" else "NGUID %s" % (value,)


def judge_namespace(ns, controllers, truth):
    """One namespace's verdict ({object, name, nsid, uuid, subsysnqn, kind, reason, evidence, ...})."""
    if truth.problems:
        return _verdict(ns, kind="not_covered", reason="not judged: the NVMe truth is incomplete (%s)"
                        % "; ".join(str(p.get("msg") or p.get("kind")) for p in truth.problems))
    missing = _unread(ns, controllers)
    if missing:
        return _verdict(ns, kind="unread", reason="not judged: %s could not be read" % "; ".join(missing))
    svm = truth.svm_of(ns["subsysnqn"])
    why = _not_read_for(ns, svm, controllers, truth)
    if why:
        return _verdict(ns, kind="not_covered", reason=why)
    hostnqns = set(_nqn(controllers[p["controller"]]["hostnqn"]) for p in ns["paths"])
    records = [r for r in truth.mapped.get((_nqn(ns["subsysnqn"]), ns["nsid"])) or []
               if hostnqns & set(_nqn(h) for h in r["host_nqns"])]
    where = {"cluster": svm[0], "svm": svm[1]}
    answering = [p for p in ns["paths"] if _answers(p)]
    if records:
        wanted = set(_array_identity(r) for r in records)
        have = _host_identity(ns, wanted)
        if have[1] is None or wanted != set([have]):
            return _verdict(ns, kind="uuid_mismatch", reason="NSID %s of %s is now namespace %s on the array, "
                            "the host has %s: another namespace at this NSID (CORRUPTION RISK if it is written)"
                            % (ns["nsid"], ns["subsysnqn"], ", ".join(sorted(_shown(*w) for w in wanted)),
                               _shown(have[0], have[1] or ns.get(_HOST_FIELD[have[0]]))),
                            array=where, records=[r.get("name") for r in records])
        if len(answering) == len(ns["paths"]):
            return _verdict(ns, kind="healthy", reason="mapped to this host, every path live", array=where)
        return _verdict(ns, kind="paths_down_but_mapped", reason="mapped to this host; %d of %d paths do not answer "
                        "(an outage, never stale)" % (len(ns["paths"]) - len(answering), len(ns["paths"])),
                        array=where)
    why = _off_the_svm(ns, svm, controllers, truth)
    if why:
        return _verdict(ns, kind="not_covered", reason="not mapped by %s, but %s" % (_part(svm), why), array=where)
    unknown = sorted(h for h in hostnqns if truth.allows(svm, ns["subsysnqn"], h) is None)
    if unknown:
        # no map record may only mean that the subsystem's hosts list was not read (the lookup keeps the records of
        # the host NQNs it lists): the controller judge calls that unknown, and so does the namespace's
        return _verdict(ns, kind="not_covered", reason="not judged: which hosts %s of %s allows was not read, so "
                        "no map record of %s is no proof that NSID %s is unmapped" % (
                            _part(svm), ns["subsysnqn"], ", ".join(unknown), ns["nsid"]), array=where)
    live = [p["name"] for p in ns["paths"] if p["controller_state"] == "live"]
    if live:
        # a live controller drops an unmapped namespace by itself (lab finding 15), whatever the ANA state says
        return _verdict(ns, kind="unexpected_visibility", reason="the array maps NSID %s of %s to none of %s, yet "
                        "live controllers present it (%s): the truth may be older than the host" % (
                            ns["nsid"], ns["subsysnqn"], ", ".join(sorted(hostnqns)), ", ".join(live)), array=where)
    return _verdict(ns, kind="stale_unmapped", reason="%s no longer maps NSID %s of %s to this host, and no "
                    "controller to it is live" % (_part_of(svm), ns["nsid"], ns["subsysnqn"]), array=where)


def judge_controller(ctrl, namespaces, verdicts, truth, unread):
    """One fabrics controller's verdict: healthy, controller_down, lif_gone; with the namespaces behind it and, for
    one that is not live, `sole_path_of`: the namespaces not shown stale that answer through no other path
    (deleting the controller would take them away); None when the read of the namespaces was incomplete (`unread`:
    what could not be listed), for a namespace not seen may hang on it."""
    behind = [ns for ns in namespaces if any(p.get("controller") == ctrl["name"] for p in ns.get("paths") or [])]
    traddr = (ctrl.get("address") or {}).get("traddr")
    out = {"object": "controller", "name": ctrl["name"], "subsysnqn": ctrl.get("subsysnqn"),
           "state": ctrl.get("state"), "transport": ctrl.get("transport"), "traddr": traddr,
           "namespaces": [ns.get("name") for ns in behind]}
    if ctrl.get("state") == "live":
        return dict(out, kind="healthy", reason="live")
    kinds = dict((v["name"], v["kind"]) for v in verdicts)
    out["sole_path_of"] = None if unread else [
        ns.get("name") for ns in behind if kinds.get(ns.get("name")) != "stale_unmapped"
        and not any(_answers(p) for p in ns.get("paths") or [] if p.get("controller") != ctrl["name"])]
    svm = None if truth.problems else truth.svm_of(ctrl.get("subsysnqn"))
    # what the truth still maps of this subsystem to the host NQN this controller connected with (None: it cannot
    # say): none at all may be an empty answer, never proof that the subsystem has nothing left for this host
    out["mapped_to_host"] = None if svm is None or not truth.read_for(ctrl.get("hostnqn")) else len(
        truth.maps_of(ctrl.get("subsysnqn"), ctrl.get("hostnqn")))
    # whether the subsystem still allows that host NQN at all (its hosts list, read with the subsystem): False is the
    # one proof that the subsystem has nothing left for this host through any controller
    out["host_allowed"] = None if svm is None else truth.allows(svm, ctrl.get("subsysnqn"), ctrl.get("hostnqn"))
    if svm is not None and truth.lif_of(svm, ctrl.get("transport"), traddr) is False:
        return dict(out, kind="lif_gone", array={"cluster": svm[0], "svm": svm[1]},
                    reason="%s, reconnecting to %s, which no %s LIF of %s has any more"
                           % (ctrl.get("state"), traddr, _lif_kind(ctrl.get("transport")), _part_of(svm)))
    return dict(out, kind="controller_down", reason="%s: an outage unless the array says otherwise" % ctrl.get("state"))


def cross_check(nvme_devices, nvme_truth):
    """{namespaces: [verdict], controllers: [verdict]} for the namespaces and controllers behind fabrics
    transports; None when the devices were not read. Raises NvmeTruthError on a truth that is not the contract."""
    if nvme_devices is None:
        return None
    truth = NvmeTruth(nvme_truth)
    controllers = dict((c["name"], c) for c in nvme_devices.get("controllers") or [])
    fabric = dict((n, c) for n, c in controllers.items() if is_fabrics(c.get("transport")))
    namespaces = [ns for ns in nvme_devices.get("namespaces") or [] if ns.get("fabrics")]
    verdicts = [judge_namespace(ns, controllers, truth) for ns in namespaces]
    unread = list(nvme_devices.get("unread") or [])
    return {"namespaces": verdicts, "controllers": [judge_controller(fabric[name], namespaces, verdicts, truth, unread)
                                                    for name in sorted(fabric)]}


def checked_truth(nvme):
    """The NVMe part of the array truth as given, once NvmeTruth read it whole (NvmeTruthError, an InvalidInput,
    when it is not the contract)."""
    NvmeTruth(nvme)
    return nvme


def judge_family(san, truth, reader, settings):  # pylint: disable=unused-argument  # the registry's one signature
    """The NVMe family's judgement of a snapshot against the truth's `nvme` part (registered in judge/families.py):
    `nvme_verdicts` (cross_check: namespaces and controllers; plan.nvme deletes controllers), the NVMe read's own
    problems (`array.nvme_problems`: a 403 on the NVMe collections, rows of the report beside the SAN ones) and the
    NVMe truth's own time (`array.nvme_collected_at`, the oldest of its reads: the NVMe plan's age gate). Nothing
    without an NVMe part."""
    if truth.get("nvme") is None:
        return
    san["nvme_verdicts"] = cross_check(san.get("nvme"), truth["nvme"])
    san["array"]["nvme_problems"] = list(truth["nvme"].get("problems") or [])
    san["array"]["nvme_collected_at"] = nvme_truth_time(truth["nvme"])
