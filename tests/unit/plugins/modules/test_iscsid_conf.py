# -*- coding: utf-8 -*-
import json
import os
import shutil

import pytest
from ansible.module_utils import basic

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.modules import iscsid_conf
from ansible_collections.sanfleet.remediation.tests.unit.plugins.modules.ansible_compat import WITH_INVOCATION

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
            values = self.records[(T, args[5])]
            return ok("".join(
                RECORD.replace("node.session.scan = auto", "node.session.scan = %s" % value).replace(
                    "iface.iscsi_ifacename = default", "iface.iscsi_ifacename = %s" % iface)
                for iface, value in (values.items() if isinstance(values, dict) else [("default", values)])))
        if "update" in args:
            assert args[-3] == "node.session.scan"
            values = self.records[(T, args[5])]
            # without -I, iscsiadm updates the record of every iface
            self.records[(T, args[5])] = dict((i, args[-1]) for i in values) if isinstance(values, dict) else args[-1]
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
    """Fails when iscsid_conf does not set manual scan in the file and every node record, with a backup."""
    before = open(conf).read()
    res = run_module({"path": conf, "backup": True})
    assert res["changed"] is True
    assert res["file_changes"] == {"node.session.scan": "modified"}
    text = open(conf).read()
    assert text.count("node.session.scan = manual\n") == 1 and len(text) == len(before) + 1 - 3
    assert "\n#node.session.scan = auto\n" in text
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
    """Fails when iscsid_conf's check mode writes the file or the records, or hides what it would do."""
    before = open(conf).read()
    res = run_module({"path": conf}, check=True, diff=True)
    assert res["changed"] is True and len(res["record_changes"]) == 2
    assert open(conf).read() == before and set(adm.records.values()) == {"auto"}
    assert not any("update" in c for c in adm.calls)
    assert "node.session.scan = manual" in res["diff"]["after"]
    assert [s["sid"] for s in res["sessions_pending_relogin"]] == [5, 6]


def test_activates_commented_default_and_masks_passwords(adm, conf, run_module):
    """Fails when a commented default is not activated, or a password shows in the result."""
    res = run_module({"path": conf, "keys": {"node.session.auth.password": "s3cret",
                                             "node.session.auth.authmethod": "CHAP"},
                      "update_node_records": False}, diff=True)
    assert res["file_changes"] == {"node.session.auth.password": "activated", "node.session.auth.authmethod": "activated"}
    assert "s3cret" not in json.dumps(res)
    assert "node.session.auth.password = s3cret\n" in open(conf).read()
    assert adm.calls == []


def test_password_values_are_masked_in_the_invocation_too(adm, conf, run_module):
    """Fails when a password value shows in the module's invocation."""
    # ansible-core < 2.19 always returns the module's arguments (the callback prints them at -vvv), 2.19+ with
    # inject_invocation; `keys` is not no_log as a whole (it holds node.session.scan), its secret values are.
    res = run_module({"path": conf, "keys": {"node.session.auth.password": "s3cret",
                                             "discovery.sendtargets.auth.password_in": "in-s3cret"},
                      "update_node_records": False, **WITH_INVOCATION})
    assert "invocation" in res
    assert "s3cret" not in json.dumps(res)


def test_file_is_created_when_absent(adm, tmp_path, run_module):
    """Fails when an absent iscsid.conf is not created, or is readable by others."""
    path = str(tmp_path / "new.conf")
    res = run_module({"path": path, "update_node_records": False})
    assert res["changed"] is True and open(path).read() == "node.session.scan = manual\n"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_no_records_and_no_sessions(adm, conf, run_module):
    """Fails when a host without node records or sessions is not handled."""
    adm.records.clear()
    adm.sessions[:] = []
    res = run_module({"path": conf})
    assert res["records"] == [] and res["sessions"] == [] and res["record_changes"] == []


def test_only_node_keys_go_to_records(adm, conf, run_module):
    """Fails when a key that is not node.* is written to the node records."""
    res = run_module({"path": conf, "keys": {"iscsid.safe_logout": True}})
    assert "iscsid.safe_logout = Yes\n" in open(conf).read()
    assert res["record_changes"] == [] and adm.calls == []


def test_bad_key_is_refused(adm, conf, run_module):
    """Fails when a malformed key is accepted."""
    res = run_module({"path": conf, "keys": {"bad key": "x"}})
    assert res["failed"] is True and adm.calls == []


def test_hung_iscsiadm_fails_with_a_deadline(adm, conf, monkeypatch, run_module):
    """Fails when a hung iscsiadm is not stopped at its deadline."""
    def hang(argv, timeout, what=None, data=None):
        raise deadline.DeadlineExceeded(" ".join(argv), timeout)
    monkeypatch.setattr(deadline, "run", hang)
    res = run_module({"path": conf, "command_timeout": 1})
    assert res["failed"] is True and "did not finish within 1" in res["msg"]


def test_a_write_that_hangs_fails_the_module_and_changes_nothing(adm, conf, monkeypatch, run_module):
    """iscsid.conf on a disk that stops answering (its fsync never returns) hung the module; it must fail at
    its deadline naming the file, the file and the node records unchanged."""
    def hang(fn, args=(), timeout=10.0, what=None):
        assert fn.__name__ == "_write_synced"
        raise deadline.DeadlineExceeded(what, timeout)
    monkeypatch.setattr(deadline, "call", hang)
    before = open(conf).read()
    records = dict(adm.records)
    res = run_module({"path": conf, "command_timeout": 1})
    assert res["failed"] is True and "iscsid.conf was not written" in res["msg"] and "within 1" in res["msg"]
    assert open(conf).read() == before and adm.records == records


