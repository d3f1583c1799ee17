# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/act/checks.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from types import SimpleNamespace

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import checks as act_checks


def test_the_unit_attention_bound_is_read_where_it_is_defined(monkeypatch):
    """Fails when the unit attention retry bound is not read from where it is defined."""
    monkeypatch.setattr(act_checks, "UNIT_ATTENTION_RETRIES", 1)
    probes = []

    def probe_path(sd, errors=None):
        probes.append(sd)
        return {"result": "not_ready", "sense": "Unit Attention: inquiry data has changed"}

    act_checks._probe_past_unit_attention(SimpleNamespace(reader=SimpleNamespace(probe_path=probe_path)), "sdc")
    assert len(probes) == 2  # the first answer and one retry
