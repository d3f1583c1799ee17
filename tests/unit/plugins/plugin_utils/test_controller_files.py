# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import controller_files


def test_a_new_file_is_written_whole_with_its_mode_and_no_temporary_file_left(tmp_path):
    path = tmp_path / "a.json"
    assert controller_files.atomic_write(str(path), b"{}\n", mode=0o640) is True
    assert path.read_bytes() == b"{}\n" and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(str(tmp_path)) == ["a.json"]


def test_an_equal_file_is_left_as_it_is_and_a_different_one_replaced(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b"old")
    inode = path.stat().st_ino
    assert controller_files.atomic_write(str(path), b"old") is False and path.stat().st_ino == inode
    assert controller_files.atomic_write(str(path), b"new") is True
    assert path.read_bytes() == b"new" and path.stat().st_ino != inode    # renamed over, not rewritten in place


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    path.write_bytes(b"old")

    def no_rename(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(controller_files.os, "replace", no_rename)
    with pytest.raises(OSError):
        controller_files.atomic_write(str(path), b"new")
    assert path.read_bytes() == b"old" and os.listdir(str(tmp_path)) == ["a.json"]


@pytest.mark.parametrize("name", ["", "a/b", "../a", "a\0b", None, 5, "x" * 251])
def test_what_is_not_one_file_name_is_refused(name):
    with pytest.raises(ValueError):
        controller_files.file_name(name, ".json")


@pytest.mark.parametrize("name", ["db01", "..", ".", "db01.example.com", "host name", "ключ"])
def test_a_host_name_with_its_suffix_is_one_file_name(name):
    assert controller_files.file_name(name, ".json") == name + ".json"


def test_an_empty_or_blank_ca_path_is_the_system_trust_store_and_a_bundle_is_used(tmp_path):
    """AWX writes an empty file when a credential's CA field is left empty: verifying against it would fail every
    read. A file with a certificate is used; a missing one is passed on, for the HTTP client to name."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import ca_bundle
    empty, blank, bundle = tmp_path / "empty.pem", tmp_path / "blank.pem", tmp_path / "ca.pem"
    empty.write_text("")
    blank.write_text("\n  \n")
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert [ca_bundle(p) for p in (None, "", "  ", str(empty), str(blank))] == [None] * 5
    assert ca_bundle(str(bundle)) == str(bundle)
    assert ca_bundle(str(tmp_path / "missing.pem")) == str(tmp_path / "missing.pem")


def test_a_secret_file_gives_its_secret_less_one_trailing_newline_and_a_given_secret_wins(tmp_path):
    """The file is where an array's secret rests (ONTAP's password_file, a FlashArray's api_token_file): one trailing
    newline (an editor's, CRLF too) is not part of the secret; a secret given directly is used as it is."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import with_secret_file
    path = tmp_path / "secret"
    for text, secret in (("s3cret\n", "s3cret"), ("s3cret\r\n", "s3cret"), ("s3cret\n\n", "s3cret\n"), ("s3", "s3")):
        path.write_text(text, newline="")
        assert with_secret_file({"password_file": str(path)}, "password", "password_file", "ONTAP c1",
                                "password file") == {"password": secret}, text
    assert with_secret_file({"password": "given", "password_file": str(path)}, "password", "password_file",
                            "ONTAP c1", "password file") == {"password": "given"}
