# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/coverage.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import coverage as judge_coverage
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import rec


@pytest.mark.parametrize("observed,expected", [
    ("80AbCdEfGh01", True), ("3830416243644566476830 31".replace(" ", ""), True),
    ("0" + "80AbCdEfGh01".encode().hex(), True), ("80AbCdEfGh02", False), (None, None)])
def test_serial_matches(observed, expected):
    """Fails when a unit serial is not matched in ASCII or hex form, or another serial matches."""
    r = rec(1, 1)
    assert judge_coverage.serial_matches(observed, r["serial"], r.get("serial_hex")) is expected


def test_portal_addresses_compare_in_one_form():
    """Fails when portal addresses are not compared in one form, or an unbracketed IPv6 one is guessed."""
    assert judge_coverage.portal_address("127.0.0.1:3260") == judge_coverage.address_key("127.0.0.1")
    assert judge_coverage.portal_address("[FE80:0:0::1]:3260") == judge_coverage.address_key("fe80::1")
    assert judge_coverage.portal_address("fe80::1:3260") != judge_coverage.address_key("fe80::1")     # unbracketed: never guessed
    assert judge_coverage.portal_address("192.0.2.7") == "192.0.2.7"
