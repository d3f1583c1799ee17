# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What multipath-tools on this host answers (module multipath_conf): the configuration texts, the daemon's state,
the live maps' raw reads and the local disks, read through observe.read.Host (deadlines, failures named in
`errors`). Reads only; the daemon's changes are act.daemon's, the judging of what is read judge.multipath_audit's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import parse
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import read
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import sysfs as obs_sysfs


class MultipathTools(object):
    """multipath-tools on this host: its answers read through observe.read.Host (deadlines, failures named in
    `errors`)."""

    def __init__(self, module):
        self.module = module
        self.timeout = module.params["command_timeout"]
        self.errors = []
        self.host = read.reader_for(module.params)

    def bin(self, name, required=True):
        return self.module.get_bin_path(name, required=required)

    def run(self, argv, timeout=None, what=None):
        return self.host.command(argv, self.errors, timeout=timeout, what=what)

    def configured_config(self):
        res = self.run([self.bin("multipath"), "-t"])
        if res is None or res.rc != 0 or "defaults {" not in res.stdout:
            if res is not None:
                self.errors.append({"what": "multipath -t", "msg": res.describe()})
            return None
        return res.stdout

    def tools_help(self):
        """What `multipath -h` prints (to stderr, whatever its exit code), its first line naming the version:
        multipath-tools v0.9.4 (01/01, 2023); None when it did not answer."""
        res = self.run([self.bin("multipath"), "-h"], what="multipath -h (the multipath-tools version)")
        return (res.stdout or "") + (res.stderr or "") if res is not None else None

    def running_config(self):
        binary = self.bin("multipathd", required=False)
        if not binary:
            return None
        res = self.run([binary, "show", "config"], what="multipathd show config (the daemon may be wedged)")
        if res is None or res.rc != 0 or "defaults {" not in res.stdout:
            return None
        return res.stdout

    def map_reads(self):
        """(multipathd's maps by name, the kernel's multipath tables by name), each empty when it did not answer."""
        show = {}
        binary = self.bin("multipathd", required=False)
        if binary:
            res = self.run([binary, "show", "maps", "raw", "format", parse.SHOW_MAPS_FORMAT])
            if res is not None and res.rc == 0:
                show = parse.parse_show_maps(res.stdout)
        table = {}
        dmsetup = self.bin("dmsetup", required=False)
        if dmsetup:
            res = self.run([dmsetup, "table", "--target", "multipath"])
            if res is not None and res.rc == 0:
                table, errors = parse.parse_dm_lines(res.stdout, parse.parse_multipath_table)
                self.errors.extend(errors)
        return show, table

    def local_disks(self, audited_vendor):
        """The sd disks not of an audited array (audited_vendor(vendor) says which are), each with `claimed`:
        multipath holds it, or `multipath -c` says it would."""
        try:
            names = self.host.sysfs(obs_sysfs.read_block_names, (self.host.root,), "listing of /sys/block")
        except (deadline.DeadlineExceeded, RuntimeError) as exc:
            self.errors.append({"what": "listing of /sys/block", "msg": str(exc)})
            return []
        # a disk whose read hangs is named in errors and left out: it is neither blacklisted nor reported
        found = self.host.read_each(obs_sysfs.read_local_disks, [n for n in names if parse.SD_RE.match(n)],
                                    self.errors)
        disks = [found[n] for n in sorted(found) if found[n] is not None]
        # disks of an audited array are not local, whatever transport the kernel shows
        disks = [d for d in disks if not (d["vendor"] and audited_vendor(d["vendor"]))]
        binary = self.bin("multipath", required=False)
        for disk in disks:
            disk["claimed"] = bool(disk["holder"])
            if disk["claimed"] or not binary:
                continue
            res = self.run([binary, "-c", "/dev/%s" % disk["name"]], timeout=min(self.timeout, 10))
            disk["claimed"] = res is not None and res.rc == 0
        return disks

    def daemon_state(self):
        """inactive (not running: starting it is safe) or unresponsive (running, but show config did not answer)."""
        res = self.run([self.bin("systemctl"), "is-active", "multipathd.service"], timeout=min(self.timeout, 10))
        if res is not None and res.stdout.strip() in ("inactive", "failed"):
            return "inactive"
        return "unresponsive"

    def path_status(self):
        """{map: parse_multipath_status} from the kernel, or None when dmsetup did not answer. A map whose line does
        not parse is there as None (named in errors): its paths cannot be counted, which counts as none active."""
        dmsetup = self.bin("dmsetup", required=False)
        if not dmsetup:
            return None
        res = self.run([dmsetup, "status", "--target", "multipath"])
        if res is None or res.rc != 0:
            return None
        status, errors = parse.parse_dm_lines(res.stdout, _status_or_error)
        self.errors.extend(errors)
        for name in sorted(n for n, s in status.items() if isinstance(s, parse.DmParseError)):
            self.errors.append({"what": "dmsetup status line of %s" % name, "msg": str(status[name])})
            status[name] = None
        return status

    def wait_running(self, settle):
        end = time.monotonic() + settle
        binary = self.bin("multipathd")
        while True:
            res = self.run([binary, "show", "daemon"], timeout=min(self.timeout, 10))
            # "pid N idle" (between checker runs) or "pid N running" (checking); not "startup"/"configure"
            if res is not None and res.rc == 0 and re.search(r"\b(idle|running)\b", res.stdout):
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(1)


def _status_or_error(args):
    """parse_multipath_status, or the DmParseError that says why the line does not parse."""
    try:
        return parse.parse_multipath_status(args)
    except parse.DmParseError as exc:
        return exc