def test_invalid_values_change_nothing(adm, conf, run_module):
    """Fails when an invalid value is written or changes anything."""
    before = open(conf).read()
    for value in ("x" * 10240, "", "$(id)", ["manual"], "man\x00ual"):
        res = run_module({"path": conf, "keys": {"node.session.scan": value}})
        assert res["failed"] is True and "node.session.scan" in res["msg"], value
    assert open(conf).read() == before and adm.calls == []


@pytest.mark.parametrize("timeout", [0, -1, "nan", "inf"])
def test_non_positive_command_timeout_is_refused_by_name(adm, conf, run_module, timeout):
    """Fails when a zero, negative, NaN or infinite command_timeout is accepted."""
    res = run_module({"path": conf, "command_timeout": timeout})
    assert res["failed"] is True and "command_timeout must be a positive" in res["msg"] and adm.calls == []


def test_missing_directory_is_a_clear_refusal(adm, tmp_path, run_module):
    """Fails when a missing /etc/iscsi is created, or refused without saying why."""
    path = str(tmp_path / "no-iscsi" / "iscsid.conf")
    res = run_module({"path": path})
    assert res["failed"] is True and "does not exist" in res["msg"] and "is open-iscsi installed" in res["msg"]
    assert not os.path.exists(os.path.dirname(path)) and adm.calls == []


def test_missing_iscsiadm_fails_before_the_file_is_written(adm, conf, monkeypatch, run_module):
    """Fails when the file is written though iscsiadm is missing."""
    before = open(conf).read()
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: None)
    res = run_module({"path": conf})
    assert res["failed"] is True and "iscsiadm was not found" in res["msg"] and res["changed"] is False
    assert open(conf).read() == before


def test_failing_iscsiadm_read_fails_before_the_file_is_written(adm, conf, monkeypatch, run_module):
    """Fails when the file is written though reading the node records failed."""
    before = open(conf).read()

    def broken(argv, timeout, what=None, data=None):
        return deadline.CommandResult(argv, 19, "", "iscsiadm: initiator reported error (19)", 0.01)
    monkeypatch.setattr(deadline, "run", broken)
    res = run_module({"path": conf})
    assert res["failed"] is True and res["changed"] is False and "nothing was written" in res["msg"]
    assert open(conf).read() == before


def test_a_failed_record_update_after_the_write_reports_changed(adm, conf, monkeypatch, run_module):
    """Fails when a record update failing after the file write hides that the file changed."""
    real = adm.run

    def update_fails(argv, timeout, what=None, data=None):
        if "update" in argv:
            return deadline.CommandResult(argv, 6, "", "iscsiadm: database failure", 0.01)
        return real(argv, timeout, what, data)
    monkeypatch.setattr(deadline, "run", update_fails)
    res = run_module({"path": conf})
    assert res["failed"] is True and res["changed"] is True
    assert "node.session.scan = manual\n" in open(conf).read()


def test_non_utf8_file_is_kept_byte_exact_and_reported_safely(adm, tmp_path, run_module):
    """Fails when a non-UTF-8 iscsid.conf is not kept byte for byte, or its diff cannot be shown."""
    path = tmp_path / "iscsid.conf"
    path.write_bytes(b"# Latin-1 caf\xe9\nnode.session.scan = auto\n")
    res = run_module({"path": str(path), "update_node_records": False}, diff=True)
    assert res["changed"] is True and "caf\\xe9" in res["diff"]["before"]
    assert path.read_bytes() == b"# Latin-1 caf\xe9\nnode.session.scan = manual\n"


def test_a_portal_with_one_iface_left_on_auto_scan_is_found_and_updated(adm, conf, run_module):
    """Two ifaces bound to two NICs: one record per iface. Reading only the last record called the portal
    compliant while iface0 still logged in with automatic scan."""
    adm.records[(T, "127.0.0.1:3260")] = {"iface0": "auto", "iface1": "manual"}
    adm.records[(T, "127.0.0.2:3260")] = {"iface0": "manual", "iface1": "manual"}
    res = run_module({"path": conf})
    assert [(c["portal"], c["before"]) for c in res["record_changes"]] == [
        ("127.0.0.1:3260", "iface0: auto, iface1: manual")]
    assert adm.records[(T, "127.0.0.1:3260")] == {"iface0": "manual", "iface1": "manual"}
    assert res["records"][0]["ifaces"] == ["iface0", "iface1"]
    again = run_module({"path": conf})
    assert again["record_changes"] == [] and again["changed"] is False


# found by property tests against how iscsid reads the file -------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

LINES = st.sampled_from([b"# caf\xe9 r\xe9seau\n", b"#\xff\xfe\n", b"node.session.scan = auto\n", b"node.session.scan = auto\r\n",
                         b"node.session.scan = auto # caf\xe9\n", b"node.startup = automatic\r\n", b"\r\n", b"\n",
                         b"# node.session.scan = manual\n", b"node.session.scan = auto\r", b"x = caf\xe9\r"])


@settings(max_examples=60, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(LINES, max_size=6).map(b"".join))
def test_check_mode_diff_is_what_the_real_run_writes(adm, tmp_path, run_module, raw):
    """Fails when the check-mode diff differs from what the real run writes."""
    path = tmp_path / "iscsid.conf"
    path.write_bytes(raw)
    dry = run_module({"path": str(path), "update_node_records": False}, check=True, diff=True)
    assert path.read_bytes() == raw
    real = run_module({"path": str(path), "update_node_records": False}, diff=True)
    written = path.read_bytes()
    assert dry["diff"] == real["diff"]
    assert dry["diff"]["after"] == written.decode("utf-8", "surrogateescape").encode(
        "utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    assert dry["changed"] == real["changed"] == (written != raw)
    again = run_module({"path": str(path), "update_node_records": False})
    assert again["changed"] is False and path.read_bytes() == written
