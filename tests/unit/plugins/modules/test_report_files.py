# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report_files is an action: its module file only documents it, and fails clearly when run on a host."""
from __future__ import absolute_import, division, print_function

import json

import pytest

from ansible_collections.sanfleet.remediation.plugins.modules import report_files
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.ansible_compat import (
    as_target_process, patch_module_args)


def test_run_as_a_module_on_a_host_it_fails_and_writes_nothing(tmp_path, capsys, monkeypatch):
    as_target_process(monkeypatch)
    with patch_module_args({"dir": str(tmp_path), "json_files": {"db01": {}}}):
        with pytest.raises(SystemExit) as info:
            report_files.main()
    out = json.loads(capsys.readouterr().out)
    assert info.value.code == 1 and out["failed"] and "runs on the controller" in out["msg"]
    assert list(tmp_path.iterdir()) == []
