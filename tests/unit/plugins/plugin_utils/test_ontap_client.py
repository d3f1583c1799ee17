# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netapp.ontap's client is imported when a cluster is asked, not by the report and compliance filters (else
every Ansible worker that rendered a host report paid netapp.ontap's import and its deprecation warning's stack
walk, ~30 % of the audit's controller CPU in the 1,024-LUN controller profile)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import sys

from ansible.errors import AnsibleLookupError
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap_client
from ansible_collections.sanfleet.remediation.tests.unit.helpers import modules_imported_after


NETAPP = "ansible_collections.netapp.ontap.plugins.module_utils.netapp"


FILTERS = ("host_report", "fleet_report", "compliance_violations", "san_report", "igroup_layout", "report_dir",
           "fleet_identity", "fleet_identity_violations")
# what the filters import when they are first called (plugin_utils/deferred.py)
FILTER_CODE = ("report", "report_fleet", "compliance")


def test_the_report_and_compliance_filters_do_not_import_netapp_ontap():
    """Fails when the report or compliance filters, or the code they call, import netapp.ontap."""
    code = "\n".join(["import ansible_collections.sanfleet.remediation.plugins.filter.%s" % f for f in FILTERS]
                     + ["import ansible_collections.sanfleet.remediation.plugins.plugin_utils.%s" % m for m in FILTER_CODE])
    modules = modules_imported_after(code)
    assert "ansible_collections.sanfleet.remediation.plugins.plugin_utils.report" in modules  # the probe works
    assert [m for m in modules if m.startswith("ansible_collections.netapp")] == []


def test_a_client_imports_netapp_ontap_when_it_is_built():
    """Fails when building an ONTAP client does not import netapp.ontap."""
    code = ("from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap_client\n"
            "ontap_client.OntapClient({'hostname': 'c1', 'username': 'u', 'password': 'p'}, 'ontap_luns')")
    assert NETAPP in modules_imported_after(code)


def test_without_netapp_ontap_a_client_says_what_is_missing(monkeypatch):
    """Fails when a missing netapp.ontap is not a clear error naming the collection."""
    # None in sys.modules makes the import raise ImportError, as on a controller without the collection
    monkeypatch.setitem(sys.modules, NETAPP, None)
    with pytest.raises(AnsibleLookupError, match=r"ontap_luns needs the netapp.ontap collection \(>=23,<24\)"):
        ontap_client.OntapClient({"hostname": "c1", "username": "u", "password": "secret-pw"}, "ontap_luns")


def test_a_broken_netapp_ontap_is_a_failed_read_not_a_traceback(monkeypatch):
    """Fails when a broken netapp.ontap raises a traceback instead of a lookup error."""
    # e.g. a half-installed collection: its module raises something other than ImportError when imported
    class Broken(type(sys)):
        def __getattr__(self, name):
            raise RuntimeError("netapp.ontap is half installed")

    monkeypatch.setitem(sys.modules, NETAPP, Broken(NETAPP))
    with pytest.raises(AnsibleLookupError, match=r"ontap_truth could not import the netapp.ontap collection on the "
                                                 r"controller: RuntimeError: netapp.ontap is half installed"):
        ontap_client.OntapClient({"hostname": "c1", "username": "u", "password": "secret-pw"}, "ontap_truth")
