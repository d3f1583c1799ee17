# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/host_identity.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.host_identity import (
    read_host_identity)


def test_the_host_identity_is_the_machine_id_and_hostname_as_written_without_blanks(tmp_path):
    """Fails when the machine-id or the hostname is read from another file or keeps its newline."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (tmp_path / "proc" / "sys" / "kernel").mkdir(parents=True)
    (tmp_path / "proc" / "sys" / "kernel" / "hostname").write_text("db01\n")
    assert read_host_identity(str(tmp_path)) == {"machine_id": "0123456789abcdef0123456789abcdef",
                                                 "hostname": "db01"}


def test_what_cannot_be_read_or_is_empty_is_none(tmp_path):
    """Fails when a missing or empty file reads as an identity (an approved plan would match "" on two hosts)."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "machine-id").write_text("  \n")
    assert read_host_identity(str(tmp_path)) == {"machine_id": None, "hostname": None}
