# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""captures.py: a capture asked for twice in one process is unpacked once, whatever the spelling of its path.

A helpers module can be imported twice in one process (from the checkout and through the collections tree),
each copy computing FIXTURES from its own __file__; a cache keyed by the path string unpacked the same archive
again (seen: 25 keys for 20 archives in one process; 37 trees, 278 MB, in one xdist worker of the full suite).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils import captures


FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def test_one_archive_named_two_ways_is_unpacked_once():
    """Fails when one capture archive reached through two folder paths is unpacked twice."""
    archive = os.path.join(FIXTURES, "healthy.tar.gz")
    if not os.path.exists(archive):
        pytest.skip("no healthy capture")
    # the two spellings the two imports of test_san_read produce: the same file through another folder path
    other = os.path.join(os.path.dirname(__file__), "..", "unit", "fixtures", "healthy.tar.gz")
    assert os.path.samefile(archive, other)
    assert captures.unpacked(archive) == captures.unpacked(other)
