# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one loop over array-truth sources (plugin_utils/host_truth.py), with a toy source that is not ONTAP: what a
source implements is all the loop needs, and what it builds is the contract the modules check (validate.array_truth).
ONTAP through it: test_ontap.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.host_truth import host_truth

HOST_IQN = "iqn.1994-05.com.redhat:h1"


class ToyError(AnsibleLookupError):
    pass


class ToySource:
    """An array that serves each volume to the hosts listed with it; its reads are the dicts of ``arrays`` by name."""

    kind = "toy"
    errors = (ToyError,)
    wwid_prefixes = ("3624a9370",)

    def __init__(self, arrays):
        self.arrays = arrays
        self.nvme_calls = []

    @staticmethod
    def label(opts):
        return opts["hostname"]

    @staticmethod
    def scope(opts):
        return None

    def read(self, opts):
        read = self.arrays[opts["hostname"]]
        if isinstance(read, Exception):
            raise read
        return read, "fetched"

    @staticmethod
    def summary(read):
        return {"cluster": read["name"], "collected_at": read["at"], "requests": 3, "retries": read.get("retries")}

    @staticmethod
    def lun_records(read, initiators, problems):
        if read.get("bad_record"):
            raise ToyError("volume v9 has serial 'x', not 24 hex digits")
        return [{"cluster": read["name"], "svm": None, "path": v["name"], "serial": None,
                 "wwid": "3624a9370" + v["serial"], "lun_id": v["lun"], "igroup": "h1", "igroup_protocol": "iscsi",
                 "igroup_initiators": [HOST_IQN], "collected_at": read["at"]}
                for v in read["volumes"] if initiators is None or HOST_IQN in initiators]

    @staticmethod
    def targets(read):
        return [{"svm": None, "iscsi_target_names": [read["iqn"]], "iscsi_addresses": [], "fc_wwpns": []}]

    def add_nvme(self, nvme, read, opts):
        self.nvme_calls.append(read["name"])


def _array(name, at, iqn, volumes=(), **more):
    return dict({"name": name, "at": at, "iqn": iqn,
                 "volumes": [{"name": n, "serial": s, "lun": i} for i, (n, s) in enumerate(volumes, 1)]}, **more)


def test_a_source_that_is_not_ontap_gives_the_contract_the_modules_check():
    source = ToySource({"fa1": _array("fa1", 1000.0, "iqn.2010-06.com.purestorage:flasharray.1",
                                      [("v1", "a0b1c2d3e4f5a6b7c8d9e0f1")], retries={"503": 1}),
                        "fa2": _array("fa2", 900.0, "iqn.2010-06.com.purestorage:flasharray.2")})
    truth = host_truth([(source, {"hostname": "fa1"}), (source, {"hostname": "fa2"})], [HOST_IQN])
    checked = validate.array_truth(truth)
    assert [r["wwid"] for r in checked["luns"]] == ["3624a9370a0b1c2d3e4f5a6b7c8d9e0f1"]
    assert [(t["cluster"], t["collected_at"]) for t in truth["targets"]] == [("fa1", 1000.0), ("fa2", 900.0)]
    assert [(c["cluster"], c["array_kind"], c["retries"]) for c in truth["clusters"]] == [
        ("fa1", "toy", {"503": 1}), ("fa2", "toy", {})]
    assert truth["collected_at"] == 900.0, "the truth is as old as its oldest read"
    assert truth["initiators"] == [HOST_IQN] and truth["problems"] == []
    assert source.nvme_calls == ["fa1", "fa2"], "each array read gives its NVMe part (or its problem)"
    assert checked["wwid_prefixes"] == ["3624a9370"], "the source's devices are judged against it"


def test_an_array_that_cannot_be_read_is_a_problem_of_both_truths_and_covers_nothing():
    """Fail closed: an unread array adds no target (its devices stay not_covered) and blocks removals (a problem of
    the SCSI and of the NVMe truth), while the other arrays are still judged."""
    source = ToySource({"fa1": ToyError("login failed (HTTP 401)"),
                        "fa2": _array("fa2", 900.0, "iqn.2010-06.com.purestorage:flasharray.2")})
    truth = host_truth([(source, {"hostname": "fa1"}), (source, {"hostname": "fa2"})], [HOST_IQN])
    # each problem names its kind of array, so that the reports explain it in that vendor's words
    problem = {"cluster": "fa1", "svm": None, "kind": "lookup_failed", "msg": "login failed (HTTP 401)",
               "array_kind": "toy"}
    assert truth["problems"] == [problem] and truth["nvme"]["problems"] == [problem]
    assert [t["cluster"] for t in truth["targets"]] == ["fa2"]
    assert [c["cluster"] for c in truth["clusters"]] == ["fa2"]
    # an array asked and not read still names its prefix: its devices are judged (not covered), never unknown_array,
    # which host_evidence may remove
    only_unread = host_truth([(ToySource({"fa1": ToyError("refused")}), {"hostname": "fa1"})], [HOST_IQN])
    assert only_unread["wwid_prefixes"] == ["3624a9370"] and only_unread["clusters"] == []


def test_an_array_whose_records_cannot_be_built_covers_nothing():
    """A read the source cannot turn into records is not "no record": had its targets been kept, every device it
    serves would look covered and unmapped."""
    source = ToySource({"fa1": _array("fa1", 1000.0, "iqn.2010-06.com.purestorage:flasharray.1", bad_record=True)})
    truth = host_truth([(source, {"hostname": "fa1"})], [HOST_IQN])
    assert [p["kind"] for p in truth["problems"]] == ["lookup_failed"] and "not 24 hex" in truth["problems"][0]["msg"]
    assert truth["targets"] == [] and truth["luns"] == [] and truth["clusters"] == []


def test_one_target_identity_under_two_arrays_is_a_problem():
    """Two arrays answering for one iSCSI target name: a device behind it cannot be told to be one array's."""
    same = "iqn.2010-06.com.purestorage:flasharray.1"
    source = ToySource({"fa1": _array("fa1", 1.0, same), "fa2": _array("fa2", 2.0, same)})
    truth = host_truth([(source, {"hostname": "fa1"}), (source, {"hostname": "fa2"})], [HOST_IQN])
    assert [p["kind"] for p in truth["problems"]] == ["duplicate_target_identity"]


def test_an_error_the_source_does_not_name_is_not_taken_for_an_unread_array():
    """A defect (a TypeError) stops the lookup: it is not a read that failed, and must not be reported as one."""
    source = ToySource({"fa1": TypeError("a bug")})
    with pytest.raises(TypeError):
        host_truth([(source, {"hostname": "fa1"})], [HOST_IQN])


def test_no_initiators_given_reads_every_mapping():
    source = ToySource({"fa1": _array("fa1", 1.0, "iqn.2010-06.com.purestorage:flasharray.1", [("v1", "a" * 24)])})
    truth = host_truth([(source, {"hostname": "fa1"})], None)
    assert truth["initiators"] == ["*"] and len(truth["luns"]) == 1
