# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry of array-truth sources (plugin_utils/array_sources.py): every source implements what the one loop
(host_truth.host_truth) calls, and the array_truth lookup takes every source's variable."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.parsing.plugin_docs import read_docstring

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import array_sources
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.array_sources import SOURCES, host_arrays

WHAT_A_SOURCE_IMPLEMENTS = ("kind", "errors", "label", "scope", "read", "summary", "lun_records", "targets", "add_nvme")


def test_every_source_implements_what_the_loop_calls_under_its_own_kind():
    for kind, entry in SOURCES.items():
        source = entry["source"]()
        missing = [name for name in WHAT_A_SOURCE_IMPLEMENTS if not hasattr(source, name)]
        assert not missing, (kind, missing)
        assert source.kind == kind


def test_the_lookup_takes_the_variable_of_every_source():
    """A vendor added to the registry is read by the playbooks only once the lookup takes its variable."""
    # read as ansible-doc reads it (importing the plugin here would hide it from the collection loader of later tests)
    path = os.path.join(os.path.dirname(array_sources.__file__), os.pardir, "lookup", "array_truth.py")
    options = read_docstring(path)["doc"]["options"]
    taken = {name: [v["name"] for v in option.get("vars") or []] for name, option in options.items()}
    for kind, entry in SOURCES.items():
        assert taken.get(kind) == [entry["variable"]], (kind, taken)


def test_the_arrays_are_listed_in_the_registrys_order_with_their_source():
    given = {"pure": [{"hostname": "fa1", "api_token": "t"}], "ontap": [{"hostname": "cl1"}]}
    arrays = host_arrays(given, env={})
    assert [(s.kind, opts["hostname"]) for s, opts in arrays] == [("ontap", "cl1"), ("pure", "fa1")]


def test_a_cache_ttl_that_is_no_number_is_a_problem_of_that_array_the_others_are_read(monkeypatch):
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils import array_sources
    given = {"pure": [{"hostname": "fa1", "api_token": "t", "cache_ttl": "soon"}],
             "ontap": [{"hostname": "c1", "username": "u", "password": "p", "cache_ttl": "soon"}]}
    truth = array_sources.truth_of(given, None, env={})
    assert sorted((p["cluster"], p["kind"]) for p in truth["problems"]) == [("c1", "lookup_failed"), ("fa1", "lookup_failed")]
    assert all("cache_ttl must be a number of seconds" in p["msg"] for p in truth["problems"])
