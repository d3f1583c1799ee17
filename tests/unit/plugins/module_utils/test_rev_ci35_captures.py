"""Review rev-ci35 of 9efc062 (captures.py): a capture asked for twice in one process is unpacked once.

pytest imports test_san_read.py twice in every process of the unit suite: as `test_san_read` from the checkout
(rootdir import) and as `ansible_collections.sanfleet.remediation.tests.unit...test_san_read` through the
collections tree (test_san_compact, test_fc_audit, test_stale_mpath_facts, the lookup tests import it so). Both
copies compute FIXTURES from their own __file__, so captures.unpacked() is asked for the same archive under two
spellings of its path, and its cache, keyed by the string, unpacks it a second time (seen: 25 keys for 20
archives in one process; 37 trees, 278 MB, in one xdist worker of the full suite).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import captures

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def test_one_archive_named_two_ways_is_unpacked_once():
    archive = os.path.join(FIXTURES, "healthy.tar.gz")
    if not os.path.exists(archive):
        pytest.skip("no healthy capture")
    # the two spellings the two imports of test_san_read produce: the same file through another folder path
    other = os.path.join(os.path.dirname(__file__), "..", "..", "..", "unit", "fixtures", "healthy.tar.gz")
    assert os.path.samefile(archive, other)
    assert captures.unpacked(archive) == captures.unpacked(other)
