import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.sanfleet.remediation.plugins.filter.san_report import san_report

WWID = "3600a0980383030303030303031"


def _san(**extra):
    san = {
        "host": {"iscsi_iqn": "iqn.2024-01.lab.san:initiator", "fc_wwpns": [], "multipathd_running": True},
        "iscsi_sessions": [{"sid": 1, "host": 2, "target": "iqn.t", "portal": "127.0.0.1:3260", "state": "LOGGED_IN"}],
        "maps": {
            WWID: {
                "name": WWID, "dm": "dm-1", "queueing": True, "open_count": 0, "mountpoints": ["/srv/a"],
                "paths": [
                    {"name": "sdb", "hctl": "2:0:0:1", "dm_state": "active", "checker_state": "ready", "dev_state": "running"},
                    {"name": "sdc", "hctl": "3:0:0:1", "dm_state": "failed", "checker_state": "faulty", "dev_state": "running"},
                ],
                "probe": {"sdc": {"result": "lun_not_supported", "sense": "Illegal Request, LU not supported"}},
            }
        },
        "disks": {
            "sdb": {"name": "sdb", "map": WWID},
            "sdd": {"name": "sdd", "hctl": "2:0:0:4", "transport": "iscsi", "vendor": "NETAPP", "state": "running", "wwid": "3600a0980aaa"},
        },
        "findings": [{"kind": "some_paths_failed", "object": "map", "name": WWID, "wwid": WWID, "reason": "1 of 2 paths failed"}],
    }
    san.update(extra)
    return san


def test_report_shows_paths_probe_usage_orphans_and_findings():
    """Fails when the SAN report omits paths, probe results, usage, orphan disks or findings."""
    text = "\n".join(san_report(_san()))
    assert "1/2" in text and "yes" in text
    assert "mounted on /srv/a" in text
    assert "sdc" in text and "probe: lun_not_supported (Illegal Request, LU not supported)" in text
    assert "SCSI disks outside any map:" in text and "sdd" in text
    assert "some_paths_failed" in text
    assert "verdicts" not in text  # the array was not consulted


def test_report_lists_verdicts_when_the_array_was_consulted():
    """Fails when the SAN report omits the verdicts of an array cross-check."""
    verdict = {"kind": "paths_down_but_mapped", "object": "map", "name": WWID, "wwid": WWID, "reason": "still mapped"}
    text = "\n".join(san_report(_san(verdicts=[verdict])))
    assert "=> paths_down_but_mapped" in text
    assert "verdicts (cross-checked with the array):" in text


def test_long_lines_are_cut_to_the_width():
    """Fails when a SAN report line is longer than the width asked."""
    san = _san(findings=[{"kind": "in_use", "object": "map", "name": "x", "reason": "y" * 500}])
    assert max(len(line) for line in san_report(san, width=80)) <= 80


def test_rejects_what_is_not_the_san_facts():
    """Fails when the SAN report accepts what is not the san facts."""
    with pytest.raises(AnsibleFilterError):
        san_report(["not", "facts"])


class _TaggedStr(str):
    """Stands for ansible-core 2.19+'s tagged str (a subclass defined outside builtins)."""


def test_a_value_that_is_no_dict_is_named_by_its_builtin_type():
    """Fails when the message names ansible-core's internal class (_AnsibleTaggedStr) instead of str."""
    with pytest.raises(AnsibleFilterError, match=r"got str$"):
        san_report(_TaggedStr("abc"))
