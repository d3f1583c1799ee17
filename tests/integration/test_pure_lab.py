"""A FlashArray beside the ONTAP cluster on one host, through the public remediate playbook on the real kernel
(issue 56).

The lab's second target (`sanlab-agent target2_setup` with vendor="pure": iqn.2024-01.lab.san:target2 on
127.0.0.3/127.0.0.4) answers as a FlashArray: INQUIRY vendor PURE, product FlashArray, and the NAA designator
3624a9370 + the volume's 24-hex-digit serial, built by LIO from Pure's company id (lab finding 20). The FlashArray
simulator (tests/pure_sim, Pure's REST 2.x in the forms fixtures/pure/SOURCES.md cites) serves that target's volumes,
its connections to the lab host and its portals as iSCSI ports; the ONTAP simulator serves target1 as before.
Both are given as the README says: `sanfleet_ontap` and `sanfleet_pure`.

- test_disconnected_removed_in_use_refused_beside_ontap: three FlashArray LUNs and target1's ONTAP LUNs on one host;
  FlashArray LUNs 2 and 3 disconnected, LUN 3 mounted. The check run plans the removal of LUN 2 only, refuses LUN 3
  (mounted), judges LUN 1 healthy against the FlashArray and the ONTAP LUNs healthy against the cluster; the audit
  reports LUNs 2 and 3 stale and changes nothing; the real run does exactly the plan and nothing else changes.
  Two NVMe/TCP namespaces with a FlashArray's identity (NGUID, no UUID) beside them, connected on the FlashArray:
  the audit matches each by its NGUID and judges it healthy against the FlashArray; nothing NVMe is planned.
- test_outage_kept_and_unread_array_not_covered: a FlashArray LUN still connected whose two portals are cut is
  kept (paths_down_but_mapped); with the FlashArray asked but not readable (its token refused) the same LUN is
  `not_covered`, never `unknown_array` (absent from what was read is not unmapped), and the run fails that host
  at the array gate, saying which array and what its token needs.
- test_the_nvme_controllers_of_a_host_the_flasharray_no_longer_knows_go_as_one_unit: two NVMe/TCP namespaces of a
  FlashArray (no iSCSI from it), both ports cut: while the array still connects them to this host they are kept
  (paths_down_but_mapped, nothing planned); once this host's NQN is no longer on the array the check run judges
  both stale_unmapped against the FlashArray and plans its two controllers as one unit; the real run deletes
  exactly them, and the namespaces go with them.
"""
import json
import sys

import pytest

from test_remediate_lab import LISTING, mapped, run_audit, run_play, sh  # noqa: I100 (same directory)
from test_two_clusters_lab import left_alone, map_verdicts

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.pure_records import pure_wwid
from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_lab_truth
from ansible_collections.sanfleet.remediation.tests.pure_sim import PureSimulator
from ansible_collections.sanfleet.remediation.tests.pure_sim import from_lab_truth as pure_answers

pytestmark = [pytest.mark.lab, pytest.mark.bookworm_second_vm]

PORTALS2 = ("127.0.0.3", "127.0.0.4")
NVME_LISTING = ("ls /sys/block | grep nvme; for c in /sys/class/nvme/nvme*; do echo $c $(cat $c/state) "
                "$(cat $c/address); done")
FULL = {"sanfleet_facts_detail": "full"}      # the healthy maps' coverage evidence is inspected


@pytest.fixture
def arrays(tmp_path):
    """arrays(ontap_truth, target2_truth, nvme=None) -> (ONTAP simulator, FlashArray simulator: with ``nvme``, its
    NVMe namespaces too), stopped after the test."""
    started = []

    def make(ontap_truth, target2_truth, nvme=None):
        (tmp_path / "ontap").mkdir(exist_ok=True)
        ontap = OntapSimulator(from_lab_truth(ontap_truth), str(tmp_path / "ontap"))
        started.append(ontap.__enter__())
        (tmp_path / "pure").mkdir(exist_ok=True)
        pure = PureSimulator(str(tmp_path / "pure"), answers=pure_answers(target2_truth, nvme))
        started.append(pure.__enter__())
        return ontap, pure
    yield make
    for sim in reversed(started):
        sim.__exit__(None, None, None)


