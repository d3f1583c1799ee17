# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/validate.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.helpers import LOWER
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import healthy_lab


def test_sd_name_validation_refuses_a_trailing_newline():
    """Fails when the sd name validator accepts a name with a trailing newline."""
    with pytest.raises(Exception):
        validate.sd_name("sda\n")


def _one_of_two_case_variant_lus_left(tree):
    """Of the two LUs, only 1VEND_Abc (mpathx) is still here: 1VEND_abc's map and path are gone (a first run of
    the same task flushed it, or it was never on this host)."""
    tree.disk("sdf", "2:0:0:7", "8:80", session=1, wwid="t10.VEND    Abc")
    tree.dm("dm-5", "253:5", "mpathx", "mpath-1VEND_Abc", slaves=("sdf",))


def test_a_users_wwid_does_not_find_another_lus_map_once_its_own_map_is_gone(tmp_path):
    """The host can hold two LUs whose WWIDs differ only in case (the fix's own premise). When the map of the one
    the user names is not here, "the only other-case hit" is not that LU: it is the other one."""
    t = healthy_lab(tmp_path)
    _one_of_two_case_variant_lus_left(t)
    t.commands()
    with pytest.raises(validate.InvalidInput, match="1VEND_Abc differs from it only in case"):
        t.reader().map(LOWER, from_user=True)   # on 3d7a95c: mpathx, the map of 1VEND_Abc
