# -*- coding: utf-8 -*-
import json
import os
import shutil

import pytest
from ansible.module_utils import basic

from ansible_collections.sanfleet.remediation.plugins.module_utils import deadline
from ansible_collections.sanfleet.remediation.plugins.modules import iscsid_conf

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "config")
with open(os.path.join(FIX, "iscsiadm-node-record-2.1.8.txt")) as _f:
    RECORD = _f.read()
T = "iqn.2024-01.lab.san:target1"


class FakeIscsiadm(object):
    def __init__(self):
        self.records = {("%s" % T, "127.0.0.1:3260"): "auto", (T, "127.0.0.2:3260"): "auto"}
        self.sessions = [(5, "127.0.0.1:3260"), (6, "127.0.0.2:3260")]
        self.calls = []

    def run(self, argv, timeout, what=None, data=None):
        args = argv[1:]
        self.calls.append(" ".join(args))

        def ok(out, rc=0):
            return deadline.CommandResult(argv, rc, out, "", 0.01)

        if args == ["-m", "node"]:
            if not self.records:
                return ok("", 21)
            return ok("".join("%s,1 %s\n" % (p, t) for (t, p) in sorted(self.records)))
        if args == ["-m", "session"]:
            if not self.sessions:
                return ok("", 21)
            return ok("".join("tcp: [%d] %s,1 %s (non-flash)\n" % (sid, p, T) for sid, p in self.sessions))
        if args[:4] == ["-m", "node", "-T", T] and len(args) == 6:
            return ok(RECORD.replace("node.session.scan = auto", "node.session.scan = %s" % self.records[(T, args[5])]))
        if "update" in args:
            assert args[-3] == "node.session.scan"
            self.records[(T, args[5])] = args[-1]
            return ok("")
        raise AssertionError("unexpected iscsiadm %s" % args)


@pytest.fixture
def adm(monkeypatch):
    fake = FakeIscsiadm()
    monkeypatch.setattr(deadline, "run", fake.run)
    real = basic.AnsibleModule.get_bin_path

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return "/sbin/iscsiadm" if name == "iscsiadm" else real(self, name, required=required, opt_dirs=opt_dirs)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    return fake


@pytest.fixture
def conf(tmp_path):
    path = str(tmp_path / "iscsid.conf")
    shutil.copy(os.path.join(FIX, "iscsid.conf.debian12-lab"), path)
    return path


MODULE = iscsid_conf


def test_sets_manual_scan_in_file_and_records(adm, conf, run_module):
    before = open(conf).read()
    res = run_module({"path": conf, "backup": True})
    assert res["changed"] is True
    assert res["file_changes"] == {"node.session.scan": "modified"}
    text = open(conf).read()
    assert text.count("node.session.scan = manual\n") == 2 and len(text) == len(before) + 2 - 3
    assert open(res["backup_file"]).read() == before
    assert [(c["portal"], c["before"], c["after"]) for c in res["record_changes"]] == [
        ("127.0.0.1:3260", "auto", "manual"), ("127.0.0.2:3260", "auto", "manual")]
    assert set(adm.records.values()) == {"manual"}
    assert [s["sid"] for s in res["sessions_pending_relogin"]] == [5, 6]
    assert not any("logout" in c for c in adm.calls)
    # second run: nothing to do
    res = run_module({"path": conf})
    assert res["changed"] is False and res["record_changes"] == [] and res["sessions_pending_relogin"] == []
    assert [r["values"] for r in res["records"]] == [{"node.session.scan": "manual"}] * 2


def test_check_mode_changes_nothing(adm, conf, run_module):
    before = open(conf).read()
    res = run_module({"path": conf}, check=True, diff=True)
    assert res["changed"] is True and len(res["record_changes"]) == 2
    assert open(conf).read() == before and set(adm.records.values()) == {"auto"}
    assert not any("update" in c for c in adm.calls)
    assert "node.session.scan = manual" in res["diff"]["after"]
    assert [s["sid"] for s in res["sessions_pending_relogin"]] == [5, 6]


def test_activates_commented_default_and_masks_passwords(adm, conf, run_module):
    res = run_module({"path": conf, "keys": {"node.session.auth.password": "s3cret",
                                             "node.session.auth.authmethod": "CHAP"},
                      "update_node_records": False}, diff=True)
    assert res["file_changes"] == {"node.session.auth.password": "activated", "node.session.auth.authmethod": "activated"}
    assert "s3cret" not in json.dumps(res)
    assert "node.session.auth.password = s3cret\n" in open(conf).read()
    assert adm.calls == []


def test_file_is_created_when_absent(adm, tmp_path, run_module):
    path = str(tmp_path / "new.conf")
    res = run_module({"path": path, "update_node_records": False})
    assert res["changed"] is True and open(path).read() == "node.session.scan = manual\n"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_no_records_and_no_sessions(adm, conf, run_module):
    adm.records.clear()
    adm.sessions[:] = []
    res = run_module({"path": conf})
    assert res["records"] == [] and res["sessions"] == [] and res["record_changes"] == []


def test_only_node_keys_go_to_records(adm, conf, run_module):
    res = run_module({"path": conf, "keys": {"iscsid.safe_logout": True}})
    assert "iscsid.safe_logout = Yes\n" in open(conf).read()
    assert res["record_changes"] == [] and adm.calls == []


def test_bad_key_is_refused(adm, conf, run_module):
    res = run_module({"path": conf, "keys": {"bad key": "x"}})
    assert res["failed"] is True and adm.calls == []


def test_hung_iscsiadm_fails_with_a_deadline(adm, conf, monkeypatch, run_module):
    def hang(argv, timeout, what=None, data=None):
        raise deadline.DeadlineExceeded(" ".join(argv), timeout)
    monkeypatch.setattr(deadline, "run", hang)
    res = run_module({"path": conf, "command_timeout": 1})
    assert res["failed"] is True and "did not finish within 1" in res["msg"]