def flasharray(lab, luns):
    return lab.agent("target2_setup", luns=luns, vendor="pure", call_timeout=240)["truth"]


def disk_identity(lab, wwid):
    """[(vendor, model, sysfs wwid)] of each path of the map `wwid`, as the kernel read them."""
    out = sh(lab, "for s in /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves/*; do "
                  "d=/sys/block/$(basename $s)/device; echo \"$(cat $d/vendor)|$(cat $d/model)|$(cat $d/wwid)\"; done"
             % wwid)
    return [tuple(x.strip() for x in line.split("|")) for line in out.splitlines() if line.strip()]


def other_tables(listing, removed):
    """The dm tables in a LISTING, but the removed map's."""
    return sorted(ln for ln in listing.split("==")[1].splitlines() if ln.strip() and not ln.startswith(removed))


def test_disconnected_removed_in_use_refused_beside_ontap(lab, tmp_path, arrays):
    lab.reset()
    ontap_maps = [wwid for wwid in mapped(lab.truth()).values() if wwid.startswith("3600a0980")]   # not LIO's LUN 0
    assert len(ontap_maps) >= 2, ontap_maps
    t2 = flasharray(lab, [1, 2, 3])
    w = dict((int(k), v) for k, v in t2["mapped"].items())
    # two NVMe/TCP namespaces with a FlashArray's identity (an NGUID from the volume serial, no UUID: lab finding 21)
    nvme = lab.agent("nvme_setup", nsids=[1, 2], vendor="pure", call_timeout=240)["truth"]
    nguids = dict((ns["nsid"], ns["nguid"]) for ns in nvme["namespaces"])
    serials = dict((v["lun_id"], v["serial"]) for v in t2["volumes"])
    # the kernel's view of a FlashArray LUN is the FlashArray source's: WWID 3624a9370 + serial, vendor PURE
    for lun_id, wwid in w.items():
        assert wwid == pure_wwid(serials[lun_id]), (wwid, serials[lun_id])
        paths = disk_identity(lab, wwid)
        assert len(paths) == 2 and all(p[:2] == ("PURE", "FlashArray") for p in paths), paths
        assert all(p[2] == "naa." + wwid[1:] for p in paths), paths
    sys.stderr.write("[pure lab] map table of a FlashArray LUN: %s\n" % sh(lab, "dmsetup table %s" % w[1]).strip())
    try:
        sh(lab, "mkfs.ext4 -q -F /dev/mapper/%s && mkdir -p /mnt/pure3 && mount /dev/mapper/%s /mnt/pure3"
                % (w[3], w[3]), timeout=120)
        for lun_id in (2, 3):
            lab.agent("target2_unmap", lun_id=lun_id)
        for lun_id in (2, 3):
            assert lab.wait_paths(w[lun_id], state="failed", timeout=90)["ok"]
        ontap, pure = arrays(lab.truth(), lab.agent("target2_truth"), nvme=lab.agent("nvme_truth"))
        given = dict(FULL, sanfleet_pure=[pure.entry()])
        nvme_before = sh(lab, NVME_LISTING)
        sds2 = sorted(sh(lab, "ls /sys/block/$(basename $(readlink -f /dev/mapper/%s))/slaves" % w[2]).split())

        before = sh(lab, LISTING)
        chk = run_play(lab, ontap, tmp_path, check=True, tag="pure-check", extra=given)
        assert chk.rc == 0, chk.out[-4000:]
        assert sh(lab, LISTING) == before
        plan = chk.plan
        assert plan["flush_maps"] == [w[2]], plan["flush_maps"]
        assert sorted(d["name"] for d in plan["delete_disks"]) == sds2
        refused = dict((r["name"], r["reason"]) for r in plan["refused"])
        assert "/mnt/pure3" in refused.get(w[3], ""), refused
        judged = map_verdicts(chk.results("stale_cleanup"))
        assert judged[w[2]]["kind"] == "stale_unmapped", judged[w[2]]
        assert judged[w[1]]["kind"] == "healthy", judged[w[1]]
        assert [c["cluster"] for c in judged[w[1]]["evidence"]["coverage"]] == ["sanlab-pure"], judged[w[1]]
        for wwid in ontap_maps:
            assert judged[wwid]["kind"] == "healthy", judged[wwid]
            assert [c["cluster"] for c in judged[wwid]["evidence"]["coverage"]] == ["sanlab"], judged[wwid]
        assert chk.executed() == [] and chk.plan["delete_controllers"] == []
        (san,) = [r["ansible_facts"]["san"] for r in chk.results("stale_cleanup")]
        nvme_judged = dict((v["nsid"], (v["kind"], v.get("array"))) for v in san["nvme_verdicts"]["namespaces"])
        assert nvme_judged == dict((n, ("healthy", {"cluster": "sanlab-pure", "svm": None})) for n in (1, 2)), \
            san["nvme_verdicts"]

        # the audit (README command 1's playbook) judges the same devices against the same two arrays
        reports = tmp_path / "audit-reports"
        audit, _seconds = run_audit(lab, reports, ontap, extra={"sanfleet_pure": [pure.entry()]})
        assert audit.returncode == 0, audit.stdout[-4000:]
        doc = json.loads((reports / "hosts" / "sanlab.json").read_text())
        assert doc["summary"]["array_state"] == "checked", doc["summary"]
        audited = dict((v["name"], v["kind"]) for v in doc["verdicts"])
        assert audited[w[2]] == audited[w[3]] == "stale_unmapped", audited
        assert all(audited.get(wwid, "healthy") == "healthy" for wwid in [w[1]] + ontap_maps), audited
        # the FlashArray's NVMe namespaces: read from sysfs, matched by NGUID, mapped and every path live
        namespaces = dict((ns["nsid"], ns) for ns in doc["nvme"]["namespaces"])
        assert sorted(namespaces) == [1, 2], doc["nvme"]
        for nsid, ns in namespaces.items():
            # the kernel shows a namespace without a UUID its NGUID as sysfs uuid too (lab finding 21)
            assert ns["uuid"].replace("-", "") == nguids[nsid], ns
            assert ns["verdict"]["kind"] == "healthy", ns
        assert sh(lab, LISTING) == before and sh(lab, NVME_LISTING) == nvme_before

        real = run_play(lab, ontap, tmp_path, tag="pure-real", extra=given)
        assert real.rc == 0, real.out[-4000:]
        assert real.executed() == [(s["action"], s["target"]) for s in plan["steps"]]
        assert w[2] not in sh(lab, "dmsetup ls --target multipath")
        assert not set(sds2) & set(sh(lab, "ls /sys/block").split())
        assert sh(lab, "findmnt -n -o SOURCE /mnt/pure3").strip() == "/dev/mapper/%s" % w[3]
        # every other map's table is as it was
        assert other_tables(sh(lab, LISTING), w[2]) == other_tables(before, w[2])
        assert sh(lab, NVME_LISTING) == nvme_before
    finally:
        lab.ssh("umount /mnt/pure3", timeout=60)
        lab.agent("target2_remove", call_timeout=240)
        lab.agent("nvme_remove", call_timeout=240)


