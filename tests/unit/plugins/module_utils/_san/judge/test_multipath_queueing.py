# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""judge.multipath_queueing: which maps without an active path a reconfigure/start would give another queueing, and
when their queued I/O would fail then. Configurations are judge.multipath_audit.to_dict of the captured 0.9.4
`show config` (tests/unit/fixtures/config) and of small files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import (
    multipath_audit, multipath_parse, multipath_queueing as mq)


FIX = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "config")


with open(os.path.join(FIX, "multipathd-show-config-0.9.4.txt")) as _f:
    SHOW_CONFIG = _f.read()   # polling_interval 2; built-in NETAPP/LUN: no_path_retry queue; the lab's LIO-ORG: fail


NETAPP = {"name": "mpatha", "wwid": "3600a0980aaaa", "queueing": "on", "vendor": "NETAPP", "product": "LUN C-Mode",
          "table_features": "queue_if_no_path pg_init_retries 50", "table_queue_if_no_path": True}


LIO = {"name": "mpathl", "wwid": "36001405bbbb", "queueing": "off", "vendor": "LIO-ORG", "product": "FILEIO",
       "table_features": "0", "table_queue_if_no_path": False}


def eff(text):
    return multipath_audit.to_dict(multipath_parse.parse(text, strict=False))


RUNNING = eff(SHOW_CONFIG)


def netapp_file(setting):
    return eff('devices {\n device {\n  vendor "NETAPP"\n  product "LUN"\n  %s\n }\n}\n' % setting)


DEFAULT = object()  # the running configuration (a shared dict as a default argument would be pylint's warning)


def changes(new_file, maps=(NETAPP, LIO), pathless=("mpatha",), running=DEFAULT, base=DEFAULT):
    running = RUNNING if running is DEFAULT else running
    base = RUNNING if base is DEFAULT else base
    return mq.queueing_changes(list(maps), list(pathless), running, base, new_file)


def test_no_path_retry_fail_on_a_map_without_path_fails_its_io_at_once():
    """no_path_retry fail reaching a queueing map with no active path ends its queued writes at once: named, 0 s."""
    assert changes(netapp_file("no_path_retry fail")) == [
        {"map": "mpatha", "before": "queue", "after": "fail", "io_fails_after": 0}]
    assert changes(eff("overrides {\n no_path_retry fail\n}\n"), pathless=["mpatha", "mpathl"]) == [
        {"map": "mpatha", "before": "queue", "after": "fail", "io_fails_after": 0}]   # mpathl already fails


def test_a_number_starts_a_countdown_of_n_polling_intervals():
    """no_path_retry 30 on a map that queued without bound starts a countdown to EIO: 30 x polling_interval 2."""
    assert changes(netapp_file("no_path_retry 30")) == [
        {"map": "mpatha", "before": "queue", "after": "30", "io_fails_after": 60}]
    # the file's own polling_interval is the one the daemon will count with
    new = netapp_file("no_path_retry 30")
    new["defaults"]["polling_interval"] = "5"
    assert changes(new)[0]["io_fails_after"] == 150


def test_a_map_whose_queueing_does_not_change_is_not_affected():
    """Only maps whose effective queueing changes count: the LIO-ORG map keeps fail, the NETAPP one has a path."""
    assert changes(netapp_file("no_path_retry 30"), pathless=["mpathl"]) == []
    assert changes(eff("defaults {\n no_path_retry 30\n}\n"), pathless=["mpatha", "mpathl"]) == []  # entries win
    assert changes(eff("defaults {\n recheck_wwid yes\n}\n")) == []


@pytest.mark.parametrize("running_features,new_features,before,after,seconds", [
    ('"1 queue_if_no_path"', '"0"', "queue", "fail", 0),            # queue_if_no_path removed = fail
    ('"1 queue_if_no_path"', '"1 queue_if_no_path"', None, None, None),
])
def test_features_without_queue_if_no_path_is_a_change_to_fail(
        running_features, new_features, before, after, seconds):
    """With no_path_retry unset, removing queue_if_no_path from features fails the map's I/O like fail does."""
    text = ('devices {\n device {\n  vendor "ACME"\n  product "X"\n  features %s\n }\n}\n')
    acme = dict(NETAPP, name="acme", vendor="ACME", product="X", queueing="-")
    got = changes(eff(text % new_features), maps=[acme], pathless=["acme"], running=eff(text % running_features),
                  base=eff(text % running_features))
    assert got == ([{"map": "acme", "before": before, "after": after, "io_fails_after": seconds}] if after else [])


