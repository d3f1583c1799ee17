# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live SCSI probes of sd paths: TEST UNIT READY, INQUIRY, VPD 0x80 (sg3-utils), each with the probe deadline.

Only sd nodes are opened, never /dev/dm-* (lab finding 1). observe.sense reads what each answer says; what that
means for a path is the judge's (judge.findings.path_state); this module only asks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import re
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import SAN_TRANSPORTS
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.sense import (
    OPEN_FAIL_RE, classify_probe, host_byte_failed)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import SD_RE
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.tools import package_of

SG_BIN = {"turs": "sg_turs", "inq": "sg_inq", "raw": "sg_raw"}
TEST_UNIT_READY_CDB = ["00", "00", "00", "00", "00", "00"]
# sg_turs 3.56 (sg3-utils 1.48, Debian trixie) can fail to set up its SG_IO v3 request: it prints "No SCSI
# command (cdb) given [v3]" / "bad pass-through setup" and exits 0 without sending anything (lab finding 13). sg_raw
# then sends the same 6-byte TEST UNIT READY and prints status and sense in the words classify_probe reads.
TUR_NOT_SENT_RE = re.compile(r"bad pass-through setup|No SCSI command \(cdb\) given")


def probe_snapshot(host, snap):
    """Probe the paths of every map with a path not fully healthy, and every SAN disk without a map. A program that
    is not installed is one error for all the paths it could not probe, not one per path."""
    errors = []
    for wwid in sorted(snap["maps"]):
        m = snap["maps"][wwid]
        if all(_path_ok(p) for p in m["paths"]):
            continue
        for p in m["paths"]:
            if p.get("name") and SD_RE.match(p["name"]):
                m["probe"][p["name"]] = probe_path(host, p["name"], errors=errors)
    for name, d in sorted(snap["disks"].items()):
        if d["map"] is None and d["transport"] in SAN_TRANSPORTS:
            d["probe"] = probe_path(host, name, errors=errors)
    snap["errors"].extend(_one_per_message(errors))


def _one_per_message(errors):
    """The probes' errors, those with the same message (a program that is not installed) as one naming every
    path: [{what: "probe of sdd, sdf", msg}]."""
    out, merged = [], {}
    for e in errors:
        if e["msg"] in merged:
            merged[e["msg"]]["what"] += ", " + e["what"][len("probe of "):]
        else:
            merged[e["msg"]] = dict(e)
            out.append(merged[e["msg"]])
    return out


def probe_path(host, sd, errors=None):
    """Live probe of one sd: TEST UNIT READY, standard INQUIRY, VPD 0x80 (sg3-utils), each with the probe deadline."""
    validate.sd_name(sd)
    node = host.path("/dev/%s" % sd)
    started = time.monotonic()
    results = {}

    def step(key, argv):
        try:
            r = host.run(argv, host.probe_timeout, what="%s on %s" % (argv[0], sd))
            results[key] = {"rc": r.rc, "stdout": r.stdout, "stderr": r.stderr}
        except deadline.DeadlineExceeded as exc:
            results[key] = {"timeout": exc.seconds}
            if errors is not None:
                errors.append({"what": "probe of %s" % sd, "msg": str(exc)})
        except OSError as exc:
            results[key] = None
            if exc.errno == errno.ENOENT:
                raise _ProbeUnavailable("%s is not installed (%s): not probed" % (argv[0], package_of(argv[0])),
                                        argv[0])
            raise _ProbeUnavailable("cannot run %s: %s" % (argv[0], exc))

    try:
        step("tur", [SG_BIN["turs"], "-v", node])
        t = results["tur"]
        if t.get("timeout") is None and TUR_NOT_SENT_RE.search("%s\n%s" % (t.get("stdout"), t.get("stderr"))):
            step("tur", [SG_BIN["raw"], "-v", node] + TEST_UNIT_READY_CDB)
            t = results["tur"]
        if t.get("timeout") is None and not host_byte_failed("%s\n%s" % (t.get("stdout"), t.get("stderr"))) \
                and not OPEN_FAIL_RE.search("%s\n%s" % (t.get("stdout"), t.get("stderr"))):
            step("inq", [SG_BIN["inq"], node])
            i = results["inq"]
            if t.get("rc") == 0 and i and i.get("rc") == 0:
                step("vpd", [SG_BIN["inq"], "-p", "0x80", "-r", node])
    except _ProbeUnavailable as exc:
        # not an answer of the device: the plan removes nothing whose paths were not probed, whether the program is
        # not installed (`missing`) or cannot be started (EACCES of a noexec mount or an SELinux denial, ENOEXEC)
        out = {"result": "error", "sense": str(exc), "serial_live": None, "not_sent": str(exc),
               "elapsed": round(time.monotonic() - started, 3)}
        if exc.missing:
            out["missing"] = exc.missing
        if errors is not None:
            errors.append({"what": "probe of %s" % sd, "msg": str(exc)})
        return out
    out = classify_probe(results.get("tur"), results.get("inq"), results.get("vpd"))
    out["elapsed"] = round(time.monotonic() - started, 3)
    return out


class _ProbeUnavailable(Exception):
    """A probe that could not be sent; `missing`: the program that is not installed, when that is why."""

    def __init__(self, msg, missing=None):
        super(_ProbeUnavailable, self).__init__(msg)
        self.missing = missing


def _path_ok(p):
    """A path is fully healthy when the kernel has it active and the checker (if known) says ready."""
    if p.get("dm_state") != "active":
        return False
    if p.get("checker_state") not in (None, "ready", "ghost"):
        return False
    if p.get("dev_state") not in (None, "running"):
        return False
    return True