def test_outage_kept_and_unread_array_not_covered(lab, tmp_path, arrays):
    lab.reset()
    t2 = flasharray(lab, [1])
    w1 = t2["mapped"]["1"]
    try:
        for ip in PORTALS2:
            lab.cut_portal(ip)
        assert lab.wait_paths(w1, state="failed", timeout=120)["ok"]
        ontap, pure = arrays(lab.truth(), lab.agent("target2_truth"))
        before = sh(lab, LISTING)

        outage = run_play(lab, ontap, tmp_path, check=True, tag="pure-outage",
                          extra=dict(FULL, sanfleet_pure=[pure.entry()]))
        assert outage.rc == 0, outage.out[-4000:]
        assert outage.plan["steps"] == []
        assert left_alone(outage)[w1]["kind"] == "paths_down_but_mapped", left_alone(outage)[w1]

        refused_token = pure.entry(api_token="00000000-0000-0000-0000-000000000000")
        unread = run_play(lab, ontap, tmp_path, check=True, tag="pure-unread",
                          extra=dict(FULL, sanfleet_pure=[refused_token]))
        # the host fails the array gate (sanfleet_require_array), naming the array and what to give it, nothing
        # planned; the token refused is in no output
        assert unread.rc == 2, unread.out[-4000:]
        assert "not judged against the array" in unread.out and "HTTP 401" in unread.out, unread.out[-4000:]
        assert "Give the API token of an array user with the read-only role" in unread.out
        assert refused_token["api_token"] not in unread.out
        assert unread.plan["steps"] == []
        judged = map_verdicts(unread.results("stale_cleanup"))
        assert judged[w1]["kind"] == "not_covered", judged[w1]
        assert sh(lab, LISTING) == before
    finally:
        for ip in PORTALS2:
            lab.restore_portal(ip)
        lab.agent("target2_remove", call_timeout=240)


