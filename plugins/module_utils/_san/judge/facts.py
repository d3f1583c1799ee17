# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The judged SAN snapshot of a host: read it (observe.read.Host), then judge it against the array truth (judge.verdicts).

One place for the order both `stale_mpath_facts` and `stale_cleanup` follow: snapshot, host findings, what the
verdicts rest on (`array`), then each device family's judge in the order of judge/families.py (SCSI: verdicts, the
extra probes a verdict hangs on, verdicts again, corruption risks; NVMe: namespaces and controllers).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import coverage as judge_coverage
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import families as judge_families
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import findings as judge_findings
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate

DEFAULT_PREFIXES = ("3600a0980",)


# the problem kind of a family's part of the array truth that is not the contract: that family is not judged
UNUSABLE_TRUTH = "unusable_truth"


def truth_of(array_truth=None, array_luns=None, array_targets=None, array_initiators=None):
    """The array-truth contract ({luns, targets, problems, initiators, collected_at, nvme}) from either input form;
    None without any. Validated and normalised (validate.array_truth) one device family's part at a time
    (`family_parts`). Bad input that is no family's part (array_truth not a dict, the legacy array_luns form)
    raises validate.InvalidInput before anything is read."""
    luns = [validate.array_lun(rec, i) for i, rec in enumerate(array_luns or [])]
    targets = validate.array_targets(array_targets)
    initiators = validate.array_initiators(array_initiators, "array_initiators")
    if array_truth is not None:
        return family_parts(array_truth)
    if array_luns is None:
        return None
    # the oldest read of a record (or of a target that is dated); unknown (None) when a record carries no time
    times = [r.get("collected_at") for r in luns] + [t["collected_at"] for t in targets if t.get("collected_at") is not None]
    return {"luns": luns, "targets": targets, "problems": [], "initiators": initiators,
            "collected_at": validate.oldest_time(times)}


# the problems of a cluster's read that blind every family's part of the truth (the ontap_truth lookup, docs/ontap.md)
BOTH_PARTS_PROBLEMS = ("lookup_failed", "svm_scoped_login", "no_cluster")


def family_parts(array_truth):
    """The array truth checked one device family's part at a time (judge/families.py: the SCSI part, the truth's top
    level, by validate.array_truth; the NVMe part, `nvme` when given, by nvme_verdicts.NvmeTruth). A part that is
    not the contract, beside another that is, is replaced by one that covers nothing and names why (a problem of
    kind UNUSABLE_TRUTH, `unusable` set): that family's devices are not judged and nothing of it is removed, while
    the other family is judged on its own part, as ONTAP reads the two apart (docs/ontap.md, "NVMe truth"). When no
    part given is the contract, that is bad input (validate.InvalidInput, naming each)."""
    if not isinstance(array_truth, dict):
        raise validate.InvalidInput("array_truth must be a dict, got %s" % type(array_truth).__name__)
    errors, given, parts = [], 0, {}
    for family in judge_families.FAMILIES:
        part = judge_families.part_of(family, array_truth)
        if part is None:
            continue
        given += 1
        try:
            parts[family.truth_key] = family.check_truth(part)
        except validate.InvalidInput as exc:
            errors.append(exc)
            # a fresh copy: a part that covers nothing must not share a list with the next one made
            parts[family.truth_key] = dict(copy.deepcopy(family.blind_truth), problems=[_unusable(family.label, exc)],
                                           unusable=str(exc))
    if len(errors) == given:
        raise validate.InvalidInput("; ".join(str(e) for e in errors))
    checked = parts.pop(None)
    # a cluster read that failed or could not see every SVM left every other part blind too, whoever assembled the
    # truth (the lookup puts these problems in each part; a truth built by hand may not), even when the top-level
    # part around them is unusable
    listed = array_truth.get("problems") if isinstance(array_truth.get("problems"), list) else []
    failed = [p for p in listed if isinstance(p, dict) and p.get("kind") in BOTH_PARTS_PROBLEMS]
    for key, part in sorted(parts.items()):
        own = part.get("problems") or []
        more = [p for p in failed if p not in own]
        checked[key] = dict(part, problems=list(own) + more) if more and not part.get("unusable") else part
    return checked


def _unusable(family, exc):
    return {"cluster": None, "svm": None, "kind": UNUSABLE_TRUTH,
            "msg": "the %s part of the array truth is not the contract (%s): no %s device is judged on it"
                   % (family, exc, family)}


def check_prefixes(prefixes):
    validate.wwid_prefixes(prefixes, "array_wwid_prefixes")


def collect(reader, truth=None, prefixes=DEFAULT_PREFIXES, probe=True):
    """Snapshot + findings; with `truth`, what the verdicts rest on (`array`) and each device family's verdicts
    (judge/families.py: the SCSI `verdicts` and `corruption_risks`, the NVMe `nvme_verdicts`)."""
    san = reader.snapshot(probe=probe)
    san["findings"] = judge_findings.host_findings(san)
    if truth is None:
        return san
    targets = truth.get("targets") or []
    # an identity under two SVMs blocks the host even when the truth's source did not say so (a caller's truth)
    problems = list(truth.get("problems") or [])
    said = set(p.get("identity") for p in problems if p.get("kind") == judge_coverage.DUPLICATE_IDENTITY)
    problems.extend(p for p in judge_coverage.duplicate_identities(targets) if p["identity"] not in said)
    san["array"] = {"records": len(truth.get("luns") or []), "targets": targets, "problems": problems,
                    "initiators": truth.get("initiators"), "collected_at": truth.get("collected_at")}
    settings = {"prefixes": prefixes, "probe": probe}
    for family in judge_families.FAMILIES:
        family.judge(san, truth, reader, settings)
    return san
