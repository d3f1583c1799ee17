# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/judge/multipath_parse.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    multipath_parse as judge_multipath_parse)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import read


GOOD_FILES = ["multipath.conf.rhel", "multipath.conf.ubuntu", "multipath.conf.netapp",
              "multipath.conf.overrides", "multipathd-show-config-0.9.4.txt"]


# ----------------------------------------------------------------------------- round trip

@pytest.mark.parametrize("name", GOOD_FILES)
def test_round_trip_is_byte_identical(name):
    """Fails when a multipath.conf does not render back byte for byte."""
    text = read(name)
    assert judge_multipath_parse.render(judge_multipath_parse.parse(text)) == text


@pytest.mark.parametrize("name", GOOD_FILES)
def test_round_trip_with_crlf(name):
    """Fails when a multipath.conf with CRLF endings does not render back byte for byte."""
    text = read(name).replace("\n", "\r\n")
    assert judge_multipath_parse.render(judge_multipath_parse.parse(text)) == text


def test_round_trip_of_edge_cases():
    """Fails when an empty, comment-only or oddly laid out multipath.conf does not render back."""
    for text in ["", "\n", "# only a comment", "defaults {\n}", "defaults {\n}\n\n\n",
                 "defaults\n\n{\n  polling_interval 10\n}\n", "defaults {   # c\n\tx \"a b\"  ! c\n}  # end\n"]:
        assert judge_multipath_parse.render(judge_multipath_parse.parse(text)) == text


@pytest.mark.parametrize("name,line", [("multipath.conf.broken", 5), ("multipath.conf.oneline", 1)])
def test_strict_parser_refuses_what_it_cannot_represent(name, line):
    """Fails when the strict parser accepts a file it cannot represent, or names the wrong line."""
    with pytest.raises(judge_multipath_parse.ParseError) as info:
        judge_multipath_parse.parse(read(name))
    assert info.value.lineno == line


@pytest.mark.parametrize("text", ["}\n", "defaults {\n", "defaults\n", "defaults {\n x 1\n}}\n", 'a "b\n', "{\n"])
def test_strict_parser_refuses_unbalanced_input(text):
    """Fails when the strict parser accepts unbalanced braces or quotes."""
    with pytest.raises(judge_multipath_parse.ParseError):
        judge_multipath_parse.parse(text)


@pytest.mark.parametrize("strict", [True, False])
def test_deep_nesting_is_refused_not_a_recursion_error(strict):
    """Fails when deeply nested sections raise RecursionError instead of ParseError."""
    text = "devices {\n" * 300 + "}\n" * 300
    with pytest.raises(judge_multipath_parse.ParseError) as err:
        judge_multipath_parse.parse(text, strict=strict)
    assert "nested deeper" in str(err.value)


def test_overlong_line_is_refused_in_strict_mode():
    """Fails when the strict parser accepts a line longer than multipath-tools reads."""
    with pytest.raises(judge_multipath_parse.ParseError):
        judge_multipath_parse.parse("defaults {\n  alias %s\n}\n" % ("x" * 1100))


def test_tolerant_parser_keeps_order_after_a_bare_section_word():
    """Fails when the tolerant parser reorders lines after a bare section word."""
    # found by hypothesis: a bare "defaults" followed by an unreadable line
    text = 'defaults\n"\n'
    assert judge_multipath_parse.render(judge_multipath_parse.parse(text, strict=False)) == text
