# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import stat

from hypothesis import HealthCheck, settings, strategies as st

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import normalize_initiator
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    facts, findings as judge_findings, verdicts as sj)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read as observe_read
from ansible_collections.sanfleet.remediation.tests.unit import helpers as gen
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    IQN, TARGET, CapturedRun, healthy_lab, inline_call, load_captured, ontap_serial, ontap_wwid)


def reused(tmp_path, setup=None):
    """As seen in the lab: LUN id 1 now maps another LU (n=9); the old map of WWID 1 is still there, and its paths
    answer with LU 9's serial (the live evidence serial_mismatch needs)."""
    t = healthy_lab(tmp_path)
    if setup:
        setup(t)
    t.commands()
    s = probe_live(t, t.reader().snapshot(), ontap_wwid(1), "0" + ontap_serial(9).encode().hex())
    s["verdicts"] = check(s, [rec(9, 1), rec(2, 2)])
    return s


NETAPP_BUILTIN = {"vendor": "NETAPP", "product": "LUN", "no_path_retry": "queue", "dev_loss_tmo": "infinity"}


def daemon_settings(defaults=None, devices=None, overrides=None, multipaths=None, polling_interval="5"):
    return {"polling_interval": polling_interval, "defaults": dict({"fast_io_fail_tmo": "5"}, **(defaults or {})),
            "overrides": overrides or {}, "devices": list(devices or []), "multipaths": list(multipaths or [])}


# ------------------------------------------------------------------------------------ judge on crafted snapshots

T1, T2, I1 = "0x2000025a1a0a0002", "0x2000025a1a0b0002", "0x2000025a1a0a0001"


def rport(name="rport-8:0-0", host=8, wwpn=T1, state="Online", roles="FCP Target", dev="4294967295", fast="5"):
    return {"rport": name, "host": host, "channel": 0, "port_name": wwpn, "node_name": "0x10" + wwpn[4:],
            "port_state": state, "roles": roles, "dev_loss_tmo": dev, "fast_io_fail_tmo": fast, "scsi_target_id": 0}


def snap(rports, disks=None, hosts=None):
    return {"host": {"fc_hosts": hosts if hosts is not None else [
        {"host": 8, "wwpn": I1, "port_state": "Online", "node_name": None, "speed": "10 Gbit", "fabric_name": "0x0"}],
        "fc_rports": rports},
        "disks": disks if disks is not None else {
            "sdb": {"name": "sdb", "transport": "fc", "host": 8, "target_wwpn": T1, "vendor": "NETAPP",
                    "model": "LUN C-Mode", "wwid": "3600a0980aa", "map": "3600a0980aa"}}}


FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "config")


NETAPP_TARGETS = [{"vendor": "NETAPP", "product": "LUN"}]


REC = {"no_path_retry": "30", "dev_loss_tmo": "60", "recheck_wwid": "yes",
       "flush_on_last_del": None, "find_multipaths": None}


