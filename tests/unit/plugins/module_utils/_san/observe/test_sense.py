# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of `plugins/module_utils/_san/observe/sense.py`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import sense
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import STD_INQ_OK


LUN0_INQ = """standard INQUIRY:
  PQual=1  PDT=31  RMB=0  LU_CONG=0  hot_pluggable=0  version=0x05  [SPC-3]
  [AERC=0]  [TrmTsk=0]  NormACA=0  HiSUP=1  Resp_data_format=2
    length=36 (0x24)   Peripheral device type: no physical device on this lu
 Vendor identification: LIO-ORG
 Product identification:
 Product revision level:
"""


def R(rc=0, out="", err=""):
    return {"rc": rc, "stdout": out, "stderr": err}


@pytest.mark.parametrize("tur,inq,vpd,result,sense_part", [
    (R(), R(out=STD_INQ_OK), R(out="\x00\ufffd\x00\x0c80AbCdEfGh01"), "ready", None),
    # LIO, unmapped LUN >= 1 (lab (c1)): TUR illegal request / LU not supported, INQUIRY fails
    (R(5, "Illegal request\n", "test unit ready:\nFixed format, current; Sense key: Illegal Request\n"
       "Additional sense: Logical unit not supported\n"), R(5, "", "sg_inq failed: Illegal request\n"), None,
     "lun_not_supported", "Logical unit not supported"),
    # same, decoded from the raw sense of -vv only
    (R(5, "Illegal request\n", " Raw sense data (in hex), sb_len=18, embedded_len=18\n"
       "        70 00 05 00 00 00 00 0a  00 00 00 00 25 00 00 00\n        00 00\n"), None, None,
     "lun_not_supported", None),
    # LIO virtual LUN 0 (lab (c4)): TUR good, INQUIRY PQual=1 PDT=31
    (R(), R(out=LUN0_INQ), R(1, "", "sg_inq: Numerical argument out of domain\n"), "lun_not_supported", "PQual=1"),
    # tgt: PQual=3
    (R(), R(out=LUN0_INQ.replace("PQual=1", "PQual=3")), None, "lun_not_supported", "PQual=3"),
    # a transport failure: sg3-utils 1.46 exits 0 on it (os_err 0) - the text must win
    (R(0, "", "test unit ready: transport: Host_status=0x01 [DID_NO_CONNECT]\nDriver_status=0x00 [DRIVER_OK]\n"),
     None, None, "no_answer", "DID_NO_CONNECT"),
    (R(0, "", "test unit ready: transport: Host_status=0x0f [DID_TRANSPORT_FAILFAST]\n"
              "Driver_status=0x00 [DRIVER_OK]\n"), None, None, "no_answer", "DID_TRANSPORT_FAILFAST"),
    # offline device: open fails
    (R(56, "", "main: error opening file: /dev/sdb: No such device or address\n"), None, None, "no_answer",
     "No such device or address"),
    ({"timeout": 8.0}, None, None, "no_answer", "8.0"),
    (R(33, "", "test unit ready: pass-through timeout\n"), None, None, "no_answer", "timeout"),
    # not ready (e.g. ALUA standby / becoming ready)
    (R(2, "device not ready\n", "test unit ready:\nFixed format, current; Sense key: Not Ready\n"
       "Additional sense: Logical unit not accessible, target port in standby state\n"), None, None,
     "not_ready", "standby"),
    (R(6, "Unit attention\n", "test unit ready:\nFixed format, current; Sense key: Unit Attention\n"
       "Additional sense: Reported luns data has changed\n"), None, None, "not_ready", "Unit Attention"),
    # the device answers TUR but INQUIRY times out
    (R(), {"timeout": 8.0}, None, "no_answer", "INQUIRY"),
    (R(99, "", "something odd\n"), None, None, "error", "rc=99"),
])
def test_classify_probe(tur, inq, vpd, result, sense_part):
    """Fails when a probe's sg_turs, sg_inq and VPD answers are classified as the wrong result."""
    out = sense.classify_probe(tur, inq, vpd)
    assert out["result"] == result, out
    if sense_part:
        assert sense_part in out["sense"]
    if result == "ready":
        assert out["serial_live"] == "80AbCdEfGh01"
