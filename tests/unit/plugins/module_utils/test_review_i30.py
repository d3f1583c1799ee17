# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Review of i30-walls (4591c8e..i30-walls): the one definitions of the sd name and H:C:T:L patterns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate as san_validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import HCTL_RE, SD_NAME_RE


@pytest.mark.parametrize("value,pattern", [("sda\n", SD_NAME_RE), ("1:0:0:1\n", HCTL_RE)])
def test_a_name_with_a_trailing_newline_is_not_a_kernel_name(value, pattern):
    assert pattern.match(value) is None


def test_sd_name_validation_refuses_a_trailing_newline():
    with pytest.raises(Exception):
        san_validate.sd_name("sda\n")
