# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The igroup layout of the fleet's clusters (records of the ontap_igroups lookup): shared igroups, initiators of
several hosts, LUNs reaching a host through several igroups."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import array_problem
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name


def _initiator_key(initiator):
    """iSCSI names and WWPNs compare case-blind, NVMe host NQNs (a subsystem's hosts) exactly."""
    return initiator if initiator.startswith("nqn.") else initiator.lower()


def igroup_layout(igroups):
    """Per cluster: igroups (and NVMe subsystems, protocol nvme) shared by several inventory hosts, initiators in
    the igroups of several hosts, LUNs that reach one host through more than one igroup (records of the ontap_igroups
    lookup, called with hosts)."""
    if not isinstance(igroups, (list, tuple)):
        raise AnsibleFilterError("igroup_layout expects the ontap_igroups records (a list), got %s"
                                 % type_name(igroups))
    clusters, problems = {}, {}
    for ig in igroups:
        if isinstance(ig, dict) and ig.get("problem"):
            # a cluster the ontap_igroups lookup could not read: named, not laid out
            problems.setdefault(ig.get("cluster") or "-", []).append(array_problem(ig["problem"]))
            continue
        if isinstance(ig, dict) and ig.get("nvme_unread"):
            continue  # a cluster whose NVMe part was not read: the fleet check says so (report_identity)
        clusters.setdefault(ig.get("cluster") or "-", []).append(ig)
    out = []
    for cluster in sorted(clusters):
        groups = clusters[cluster]
        shared = [{"svm": g.get("svm"), "igroup": g.get("name"), "hosts": sorted(g.get("hosts") or []),
                   "sharing": g.get("sharing"), "initiators": list(g.get("initiators") or [])}
                  for g in groups if g.get("shared")]
        owners = {}
        for g in groups:
            for init in g.get("initiators") or []:
                owners.setdefault(_initiator_key(init), set()).update(g.get("hosts") or [])
        in_groups = {}
        for g in groups:
            for init in g.get("initiators") or []:
                in_groups.setdefault(_initiator_key(init), []).append("%s:%s" % (g.get("svm"), g.get("name")))
        multi_host_initiators = [{"initiator": init, "hosts": sorted(owners[init]), "igroups": sorted(in_groups[init])}
                                 for init in sorted(owners) if len(owners[init]) > 1]
        reach = {}
        for g in groups:
            for host in g.get("hosts") or []:
                for m in g.get("lun_maps") or []:
                    key = (host, g.get("svm"), m.get("path"))
                    reach.setdefault(key, []).append({"igroup": g.get("name"), "lun_id": m.get("lun_id"),
                                                      "wwid": m.get("wwid")})
        multi_igroup_luns = [{"host": h, "svm": svm, "path": path, "wwid": via[0]["wwid"],
                              "igroups": sorted(v["igroup"] for v in via),
                              "lun_ids": sorted({v["lun_id"] for v in via})}
                             for (h, svm, path), via in sorted(reach.items()) if len(via) > 1]
        out.append({"cluster": cluster, "igroups": len(groups), "shared_igroups": shared,
                    "multi_host_initiators": multi_host_initiators, "multi_igroup_luns": multi_igroup_luns,
                    "problems": []})
    for cluster in sorted(problems):
        out.append({"cluster": cluster, "igroups": 0, "shared_igroups": [], "multi_host_initiators": [],
                    "multi_igroup_luns": [], "problems": problems[cluster]})
    return out
