# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FlashArray as an array-truth source (plugin_utils/pure.py): the entries of sanfleet_pure, the API token file, the
cached read, and the source's part of a host's truth. The REST reads and the records: test_pure_client.py and
test_pure_records.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import pure, truth_cache
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.host_truth import host_truth
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.pure_client import PureError

TOKEN = "e31060a7-21fc-e277-6240-25983c6c4592"    # the shape of the token in Pure's own Ansible examples


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setattr(truth_cache, "run_tmp_dir", lambda: str(tmp_path))
    truth_cache.clear_memory_cache()
    yield tmp_path
    truth_cache.clear_memory_cache()


def test_an_entry_needs_a_hostname_and_known_keys_only():
    """A typo in a key (api_tokn) would read the array without its token, or not at all: an error, never a silent
    drop of the array (its devices would then be judged by the other arrays' truth)."""
    with pytest.raises(AnsibleLookupError, match="unknown key 'api_tokn'"):
        pure.array_list([{"hostname": "fa1", "api_tokn": TOKEN}], env={})
    with pytest.raises(AnsibleLookupError, match=r"sanfleet_pure\[1\]: hostname is required"):
        pure.array_list([{"hostname": "fa1"}, {"api_token": TOKEN}], env={})
    with pytest.raises(AnsibleLookupError, match="expected a list"):
        pure.array_list("fa1", env={})


def test_certificates_are_verified_unless_turned_off_explicitly():
    arrays = pure.array_list([{"hostname": "fa1"}, {"hostname": "fa2", "validate_certs": "no"},
                              {"hostname": "fa3", "validate_certs": None}], env={})
    assert [a["validate_certs"] for a in arrays] == [True, False, True]


def test_one_dict_is_one_array_and_an_empty_list_reads_the_environment():
    assert pure.array_list({"hostname": "fa1", "api_token": TOKEN}, env={}) == [
        {"hostname": "fa1", "api_token": TOKEN, "validate_certs": True}]
    assert pure.array_list([], env={}) == []
    env = {"PUREFA_URL": "fa1.example.com", "PUREFA_API": TOKEN, "PUREFA_VALIDATE_CERTS": "false"}
    assert pure.array_list(None, env=env) == [
        {"hostname": "fa1.example.com", "api_token": TOKEN, "validate_certs": False}]


def test_the_token_file_gives_the_token_and_a_bad_one_is_this_arrays_read_failing(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    assert pure.with_token_file({"hostname": "fa1", "api_token_file": str(path)}) == {
        "hostname": "fa1", "api_token": TOKEN}
    path.write_text("\n")
    with pytest.raises(AnsibleLookupError, match="is empty"):
        pure.with_token_file({"hostname": "fa1", "api_token_file": str(path)})
    with pytest.raises(AnsibleLookupError, match="cannot read the API token file"):
        pure.with_token_file({"hostname": "fa1", "api_token_file": str(tmp_path / "missing")})


def test_a_read_without_a_token_fails_before_any_request(cache):
    def never():
        raise AssertionError("no request without a token")
    with pytest.raises(AnsibleLookupError, match="no api_token"):
        pure.get_truth({"hostname": "fa1"}, fetch=never)


def test_a_failed_read_is_made_once_per_run_and_its_error_holds_no_token(cache):
    """A FlashArray locks nothing on failed token logins that we know of, but a run of 100 hosts must still not
    make 100 failed logins; and the cached failure (a file) never holds the token."""
    calls = []

    def refused():
        calls.append(1)
        raise PureError("Pure POST login on fa1: HTTP 401: Invalid API token")
    for attempt in range(3):
        with pytest.raises(PureError, match="HTTP 401"):
            pure.get_truth({"hostname": "fa1", "api_token": TOKEN, "cache_ttl": 60}, fetch=refused)
        truth_cache.clear_memory_cache()
        assert len(calls) == 1, attempt
    for path in cache.rglob("*"):
        assert TOKEN not in path.name and (path.is_dir() or TOKEN not in path.read_text())


def test_another_token_is_another_read(cache):
    """Another identity never gets a read cached for the first (what it may see can differ)."""
    calls = []

    def read():
        calls.append(1)
        return {"array": "fa1"}
    pure.get_truth({"hostname": "fa1", "api_token": TOKEN}, fetch=read)
    pure.get_truth({"hostname": "fa1", "api_token": TOKEN.replace("e", "f")}, fetch=read)
    assert len(calls) == 2


def test_a_flasharray_read_blocks_nvme_removals_until_its_namespaces_are_read():
    """Its NVMe namespaces are not read: the host's NVMe truth gets a problem per array (fail closed), so that no
    NVMe namespace it serves is ever judged unmapped."""
    read = {"array": "fa1", "fetched_at": 1000.0, "hosts": [], "volumes": [], "connections": [], "ports": [],
            "host_groups": [], "targets": [], "warnings": []}
    truth = host_truth([(pure.PureSource(get=lambda opts: (read, "fetched")), {"hostname": "fa1.example.com"})],
                       ["iqn.1994-05.com.redhat:h1"])
    assert truth["problems"] == []
    assert [(p["cluster"], p["kind"]) for p in truth["nvme"]["problems"]] == [("fa1", "lookup_failed")]
    assert truth["clusters"][0]["array_kind"] == "pure"


@pytest.mark.parametrize("word", ["ture", "enabled", "Yes please"])
def test_a_validate_certs_that_is_no_yes_or_no_is_refused_never_read_as_false(word):
    """Read as false, a typo would send the API token to a server whose certificate nobody checked (review 7)."""
    with pytest.raises(AnsibleLookupError, match=r"sanfleet_pure\[0\]: validate_certs must be true or false"):
        pure.array_list([{"hostname": "fa1", "api_token": TOKEN, "validate_certs": word}], env={})
    with pytest.raises(AnsibleLookupError, match="validate_certs must be true or false"):
        pure.array_list(None, env={"PUREFA_URL": "fa1", "PUREFA_API": TOKEN, "PUREFA_VALIDATE_CERTS": word})