def test_the_nvme_controllers_of_a_host_the_flasharray_no_longer_knows_go_as_one_unit(lab, tmp_path, arrays):
    lab.reset()
    try:
        truth = lab.agent("nvme_setup", nsids=[1, 2], vendor="pure", ctrl_loss_tmo=-1, call_timeout=240)["truth"]
        ctrls = sorted(c["name"] for c in truth["controllers"])
        # both ports cut while the FlashArray still connects the namespaces to this host: an outage, kept
        lab.agent("nvme_cut_lif", lif="all")
        assert lab.agent("nvme_wait_controllers", state="connecting", timeout=60)["ok"]
        ontap, pure = arrays(lab.truth(), None, nvme=lab.agent("nvme_truth"))
        given = {"sanfleet_pure": [pure.entry()]}
        nvme_before = sh(lab, NVME_LISTING)
        outage = run_play(lab, ontap, tmp_path, check=True, tag="pure-nvme-outage", extra=given)
        assert outage.rc == 0, outage.out[-4000:]
        (san,) = [r["ansible_facts"]["san"] for r in outage.results("stale_cleanup")]
        kept = dict((v["nsid"], v["kind"]) for v in san["nvme_verdicts"]["namespaces"])
        assert kept == {1: "paths_down_but_mapped", 2: "paths_down_but_mapped"}, san["nvme_verdicts"]
        assert outage.plan["steps"] == [] and outage.plan["delete_controllers"] == []

        # then the host's NQN is no longer the FlashArray's (its host object carries another host's NQN now) and
        # the array refuses its next connect: the controllers reconnect forever, the namespaces wait
        lab.agent("nvme_deny_host")
        pure.fake.answers = pure_answers(None, lab.agent("nvme_truth"))

        chk = run_play(lab, ontap, tmp_path, check=True, tag="pure-nvme-check", extra=given)
        assert chk.rc == 0, chk.out[-4000:]
        (san,) = [r["ansible_facts"]["san"] for r in chk.results("stale_cleanup")]
        judged = dict((v["nsid"], (v["kind"], v.get("array"))) for v in san["nvme_verdicts"]["namespaces"])
        assert judged == dict((n, ("stale_unmapped", {"cluster": "sanlab-pure", "svm": None})) for n in (1, 2)), \
            san["nvme_verdicts"]
        unit = "controller %s" % "+".join(ctrls)
        assert sorted(c["unit"] for c in chk.plan["delete_controllers"]) == [unit] * len(ctrls), chk.plan
        planned = [(s["action"], s["target"]) for s in chk.plan["steps"]]
        assert planned == [("delete_controller", c) for c in ctrls] + [("wait_controller_gone", c) for c in ctrls]
        assert sh(lab, NVME_LISTING) == nvme_before

        real = run_play(lab, ontap, tmp_path, tag="pure-nvme-real", extra=given)
        assert real.rc == 0, real.out[-4000:]
        assert real.executed() == planned
        after = lab.agent("nvme_truth")
        assert after["controllers"] == [] and after["heads"] == [], after
    finally:
        lab.agent("nvme_remove", call_timeout=240)
