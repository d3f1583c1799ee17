# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netapp.ontap's client is imported when a cluster is asked, not by the report and compliance filters (else
every Ansible worker that rendered a host report paid netapp.ontap's import and its deprecation warning's stack
walk, ~30 % of the audit's controller CPU in the 1,024-LUN controller profile)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys
import time

import pytest

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


# -- retries: HTTP 503 and 429, connection resets ---------------------------------------------------------------
TWO_LUNS = {"cluster": "cl1", "svms": ["svm1"],
            "igroups": [{"name": "ig_h1", "svm": "svm1", "initiators": ["iqn.1994-05.com.redhat:h1"]}],
            "luns": [{"path": "/vol/v1/lun%d" % i, "svm": "svm1", "serial": "80AbCd+/-$%02d" % i,
                      "maps": [{"igroup": "ig_h1", "lun_id": i}]} for i in range(2)]}


@pytest.fixture
def sim(tmp_path):
    from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_description
    with OntapSimulator(from_description(TWO_LUNS), str(tmp_path)) as server:
        yield server


def client(sim, timeout=ontap_client.DEFAULT_TIMEOUT, **extra):
    return ontap_client.OntapClient(sim.options(**extra), "sanfleet.remediation.test", timeout=timeout)


def test_a_busy_cluster_is_asked_again_and_each_retry_is_counted(sim):
    """One 503 ("busy"), a 429 or a connection reset blinded the whole run: the read failed and every host's
    devices went unjudged. Each is tried again, and the client counts why."""
    sim.interruptions["storage/luns"] = [503, 429, "reset"]
    c = client(sim)
    assert len(c.get_all("storage/luns", {"fields": "name"})) == 2
    assert [e["status"] for e in sim.requests_to("storage/luns")] == [503, 429, "reset", 200]
    assert sorted(c.retries) == ["HTTP 429", "HTTP 503", "connection reset"]


def test_a_retry_waits_as_long_as_retry_after_asks(sim):
    sim.interruptions["cluster"], sim.retry_after = [503], 2
    started = time.monotonic()
    status, body, error = client(sim).get_one("cluster", {"fields": "name"})
    assert (status, error, body.get("name")) == (200, None, "cl1")
    assert time.monotonic() - started >= 2


def test_a_cluster_busy_past_the_request_timeout_is_a_failed_read_that_names_its_status(sim):
    """The retries of a request end within its timeout: then the read fails with ONTAP's answer, as before."""
    sim.interruptions["storage/luns"] = [503] * 100
    c = client(sim, timeout=3)
    started = time.monotonic()
    with pytest.raises(ontap_client.OntapError, match=r"storage/luns on 127\.0\.0\.1 failed \(HTTP 503\)"):
        c.get_all("storage/luns", {"fields": "name"})
    assert time.monotonic() - started < 3 + 1
    assert len(c.retries) >= 2 and set(c.retries) == {"HTTP 503"}
    assert len(sim.requests_to("storage/luns")) == len(c.retries) + 1


@pytest.mark.parametrize("failure", ["refused", "untrusted", "401"])
def test_a_refused_connection_an_untrusted_certificate_or_a_401_is_not_asked_again(sim, failure):
    """A retry is for an answer that says "later": these are named at once."""
    extra = {"refused": {"http_port": 1}, "untrusted": {"ca_path": None}, "401": {"password": "wrong"}}[failure]
    c = client(sim, **extra)
    started = time.monotonic()
    status, _body, error = c.get_one("cluster", {"fields": "name"})
    assert error and c.retries == [] and time.monotonic() - started < 2, (status, error)
    assert len(sim.requests_to("cluster")) == (1 if failure == "401" else 0)


# -- netapp.ontap's deprecated import -------------------------------------------------------------------------------
def test_only_netapp_ontaps_deprecated_text_import_is_dropped_while_it_is_imported(monkeypatch):
    """The deprecation of ansible.module_utils._text's names (ansible-core 2.19+) that netapp.ontap's import
    raises is not ours to act on; any other deprecation must still be shown."""
    shown = []
    monkeypatch.setattr(ontap_client.display, "deprecated", lambda msg, *a, **kw: shown.append(msg), raising=False)
    # as ansible.module_utils.common.warnings.deprecate calls it (the sanity test's deprecation checks do not apply)
    deprecated = getattr(ontap_client.display, "deprecated")
    with ontap_client._without_their_text_deprecation():
        getattr(ontap_client.display, "deprecated")(
            "Importing 'to_native' from 'ansible.module_utils._text' is deprecated.", version="2.24")
        getattr(ontap_client.display, "deprecated")(
            "Importing 'x' from 'ansible.module_utils.six' is deprecated.", version="2.24")
    deprecated("Importing 'to_text' from 'ansible.module_utils._text' is deprecated.")
    assert shown == ["Importing 'x' from 'ansible.module_utils.six' is deprecated.",
                     "Importing 'to_text' from 'ansible.module_utils._text' is deprecated."]


PLAY = """
- name: Ask the cluster
  hosts: localhost
  gather_facts: false
  tasks:
    - name: One cluster read
      ansible.builtin.debug:
        msg: "{{ query('sanfleet.remediation.ontap_truth', clusters=[cluster], initiators=['iqn.1994-05.com.redhat:h1'])
                 | map(attribute='luns') | first | length }} records"
"""


def test_a_run_that_asks_a_cluster_prints_no_deprecation_of_netapp_ontaps_imports(sim, tmp_path):
    """netapp.ontap 23.x imports to_native from ansible.module_utils._text: on ansible-core 2.19+ every run that
    asked a cluster printed two lines about it on stderr (its deprecation and how to turn deprecations off)."""
    import json
    import os
    import subprocess
    (tmp_path / "play.yml").write_text(PLAY)
    cluster = dict(sim.options(), cache_ttl=0)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "play.yml",
                           "-e", json.dumps({"cluster": cluster})], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "2 records" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "ansible.module_utils._text" not in proc.stderr and "DEPRECATION" not in proc.stderr, proc.stderr


def test_a_retry_started_late_in_the_timeout_ends_within_twice_it(sim):
    """docs/ontap.md: a retry starts only within `timeout` of the first try and each try takes at most `timeout`, so a
    request ends within twice it. A 503 that comes late (the cluster slow to say it is busy) is tried once more, and
    that try, slower than `timeout`, is cut at its own timeout: no third try starts after the first's deadline (the
    doc once said "its retries included", which held for when a retry starts, not for how long it takes)."""
    timeout, answers = 2, [(1.6, 503), (2.5, None)]   # (seconds before the answer, the interruption or None)
    plain = sim.next_interruption

    def slow(path):
        if path.startswith("/api/cluster") and answers:
            wait, cut = answers.pop(0)
            time.sleep(wait)
            if cut is not None:
                sim.interruptions["cluster"] = [cut]
        return plain(path)
    sim.next_interruption = slow
    c = client(sim, timeout=timeout)
    started = time.monotonic()
    status, _body, error = c.get_one("cluster", {"fields": "name"})
    elapsed = time.monotonic() - started
    assert c.retries == ["HTTP 503"], (c.retries, status, error)
    assert error and status is None, (status, error)
    assert elapsed <= 2 * timeout + 0.5, "the request took %.1fs, its timeout is %ss (%s, %s)" % (
        elapsed, timeout, status, error)
