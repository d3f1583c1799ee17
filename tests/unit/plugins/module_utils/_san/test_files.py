# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/files.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pytest
import re
import signal
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline, files, module as san_module
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import FakeModule


def _hung_fsync(_fd):
    time.sleep(30)


def test_write_text_replaces_the_file_and_keeps_a_backup(tmp_path):
    """A write that leaves the old text, no backup, or its temp file behind."""
    target = tmp_path / "multipath.conf"
    target.write_text("old\n")
    module = FakeModule()
    backup = files.write_text(module, str(target), "new\n", backup=True, timeout=5)
    assert target.read_text() == "new\n"
    # named as AnsibleModule.backup_local names it: <file>.<pid>.<date>@<time>~
    assert backup == module.backups[0] and re.match(r"multipath\.conf\.%d\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$"
                                                    % os.getpid(), os.path.basename(backup)), backup
    assert open(backup).read() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["multipath.conf", os.path.basename(backup)])


def test_write_text_gives_up_when_the_disk_does_not_answer(tmp_path, monkeypatch):
    """A config file on a filesystem whose disk hangs (the fsync never returns: a root on a SAN LUN whose paths
    all failed) hung the module and the play; the write must end at its deadline, the file unchanged."""
    target = tmp_path / "multipath.conf"
    target.write_text("old\n")
    monkeypatch.setattr(files.os, "fsync", _hung_fsync)
    started = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded) as info:
        files.write_text(FakeModule(), str(target), "new\n", backup=True, timeout=0.5)
    assert time.monotonic() - started < 5
    assert "multipath.conf" in str(info.value)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["multipath.conf"]


class _Failed(Exception):
    """AnsibleModule.fail_json's exit, as a test can catch it."""


class _ConfigModule(FakeModule):
    """What san_module.write_config uses of AnsibleModule besides write_text's: its options and fail_json."""

    def __init__(self):
        super(_ConfigModule, self).__init__(backup=False, command_timeout=5)

    def fail_json(self, **kwargs):
        raise _Failed(kwargs)


def _writer_killed(_fd):
    os.kill(os.getpid(), signal.SIGKILL)  # the forked writer, killed mid-write (OOM killer, an operator's kill -9)


def test_a_writer_killed_mid_write_fails_the_module_naming_the_file(tmp_path, monkeypatch):
    """A forked writer killed before it answered (SIGKILL, OOM) raised a bare RuntimeError out of the config module
    (a MODULE FAILURE traceback, without the result gathered so far): the module must fail with a message naming
    the file, which is left as it was, without its temp file."""
    target = tmp_path / "multipath.conf"
    target.write_text("old\n")
    monkeypatch.setattr(files.os, "fsync", _writer_killed)
    with pytest.raises(_Failed) as info:
        san_module.write_config(_ConfigModule(), str(target), "new\n", {"changed": False})
    assert "multipath.conf was not written" in info.value.args[0]["msg"]
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["multipath.conf"]


def test_a_config_write_on_a_read_only_filesystem_fails_the_module_naming_the_file(tmp_path, monkeypatch):
    """/etc remounted read-only (errors=remount-ro after an I/O error): the temp file beside multipath.conf cannot be
    created. The module must fail naming the file, with the result gathered so far, as for a writer killed."""
    import errno
    target = tmp_path / "multipath.conf"
    target.write_text("old\n")

    def read_only(*_a, **_kw):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path))
    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    with pytest.raises(_Failed) as info:
        san_module.write_config(_ConfigModule(), str(target), "new\n", {"changed": False})
    assert "multipath.conf was not written" in info.value.args[0]["msg"]
    assert target.read_text() == "old\n"