def test_no_path_retry_beats_queue_if_no_path_in_features():
    """A set no_path_retry wins over queue_if_no_path (multipath-tools ignores the feature then)."""
    assert mq.queueing("30", "1 queue_if_no_path") == 30
    assert mq.queueing(None, "1 queue_if_no_path") == "queue"
    assert mq.queueing(None, None) == "fail" and mq.queueing("0", None) == "fail"
    assert mq.queueing("lots", None) is None


def test_a_multipaths_entry_beats_overrides_and_devices():
    """multipaths > overrides > devices > defaults: a wwid's own entry decides, in the new file and the running one."""
    new = eff('overrides {\n no_path_retry fail\n}\nmultipaths {\n multipath {\n  wwid 3600a0980aaaa\n'
              '  no_path_retry queue\n }\n}\n')
    assert changes(new) == []
    running = eff(SHOW_CONFIG + 'multipaths {\n multipath {\n  wwid 3600a0980aaaa\n  no_path_retry queue\n }\n}\n')
    assert changes(eff('multipaths {\n multipath {\n  wwid 3600a0980aaaa\n  no_path_retry 10\n }\n}\n'),
                   running=running, base=running) == [
        {"map": "mpatha", "before": "queue", "after": "10", "io_fails_after": 20}]


def test_unknown_path_count_state_or_array_counts_as_a_change():
    """A map nobody could describe (only dmsetup status listed it), a daemon that does not answer show config, or
    maps nobody could list: fail closed."""
    assert changes(netapp_file("no_path_retry 30"), pathless=["ghost"]) == [
        {"map": "ghost", "before": "unknown", "after": "unknown", "io_fails_after": 0}]
    netapp_bounded = dict(NETAPP, queueing="30 chk")
    assert changes(netapp_file("no_path_retry 30"), maps=[netapp_bounded], running=None)[0]["before"] == "unknown"
    assert mq.queueing_changes([NETAPP], None, RUNNING, RUNNING, netapp_file("no_path_retry 30")) is None


def test_an_unmanaged_map_that_queues_counts_as_queueing_whatever_the_daemon_runs():
    """A map multipathd does not manage ('-', queue_if_no_path in its table: kept through an earlier reconfigure
    without a usable path) queues without bound; a reconfigure may adopt it with the bounded value."""
    running = eff(SHOW_CONFIG)
    [entry] = [d for d in running["devices"] if (d.get("vendor"), d.get("product")) == ("NETAPP", "LUN")]
    entry["no_path_retry"] = "30"   # the daemon runs the fixed configuration already
    unmanaged = dict(NETAPP, queueing="-")
    assert changes(netapp_file("no_path_retry 30"), maps=[unmanaged], running=running, base=running) == [
        {"map": "mpatha", "before": "queue", "after": "30", "io_fails_after": 60}]
    # the same map managed with the bounded value already: nothing changes for it
    assert changes(netapp_file("no_path_retry 30"), maps=[dict(NETAPP, queueing="12 sec")], running=running,
                   base=running) == []


def test_a_stopped_daemon_is_judged_on_the_kernel_table():
    """Before a start, no daemon manages the maps: the table says whether one queues (the start sets its queueing)."""
    table_only = {"name": "mpatha", "wwid": None, "queueing": None, "table_features": "queue_if_no_path",
                  "table_queue_if_no_path": True}
    got = changes(netapp_file("no_path_retry 30"), maps=[table_only], running=None)
    assert got == [{"map": "mpatha", "before": "queue", "after": "unknown", "io_fails_after": 0}]


def test_a_conf_d_entry_that_may_beat_the_file_counts():
    """multipath -t (base) holds /etc/multipath/conf.d too, read after the main file: when its entry and the file's
    disagree, either may be the one the daemon takes, so the map counts as changed if either changes it."""
    base = eff(SHOW_CONFIG)
    base["devices"].append({"vendor": "NETAPP", "product": "LUN", "no_path_retry": "fail"})  # from conf.d
    assert changes(netapp_file("no_path_retry queue"), base=base) == [
        {"map": "mpatha", "before": "queue", "after": "queue or fail", "io_fails_after": 0}]
