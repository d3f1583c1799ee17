# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/families.py`: each device family's own read runs in the reading
child and, when that child did not finish, as a piece under the read deadline, by its registry line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import (
    families, nvme, read, read_child)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san import toy_family
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    SanTree, hanging)


@pytest.fixture
def with_toy(monkeypatch):
    lines = families.READS + (toy_family.READ_LINE,)
    monkeypatch.setattr(read, "READS", lines)
    monkeypatch.setattr(read_child, "READS", lines)


def toy_host(tmp_path):
    t = SanTree(tmp_path / "root").commands(multipathd=False)
    os.makedirs(os.path.join(t.root, "toys", "t1"))
    return t


def test_nvme_reads_by_its_line_and_a_line_is_immutable():
    """Fails when NVMe's read is not its registry line (the pipeline would have to name it), or a line can be
    changed after it is registered."""
    assert [(f.key, f.read, f.what) for f in families.READS] == [
        ("nvme", nvme.read_nvme_devices, "read of the NVMe controllers and namespaces")]
    with pytest.raises(AttributeError):
        families.READS[0].key = "other"


def test_the_reading_child_reads_each_registered_family_under_its_key(tmp_path, with_toy):
    """Fails when the batch child leaves a registered family's read out (its devices would be judged unread or,
    worse, absent) or files it under another key."""
    t = toy_host(tmp_path)
    raw = read_child.read_batch(t.root)
    assert raw["toy"] == {"names": ["t1"]} and "nvme" in raw


def test_a_familys_read_that_misses_its_deadline_is_unread_and_named_not_absent(tmp_path, with_toy):
    """The batch child did not finish, and the toy's piece read hung too: its key is in the host's unread pieces and
    the error names the read in its line's words; the other families' reads still come back. Fails when a hung
    family read is taken for "nothing there"."""
    t = toy_host(tmp_path)
    snap = t.reader(call=hanging(("read_toys",))).snapshot(probe=False)
    assert snap["host"]["unread_pieces"] == ["toy"]
    assert any(e["what"] == "read of the toys" for e in snap["errors"]), snap["errors"]
    assert snap["nvme"] is not None
