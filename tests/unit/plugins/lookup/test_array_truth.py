"""The array_truth lookup as a play calls it: sanfleet_ontap and sanfleet_pure read into one truth."""

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap, pure
from ansible_collections.sanfleet.remediation.tests.ontap_sim import lookup_plugin

IQN = "iqn.1994-05.com.redhat:h1"


def _without_array_environment(monkeypatch):
    for name in ("ONTAP_HOSTNAME", "PUREFA_URL"):
        monkeypatch.delenv(name, raising=False)


def test_no_array_given_is_a_problem_that_names_both_variables(monkeypatch):
    """Nothing read, nothing judged unmapped, in the SCSI and the NVMe truth alike; the message names where arrays
    are given, for each vendor."""
    _without_array_environment(monkeypatch)
    (truth,) = lookup_plugin("sanfleet.remediation.array_truth").run([], variables={}, initiators=[IQN])
    assert [p["kind"] for p in truth["problems"]] == ["no_cluster"]
    assert [p["kind"] for p in truth["nvme"]["problems"]] == ["no_cluster"]
    for name in ("sanfleet_ontap", "sanfleet_pure", "ONTAP_HOSTNAME", "PUREFA_URL"):
        assert name in truth["problems"][0]["msg"], name


def test_the_arrays_of_both_variables_are_read_into_one_truth(monkeypatch):
    """A host with LUNs from an ONTAP cluster and a FlashArray: one truth with the records, targets and reads of
    both, each read failing on its own (a FlashArray that refuses the token leaves the cluster's truth judged)."""
    _without_array_environment(monkeypatch)
    asked = []

    def ontap_read(opts, plugin_name):
        asked.append(("ontap", opts["hostname"]))
        return ({"cluster": "cl1", "fetched_at": 2000.0, "igroups": [], "luns": [], "warnings": [],
                 "targets": [{"svm": "svm1", "iscsi_target_names": ["iqn.1992-08.com.netapp:sn.1"],
                              "iscsi_addresses": [], "fc_wwpns": []}],
                 "nvme": {"state": "no_nvme"}}, "fetched")

    def pure_read(opts):
        asked.append(("pure", opts["hostname"]))
        raise pure.PureError("Pure POST login on %s: HTTP 401: Invalid API token" % opts["hostname"])

    monkeypatch.setattr(ontap, "get_truth", ontap_read)
    monkeypatch.setattr(pure, "get_truth", pure_read)
    variables = {"sanfleet_ontap": [{"hostname": "cl1.example.com", "username": "u", "password": "p"}],
                 "sanfleet_pure": [{"hostname": "fa1.example.com", "api_token": "t"}]}
    (truth,) = lookup_plugin("sanfleet.remediation.array_truth").run([], variables=variables, initiators=[IQN])
    assert asked == [("ontap", "cl1.example.com"), ("pure", "fa1.example.com")]
    assert [c["array_kind"] for c in truth["clusters"]] == ["ontap"]
    assert [t["cluster"] for t in truth["targets"]] == ["cl1"]
    assert [(p["cluster"], p["kind"]) for p in truth["problems"]] == [("fa1.example.com", "lookup_failed")]
    assert "HTTP 401" in truth["problems"][0]["msg"]
