# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run's cache of array reads, whatever the source (plugin_utils/truth_cache.py). The ONTAP reads through it are
tested with the ONTAP simulator in test_ontap.py (one read for many workers, no credential in a file, 0600 files)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import truth_cache


class ToyError(AnsibleLookupError):
    pass


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setattr(truth_cache, "run_tmp_dir", lambda: str(tmp_path))
    monkeypatch.delenv("SANFLEET_TRUTH_NO_DISK_CACHE", raising=False)
    truth_cache.clear_memory_cache()
    yield tmp_path
    truth_cache.clear_memory_cache()


def _counting(result):
    calls = []

    def fetch():
        calls.append(1)
        if isinstance(result, Exception):
            raise result
        return result
    return fetch, calls


def test_a_read_is_made_once_then_served_from_memory_and_from_disk_to_another_process(cache):
    fetch, calls = _counting({"array": "a1"})
    assert truth_cache.cached_read("k", 60, 1, fetch) == ({"array": "a1"}, "fetched")
    assert truth_cache.cached_read("k", 60, 1, fetch) == ({"array": "a1"}, "memory")
    truth_cache.clear_memory_cache()    # as a forked worker that has not read it yet
    assert truth_cache.cached_read("k", 60, 1, fetch) == ({"array": "a1"}, "disk")
    assert len(calls) == 1


def test_a_ttl_of_zero_reads_every_time(cache):
    fetch, calls = _counting({"array": "a1"})
    for attempt in (1, 2):
        assert truth_cache.cached_read("k", 0, 1, fetch)[1] == "fetched", attempt
    assert len(calls) == 2


def test_a_failed_read_is_cached_and_raised_again_as_its_own_class(cache):
    """A wrong password must cost one login per run, not one per host: the failure is kept, and raised again as the
    source's error class (its callers tell a read error from another by it)."""
    fetch, calls = _counting(ToyError("login failed (HTTP 401)"))
    for attempt in (1, 2):
        truth_cache.clear_memory_cache()
        with pytest.raises(ToyError, match="HTTP 401"):
            truth_cache.cached_read("k", 60, 1, fetch, errors=(ToyError,))
        assert len(calls) == 1, attempt
    # a class the caller did not name is raised as the lookup error it is
    truth_cache.clear_memory_cache()
    with pytest.raises(AnsibleLookupError) as caught:
        truth_cache.cached_read("k", 60, 1, fetch)
    assert not isinstance(caught.value, ToyError)


def test_an_entry_of_another_format_is_read_again(cache):
    """A cache file written by another version of the reader (another shape of read) is never served."""
    fetch, calls = _counting({"array": "a1"})
    truth_cache.cached_read("k", 60, 1, fetch)
    truth_cache.clear_memory_cache()
    assert truth_cache.cached_read("k", 60, 2, fetch)[1] == "fetched"
    assert len(calls) == 2


def test_the_cache_directory_is_private_and_its_files_0600(cache):
    truth_cache.cached_read("k", 60, 1, _counting({"array": "a1"})[0])
    assert oct(os.stat(truth_cache.cache_dir()).st_mode & 0o777) == "0o700"
    for name in ("k.json", "k.json.lock"):
        assert oct(os.stat(os.path.join(truth_cache.cache_dir(), name)).st_mode & 0o777) == "0o600", name
    with open(os.path.join(truth_cache.cache_dir(), "k.json")) as handle:
        assert json.load(handle)["truth"] == {"array": "a1"}


def test_the_key_separates_sources_and_identities(cache):
    """Two sources, or two logins to one array, never share an entry (another identity's read is not served)."""
    keys = ("hostname", "password")
    one = truth_cache.cache_key("ontap", {"hostname": "a", "password": "p1"}, keys)
    assert one == truth_cache.cache_key("ontap", {"hostname": "a", "password": "p1"}, keys)
    assert one != truth_cache.cache_key("ontap", {"hostname": "a", "password": "p2"}, keys)
    assert one != truth_cache.cache_key("pure", {"hostname": "a", "password": "p1"}, keys)
    assert "p1" not in one


def test_a_cache_ttl_that_is_no_whole_number_is_a_named_error_of_that_array():
    """A traceback would lose every other array's truth; a named lookup error is this array's problem (review 7)."""
    assert truth_cache.cache_ttl({}, 300, "ONTAP c1") == 300
    assert truth_cache.cache_ttl({"cache_ttl": "60"}, 300, "ONTAP c1") == 60
    for bad in ("soon", [], True, 1.5j):
        with pytest.raises(AnsibleLookupError, match=r"^FlashArray fa1: cache_ttl must be a number of seconds"):
            truth_cache.cache_ttl({"cache_ttl": bad}, 300, "FlashArray fa1")
