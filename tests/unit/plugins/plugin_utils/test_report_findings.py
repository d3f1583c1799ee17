# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/plugin_utils/report_findings.py` and the reports' other check lists: each is the check
registry's (module_utils/_san/check_registry.py), never a list of its own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.check_registry import CHECKS
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import compliance, report_findings
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import report_fleet, report_identity


def test_the_lists_of_the_reports_are_the_registrys():
    """Fails when a report keeps an action, a JUnit case list or a verdict list of its own."""
    assert report_findings.ACTIONS == dict((c.id, c.action) for c in CHECKS)
    assert report_fleet.AREA_CHECKS == dict((a, tuple(c.id for c in CHECKS if c.area == a and c.junit))
                                            for a in check_registry.AREAS)
    assert report_identity.FLEET_CHECKS == report_fleet.AREA_CHECKS["fleet"]
    assert compliance.STALE_VERDICTS == ("stale_unmapped", "serial_mismatch", "unexpected_visibility",
                                         "uuid_mismatch", "lif_gone")


def test_a_flasharrays_read_error_is_explained_in_its_own_words_not_ontaps():
    """A FlashArray that refused its API token was explained as ONTAP ("security login show", sanfleet_ontap, the AWX
    ONTAP credential), and its NVMe part, then not read, as "the cluster could not be read" (review 10). The
    problem says its kind of array (host_truth); without one, it is an ONTAP cluster's, as before."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import array_problem
    refused = {"cluster": "fa1.example.com", "svm": None, "kind": "lookup_failed", "array_kind": "pure",
               "msg": "Pure POST /api/2.36/login on fa1.example.com failed (HTTP 401): Invalid API token."}
    p = array_problem(refused)
    text = p["meaning"] + " " + p["action"]
    assert p["cause"] == "auth" and "ONTAP" not in text and "security login" not in text, text
    assert "sanfleet_pure" in p["action"] and p["http_status"] == 401
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.pure_records import nvme_state
    ports = [{"nqn": "nqn.2010-06.com.purestorage:flasharray.%d" % n, "portal": None, "wwn": None} for n in (1, 2)]
    nvme = array_problem(dict(refused, msg=nvme_state({"ports": ports})["reason"]))
    assert nvme["cause"] == "nvme_nqns_unclear" and "could not be read" not in nvme["meaning"], nvme
    ontap = array_problem(dict(refused, array_kind=None, msg="ONTAP c1: HTTP 401 (not authorized)"))
    assert "security login show" in ontap["action"]
    # the kinds whose meaning is the vendor's: a FlashArray's in its words, an ONTAP cluster's (or a caller's) in ONTAP's
    for kind in ("unexpected_format", "dropped_mapping"):
        pure_p = array_problem(dict(refused, kind=kind, msg="Pure fa1: the connection of volume v to host h ..."))
        ontap_p = array_problem(dict(refused, kind=kind, array_kind=None, msg="ONTAP c1: ..."))
        assert pure_p["cause"] == ontap_p["cause"] == kind
        assert "ONTAP" not in pure_p["meaning"] + pure_p["action"] and "igroup" not in pure_p["meaning"], pure_p
        assert "ONTAP" in ontap_p["meaning"] + ontap_p["action"] or "igroup" in ontap_p["meaning"], ontap_p
    # its NVMe part alone unusable: not "could not be read", the SCSI devices were judged
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.pure_records import NVME_PART_UNUSABLE
    part = array_problem(dict(refused, msg="%s: Pure fa1: volume v: Pure volume serial 'x' is not 24 hex digits"
                                           % NVME_PART_UNUSABLE))
    assert part["cause"] == "nvme_part_unusable" and "SCSI devices, which were judged" in part["action"], part


def test_a_secret_file_that_cannot_be_read_is_explained_as_the_entry_not_as_tls(tmp_path):
    """A missing api_token_file (or ONTAP password_file) was explained as a certificate problem ("Give ca_path"): the
    TLS cause matches the "No such file" of a CA file, and came first (review 12). The messages are the readers' own,
    raised by a read of an entry whose file is not there, and one whose file is empty."""
    import pytest
    from ansible.errors import AnsibleLookupError
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap, pure
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report_findings import array_problem
    empty = tmp_path / "empty"
    empty.write_text("")
    spaced = tmp_path / "a dir" / "empty"      # a path with a blank in it (review 13)
    spaced.parent.mkdir()
    spaced.write_text("")
    for kind, read, key in (("pure", lambda o: pure.get_truth(o, fetch=lambda: {}), "api_token_file"),
                            ("ontap", ontap.with_password_file, "password_file")):
        for path in (tmp_path / "missing", empty, spaced):
            with pytest.raises(AnsibleLookupError) as exc:
                read({"hostname": "a1.example.com", key: str(path), "username": "ro"})
            p = array_problem({"cluster": "a1", "svm": None, "kind": "lookup_failed", "msg": str(exc.value),
                               "array_kind": kind})
            assert p["cause"] == "config" and "ca_path" not in p["action"], (kind, str(exc.value), p)
    # a CA file that is not there is still a TLS problem
    tls = array_problem({"cluster": "a1", "svm": None, "kind": "lookup_failed", "array_kind": "pure",
                         "msg": "Pure GET /api/api_version on a1: [Errno 2] No such file or directory"})
    assert tls["cause"] == "tls", tls