def read(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read().decode("utf-8")


# derandomize: CI runs the same examples every time (a failure is reproducible, not a flake)
FAST = settings(max_examples=120, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


# characters and words that matter to the parsers, plus a few odd ones (non-UTF-8 byte as surrogate, NUL, VT)
ODD = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x00", "#", "!", "=", ";", '"', "'", "{", "}", "[", "]", ",", "\\",
       "\xe9", "\udce9", "a", "0", "-", "."]


MP_WORDS = ["defaults", "devices", "device", "overrides", "multipaths", "multipath", "blacklist", "protocol",
            "vendor", "product", '"NETAPP"', '"LUN"', "no_path_retry", "queue", "16", "dev_loss_tmo", "infinity",
            "features", '"1 queue_if_no_path"', "recheck_wwid", "no", "wwid", "{", "}", "#", "!", '"', '""']


FIX_REC = {"no_path_retry": "30", "dev_loss_tmo": "60", "recheck_wwid": "yes"}


def texts(words):
    return st.one_of(
        st.text(alphabet=st.sampled_from(ODD), max_size=200),
        st.lists(st.sampled_from(words + [" ", "\n", "\t", "\r\n"]), max_size=80).map("".join),
    )


ISCSI = [(suite, scenario) for suite in gen.SUITES for scenario in gen.SCENARIOS]


OTHERS = [("bookworm", s) for s in ("fc_healthy", "fc_unmapped", "fc_rport_blocked", "fc_two_targets", "two_targets")]


CAPTURES = ISCSI + OTHERS


_JUDGED = {}


def _iscsi_targets(truth):
    first = (truth["array_luns"] or [{"cluster": "sanlab", "svm": "svm_sanlab"}])[0]
    return [{"cluster": first["cluster"], "svm": first["svm"], "iscsi_target_names": [truth["target_iqn"]],
             "iscsi_addresses": [p.rsplit(":", 1)[0] for p in truth["portals"]], "fc_wwpns": []}]


def judged(suite, scenario):
    """The full judged snapshot of a capture: findings, and verdicts against the truth the capture names
    (iSCSI target1, plus the FC SVM and target2 where the capture has them)."""
    if (suite, scenario) not in _JUDGED:
        if suite == "bookworm":
            reader, truth = load_captured(scenario)
            san = reader.snapshot(probe=True)
        else:
            capture = gen.capture(suite, scenario)
            san = gen.api().host_snapshot(capture.base)
            truth = capture.truth
        san["findings"] = judge_findings.host_findings(san)
        luns, targets = list(truth["array_luns"]), _iscsi_targets(truth)
        for extra in ("fc", "target2"):
            part = truth.get(extra)
            if not part:
                continue
            luns += part["array_luns"]
            if extra == "fc":
                targets.append({"cluster": part["cluster"], "svm": part["svm"], "iscsi_target_names": [],
                                "iscsi_addresses": [], "fc_wwpns": list(part["fc_wwpns"])})
            else:
                targets += _iscsi_targets(part)
        san["verdicts"] = sj.cross_check(san, luns, array_targets=targets, array_initiators=["*"])
        san["array"] = {"records": len(luns), "targets": targets, "problems": [], "initiators": ["*"],
                        "collected_at": None}
        san["corruption_risks"] = sj.corruption_risks(san)
        _JUDGED[(suite, scenario)] = san
    return json.loads(json.dumps(_JUDGED[(suite, scenario)]))


_SNAPS = {}


def fc_snap_of(scenario):
    """(snapshot, truth, reader) of a capture, built once per run."""
    if scenario not in _SNAPS:
        reader, truth = load_captured(scenario)
        _SNAPS[scenario] = (reader.snapshot(probe=True), truth, reader)
    return _SNAPS[scenario]


def fc_targets(fc, wwpns=None):
    """array_targets of the FC SVM as ontap_truth returns them (its FC LIF WWPNs), optionally only some LIFs."""
    return [{"cluster": fc["cluster"], "svm": fc["svm"], "iscsi_target_names": [], "iscsi_addresses": [],
             "fc_wwpns": list(fc["fc_wwpns"] if wwpns is None else wwpns)}]


def judge(snap, fc, targets):
    """The cross-check against the FC SVM's truth, read for the initiator ports' WWPNs (what ontap_truth names)."""
    return sj.cross_check(snap, fc["array_luns"], array_targets=targets, array_initiators=fc["initiator_wwpns"])


def by_map(verdicts):
    return dict((v["name"], v) for v in verdicts if v["object"] == "map")


def norm(values):
    return set(normalize_initiator(v) for v in values)


TARGET2 = "iqn.1992-08.com.netapp:sn.cluster2:vs.7"


# the SVM of rec() as the array truth's target identities: what the records cover
TARGETS = [{"cluster": "c1", "svm": "svm1", "iscsi_target_names": [TARGET],
            "iscsi_addresses": ["127.0.0.1", "127.0.0.2"],
            "fc_wwpns": ["20:05:00:a0:98:00:00:01"]}]


TARGETS2 = [{"cluster": "c2", "svm": "svmB", "iscsi_target_names": [TARGET2],
             "iscsi_addresses": ["127.0.0.3", "127.0.0.4"],
             "fc_wwpns": []}]


def check(snap, records, **kw):
    """cross_check with the records' SVM as the covered targets and the host's initiators as those the records
    were read for, as the roles ask the lookup (unless the test says otherwise)."""
    kw.setdefault("array_targets", TARGETS)
    kw.setdefault("array_initiators", (snap.get("host") or {}).get("initiators"))
    return sj.cross_check(snap, records, **kw)


LNS = ("test unit ready:\nFixed format, current; Sense key: Illegal Request\n"
       "Additional sense: Logical unit not supported\n")


FAILED = ("F", "faulty", "running")


def rec(n, lun_id, initiators=(IQN,), igroup="ig_lab", protocol="iscsi", path=None, cluster="c1", svm="svm1"):
    serial = ontap_serial(n)
    return {"cluster": cluster, "svm": svm, "path": path or "/vol/v1/lun%d" % n, "uuid": "u%d" % n,
            "serial": serial, "serial_hex": serial.encode().hex(), "wwid": ontap_wwid(n), "lun_id": lun_id,
            "igroup": igroup, "igroup_protocol": protocol, "igroup_os_type": "linux",
            "igroup_initiators": list(initiators), "state": "online", "size_bytes": 1 << 30}


def snap_of(tmp_path, paths_state=None, probes=None, setup=None, probe=True):
    t = healthy_lab(tmp_path)
    if setup:
        setup(t)
    t.commands(paths_state=paths_state)
    for sd, (rc, err) in (probes or {}).items():
        t.run.set(["sg_turs", "-v", sd], "", rc=rc, stderr=err)
        t.run.set(["sg_inq", sd], "", rc=5 if rc else 0, stderr="sg_inq failed: Illegal request\n" if rc else "")
    return t.reader().snapshot(probe=probe)


def kinds(items, obj=None):
    return sorted((i["kind"], i["object"], i["name"]) for i in items if obj is None or i["object"] == obj)


# ------------------------------------------------------------------------------------------------ cross-check


def verdict(vs, name, obj="map"):
    found = [v for v in vs if v["name"] == name and v["object"] == obj]
    assert len(found) == 1, vs
    return found[0]


def probe_live(t, snap, wwid, live, sds=("sdb", "sdd")):
    """Probe a healthy map's paths the way stale_mpath_facts does once the array truth is known (live VPD 0x80)."""
    for sd in sds:
        t.run.set(["sg_turs", "-v", sd], "")
        t.run.set(["sg_inq", sd], "standard INQUIRY:\n  PQual=0  PDT=0  RMB=0\n")
        t.run.set(["sg_inq", "-p", "0x80", "-r", sd], "\x00\ufffd\x00\x19" + live)
        snap["maps"][wwid]["probe"][sd] = t.reader().probe_path(sd)
    return snap


C1 = [rec(1, 1), rec(2, 2)]


def two_target_lab(tmp_path, paths_state=None, queueing=None, target=TARGET2):
    """A second array target (a second cluster, or with target=TARGET the read svm1's name on cluster 2: a cloned
    or renamed target, identity-preserving DR or migration) serving its own LUN 1 (WWID 21) over two more sessions,
    at its own portals 127.0.0.3 / .4."""
    t = healthy_lab(tmp_path)
    t.iscsi_session(3, 4, "127.0.0.3", target=target)
    t.iscsi_session(4, 5, "127.0.0.4", target=target)
    for name, hctl, dev, sess in (("sdf", "4:0:0:1", "8:80", 3), ("sdg", "5:0:0:1", "8:96", 4)):
        t.disk(name, hctl, dev, session=sess, wwid="naa." + ontap_wwid(21)[1:],
               serial="0" + ontap_serial(21).encode().hex())
    t.dm("dm-2", "253:2", ontap_wwid(21), "mpath-" + ontap_wwid(21), slaves=("sdf", "sdg"))
    t.commands(paths_state=paths_state, queueing=queueing)
    return t


def cloned_target_lab(tmp_path, paths_state=None, queueing=None):
    """Cluster 2 (not read) serves LUN 21 with the same target name as the read svm1."""
    return two_target_lab(tmp_path, paths_state, queueing, target=TARGET)


def cut(t, sds):
    for sd in sds:
        t.run.set(["sg_turs", "-v", sd], "", rc=0, stderr="Host_status=0x01 [DID_NO_CONNECT]\n")


def sd_states(**states):
    """A snap_of setup: the sysfs state of these sds (what the snapshot's path dev_state reads first)."""
    return lambda t: [t.set_state(sd, st) for sd, st in states.items()]


def one_path_reused(tmp_path, own_state=None):
    """Map 1 (sdb, sdd) the truth does not list; the array maps LU 9 at its LUN id 1. sdb answers as LU 9 (the LUN id
    was reused), sdd still answers with map 1's own serial (own_state: its dm/checker/sd state)."""
    t = healthy_lab(tmp_path)
    t.commands(paths_state={"sdd": own_state} if own_state else None)
    s = t.reader().snapshot(probe=False)
    probe_live(t, s, ontap_wwid(1), "0" + ontap_serial(9).encode().hex(), sds=("sdb",))
    probe_live(t, s, ontap_wwid(1), "0" + ontap_serial(1).encode().hex(), sds=("sdd",))
    return s


def nvme_array_truth(lab, lifs=None):
    """The NVMe truth (docs/ontap.md contract) ONTAP would give for the lab's NVMe SVM as a capture's truth.json
    records it (`nvme`): its mapped namespaces, its subsystem NQN, the addresses of its LIFs (`lifs`; by default
    those it still has)."""
    where = {"cluster": lab["array"]["cluster"], "svm": lab["array"]["svm"]}
    if lifs is None:
        lifs = [lif["address"] for lif in lab["lifs"] if not lif["deleted"]]
    return {
        "namespaces": [dict(where, uuid=n["uuid"], name=n["name"], nsid=n["nsid"], subsystem_nqn=lab["subsystem_nqn"],
                            host_nqns=list(lab["host_nqns"])) for n in lab["namespaces"] if n["mapped"]],
        "targets": [dict(where, nvme_service_enabled=True, subsystem_nqns=[lab["subsystem_nqn"]],
                         tcp_addresses=list(lifs),
                         subsystems=[{"nqn": lab["subsystem_nqn"], "host_nqns": list(lab["host_nqns"])}])],
        "host_nqns": list(lab["host_nqns"]), "problems": [], "clusters": [dict(where, state="read")],
    }


# both LIFs of the lab's NVMe SVM: what the array has when LIF a was only cut, not deleted
NVME_LAB_LIFS = ["127.0.0.5", "127.0.0.6"]


def nvme_host(tmp_path, scenario, drop=()):
    """(a reader of a copy of the captured NVMe lab `scenario`, the lab's truth) with the sysfs entries `drop` (names
    of namespace heads or of paths, e.g. "nvme0n2", "nvme0c0n1") removed, as the kernel removes them: the tree the
    plan reads is the one the act re-reads and writes to."""
    reader, truth = load_captured(scenario)
    root = str(tmp_path / "root")
    shutil.copytree(reader.root, root, symlinks=True)
    devices = os.path.join(root, "sys", "devices", "virtual")
    for name in drop:
        for where, _dirs, files in list(os.walk(devices)):
            if os.path.basename(where) == name:
                shutil.rmtree(where)
        link = os.path.join(root, "sys", "block", name)
        if os.path.lexists(link):
            os.unlink(link)
    return observe_read.Host(root=root, run=CapturedRun(os.path.join(os.path.dirname(reader.root), "commands")),
                             call=inline_call), truth


# NVMe/FC port names as ONTAP spells an FC LIF's WWPN (REST API reference, /network/fc/interfaces: "20:05:00:50:56:
# bb:a0:e0") and the node name the kernel pairs with each in a transport address
NVME_FC_LIFS = {"nvme0": "20:05:00:50:56:bb:a0:e0", "nvme1": "20:06:00:50:56:bb:a0:e0"}
NVME_FC_HOST_PORT = "nn-0x200000109b3c0d1e:pn-0x100000109b3c0d1e"


def fc_traddr(wwpn, prefix="0x"):
    """An NVMe/FC transport address of the target port `wwpn` (ONTAP's spelling) as the kernel takes it
    (drivers/nvme/host/fc.c nvme_fc_parse_traddr: nn-0x<16 hex>:pn-0x<16 hex>, or without the 0x)."""
    port = wwpn.replace(":", "").lower()
    return "nn-%s%s:pn-%s%s" % (prefix, "2000" + port[4:], prefix, port)


def nvme_fc_host(tmp_path, scenario, addresses=None):
    """(a reader of a copy of the captured NVMe lab `scenario` whose controllers are NVMe/FC, the lab's truth): no
    FC-NVMe loopback exists in Debian's kernel, so the captured NVMe/TCP tree is re-labelled as nvme-fc shows a
    controller (drivers/nvme/host: `transport` "fc"; `address` "traddr=<target>,host_traddr=<host port>", as
    fabrics.c nvmf_get_address prints the connect's options). `addresses`: {controller: traddr}, by default each
    controller to its NVME_FC_LIFS port."""
    reader, truth = nvme_host(tmp_path, scenario)
    addresses = addresses or dict((name, fc_traddr(wwpn)) for name, wwpn in NVME_FC_LIFS.items())
    for name, traddr in addresses.items():
        ctrl = os.path.join(reader.root, "sys", "devices", "virtual", "nvme-fabrics", "ctl", name)
        with open(os.path.join(ctrl, "transport"), "w") as fh:
            fh.write("fc\n")
        with open(os.path.join(ctrl, "address"), "w") as fh:
            fh.write("traddr=%s,host_traddr=%s\n" % (traddr, NVME_FC_HOST_PORT))
    return reader, truth


def nvme_fc_truth(lab, wwpns):
    """The NVMe truth of the lab's SVM as an NVMe/FC one: no NVMe/TCP LIF, the NVMe/FC LIFs `wwpns` (ONTAP's
    spelling)."""
    truth = nvme_array_truth(lab, lifs=[])
    truth["targets"][0]["fc_wwpns"] = list(wwpns)
    return truth


def open_generic_node(root, pid, comm, head):
    """A process `pid` of a captured copy at `root` holding the generic node of namespace `head` (nvme0n2 ->
    /dev/ng0n2, the char device numbers the captured kernel gave it) open, as fio with io_uring passthrough does."""
    ng = "ng" + head[len("nvme"):]
    _hold_char_node(root, pid, comm, ng, "virtual/nvme-subsystem/nvme-subsys0/" + ng)


def open_controller_node(root, pid, comm, controller):
    """A process `pid` holding the char node of fabrics controller `controller` (/dev/nvme0), as nvme-cli's I/O
    passthrough (nvme io-passthru /dev/nvme0) or a management agent's admin commands do."""
    _hold_char_node(root, pid, comm, controller, "virtual/nvme-fabrics/ctl/" + controller)


def _hold_char_node(root, pid, comm, node_name, device):
    with open(os.path.join(root, "sys", "devices", device, "dev")) as fh:
        dev = fh.read().strip()
    major, minor = [int(x) for x in dev.split(":")]
    os.makedirs(os.path.join(root, "dev"), exist_ok=True)
    node = os.path.join(root, "dev", node_name)
    if not os.path.exists(node):
        os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(major, minor))
    # /sys/dev/char's link, which the captures do not carry: where the kernel places the node
    link = os.path.join(root, "sys", "dev", "char", dev)
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink("../../devices/" + device, link)
    os.makedirs(os.path.join(root, "proc", str(pid), "fd"))
    with open(os.path.join(root, "proc", str(pid), "comm"), "w") as fh:
        fh.write(comm + "\n")
    os.symlink("/dev/" + node_name, os.path.join(root, "proc", str(pid), "fd", "3"))


def nvme_judged(reader, nvme_truth, collected_at):
    """The judged snapshot (judge.facts.collect) of `reader` against an array truth with only the NVMe part."""
    nvme_truth.setdefault("collected_at", collected_at)
    truth = {"luns": [], "targets": [], "problems": [], "initiators": None, "collected_at": collected_at,
             "nvme": nvme_truth}
    return facts.collect(reader, truth, probe=False)
