"""The ontap_truth lookup as a play calls it."""

from ansible_collections.sanfleet.remediation.tests.ontap_sim import lookup_plugin


def test_no_cluster_given_blocks_the_nvme_truth_too(monkeypatch):
    """Without any cluster nothing was read: the NVMe truth must say so as the SCSI one does (an empty NVMe truth
    without a problem would read as "every namespace unmapped")."""
    monkeypatch.delenv("ONTAP_HOSTNAME", raising=False)
    (truth,) = lookup_plugin("sanfleet.remediation.ontap_truth").run([], variables={}, clusters=[],
                                                                     initiators=["nqn.2014-08.org.nvmexpress:uuid:1"])
    assert [p["kind"] for p in truth["problems"]] == ["no_cluster"]
    assert [p["kind"] for p in truth["nvme"]["problems"]] == ["no_cluster"]
    assert truth["nvme"]["host_nqns"] == ["nqn.2014-08.org.nvmexpress:uuid:1"] and truth["nvme"]["namespaces"] == []
