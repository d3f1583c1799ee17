# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


QUEUEING = ["mpath%s" % c for c in "abcdefgh"]


def nvme_result(root, setup=None, paths=2, **ctrl):
    """nvme_conf's result (judge.nvme_audit.audit of the real reader) of a host tree written under `root`: an
    NVMe/TCP host of one ONTAP subsystem over `paths` controllers (SanTree.ontap_nvme_tcp, observe/helpers.py; the
    controllers with `ctrl`), then setup(tree); paths=0: no NVMe but what setup writes."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_audit
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import SanTree
    tree = SanTree(root)
    if paths:
        tree.ontap_nvme_tcp(paths=paths, **ctrl)
    if setup:
        setup(tree)
    return dict(nvme_audit.audit(nvme.read_nvme_fabrics(tree.root)), changed=False, errors=[])


# ------------------------------------------------------------------------------ NetApp's documented answers
# tests/unit/fixtures/ontap/<version>/<collection>.json: the example answers of NetApp's ONTAP REST API reference
# for every collection the array truth reads, each with its `_source` (page, example, what was built from the model)
ONTAP_VERSIONS = ("9.8", "9.17.1")


def documented_answer(version, api):
    """The documented answer (a dict, `_source` included) of collection `api` ("storage/luns") in ONTAP `version`."""
    import json
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "fixtures", "ontap", version, api.replace("/", "_") + ".json")
    with open(path) as fh:
        return json.load(fh)


def documented_answers(version):
    """{collection: documented answer} of every collection the array truth reads (ontap_records.READS)."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_records import READS
    return dict((api, documented_answer(version, api)) for api, _query, _fields in READS)


def serve_documented(sim, answers):
    """Make the ONTAP simulator answer each collection with `answers[api]` verbatim (its raw-answer hook): the client
    and the readers parse NetApp's documented JSON, not what the simulator would serialize."""
    import json
    for api, body in answers.items():
        sim.raw_answers[api] = (200, json.dumps(body))


def joined_documented(answers):
    """`answers` with NetApp's examples joined as one cluster would answer: the examples describe different objects
    (the LUN example maps igroup ig1, 2b9d57e1-..., which no igroup example is; the subsystem map example names
    subsystem1 and /vol/vol1/namespace1 by other UUIDs than the subsystem and namespace examples have), so the LUN's
    map is pointed at the documented igroup2 and the map at the documented subsystem's and namespace's UUIDs. Only
    those references change; every value the readers turn into an identity (serial, LUN id, NSID, WWPN, NQN) is the
    documented one."""
    import copy
    out = copy.deepcopy(answers)
    igroup = [g for g in out["protocols/san/igroups"]["records"] if g["name"] == "igroup2"][0]
    out["storage/luns"]["records"][0]["lun_maps"][0]["igroup"].update(uuid=igroup["uuid"], name=igroup["name"])
    nmap = out["protocols/nvme/subsystem-maps"]["records"][0]
    nmap["subsystem"]["uuid"] = out["protocols/nvme/subsystems"]["records"][0]["uuid"]
    nmap["namespace"]["uuid"] = out["storage/namespaces"]["records"][0]["uuid"]
    return out
