# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/plugin_utils/ontap_records.py against NetApp's documented answers (tests/unit/fixtures/ontap/<version>/,
the example responses of the ONTAP 9.8 and 9.17.1 REST API references, each with its page): every field the
collection reads has a documented value, and the SAN reads turn each documented answer into the records and target
identities the judge compares with the host (WWIDs, LUN ids, WWPNs, IQNs)."""

import re
from pathlib import Path

import pytest

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap, ontap_records
from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_description
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import (
    ONTAP_VERSIONS, documented_answers, joined_documented, serve_documented)

pytestmark = pytest.mark.usefixtures("fresh_ontap_memory_cache")

DOCS = Path(__file__).resolve().parents[4] / "docs" / "ontap.md"


def values(obj, dotted):
    """The values at a dotted path of a record, lists walked (lun_maps.igroup.uuid)."""
    found = [obj]
    for part in dotted.split("."):
        step = []
        for value in found:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and part in item:
                    step.append(item[part])
        found = step
    return found


@pytest.mark.parametrize("version", ONTAP_VERSIONS)
def test_every_field_the_collection_reads_has_a_documented_value_and_page(version):
    """A field read from ONTAP without NetApp's documented answer beside it is a format nobody outside the project
    checked: every (collection, field) of ontap_records.READS has a value in the fixture of each version, and each
    fixture names its docs.netapp.com page."""
    answers = documented_answers(version)
    missing = [(api, field) for api, _query, fields in ontap_records.READS for field in fields.split(",")
               if not any(values(rec, field) for rec in answers[api].get("records", [answers[api]]))]
    assert missing == []
    for api, answer in answers.items():
        assert answer["_source"]["ontap"] == version
        assert answer["_source"]["page"].startswith("https://docs.netapp.com/us-en/ontap-restapi-%s/"
                                                    % version.replace(".", "")), api


@pytest.mark.parametrize("version", ONTAP_VERSIONS)
def test_the_san_reads_turn_netapps_documented_answers_into_the_host_identities(tmp_path, version):
    """Through the real client (HTTPS, paging, checks) and readers, NetApp's documented answers give: the LUN's WWID
    as multipath names it (3600a0980 + the hex of serial wf0Iq+N4uck3), its LUN id 0 as a number, the igroup found
    by its documented WWPN in another spelling, the SVM's iSCSI target name and LIF address, and the FCP LIF's WWPN
    as a SCSI target while the FC-NVMe LIF's is not one."""
    with OntapSimulator(from_description({"cluster": "unused"}), str(tmp_path)) as sim:
        serve_documented(sim, joined_documented(documented_answers(version)))
        read = ontap.fetch_truth(ontap.OntapClient(sim.options(), "t"), svm="svm1")
        truth = ontap.array_truth(ontap.cluster_list(sim.options(cache_ttl=0, svm="svm1")), ["0x2001005056BB7072"], "t")
    assert (read["cluster"], read["cluster_version"]) == (
        "cluster1", "NetApp Release 9.4.0: Sun Nov 05 18:20:57 UTC 2017")
    assert truth["problems"] == []
    (rec,) = truth["luns"]
    assert (rec["wwid"], rec["serial"], rec["serial_hex"]) == (
        "3600a098077663049712b4e3475636b33", "wf0Iq+N4uck3", "77663049712b4e3475636b33")
    assert rec["lun_id"] == 0 and isinstance(rec["lun_id"], int) and not isinstance(rec["lun_id"], bool)
    assert (rec["cluster"], rec["svm"], rec["path"], rec["state"], rec["size_bytes"]) == (
        "cluster1", "svm1", "/vol/vol1/lun1", "online", 322163441664)
    assert (rec["igroup"], rec["igroup_protocol"], rec["igroup_os_type"], rec["igroup_initiators"]) == (
        "igroup2", "mixed", "windows", ["20:01:00:50:56:bb:70:72", "iqn.1991-05.com.ms:host1"])
    targets = dict((t["svm"], t) for t in truth["targets"])
    assert targets["svm1"]["iscsi_target_names"] == ["iqn.1992-08.com.netapp:sn.19d04b8e94d711e88370005056b48fd2:vs.4"]
    assert targets["svm1"]["fc_wwpns"] == ["20:04:00:50:56:bb:a0:e0"]
    assert targets["user_vs0"]["iscsi_addresses"] == ["10.10.10.11"]
    assert "svm3" not in targets      # its only LIF is FC-NVMe: an NVMe target, no SCSI one
    assert truth["initiators"] == ["20:01:00:50:56:bb:70:72"]


@pytest.mark.parametrize("version", ONTAP_VERSIONS)
def test_a_lun_mapped_to_an_igroup_the_igroups_read_did_not_return_is_a_problem_in_the_documented_answers(
        tmp_path, version):
    """NetApp's examples as they are describe different objects: the LUN example's igroup (ig1) is none of the
    igroup examples, which the reader must name (dropped_mapping), never read as "not mapped"."""
    with OntapSimulator(from_description({"cluster": "unused"}), str(tmp_path)) as sim:
        serve_documented(sim, documented_answers(version))
        truth = ontap.array_truth(ontap.cluster_list(sim.options(cache_ttl=0)), None, "t")
    assert [p["kind"] for p in truth["problems"]] == ["dropped_mapping"] and "ig1" in truth["problems"][0]["msg"]


def test_the_docs_table_lists_every_field_the_collection_reads():
    """docs/ontap.md's table of the fields read (endpoint, field, documented type and format, example, use) must name
    every (collection, field) the code asks for, so a field added to a read without its documented format fails."""
    table = [line for line in DOCS.read_text().splitlines() if line.startswith("| `GET /api/")]
    listed = set()
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        api = re.match(r"`GET /api/([^`?]+)", cells[0]).group(1)
        listed.add((api, cells[1].strip("`")))
    wanted = set((api, field) for api, _query, fields in ontap_records.READS for field in fields.split(","))
    assert sorted(wanted - listed) == []
