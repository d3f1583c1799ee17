# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the answers of sg3-utils (1.46 and later) say: sense, host/driver status and INQUIRY's peripheral
qualifier read from sg_turs / sg_raw / sg_inq text into one probe result (ready, lun_not_supported, not_ready,
no_answer, error). Pure text parsing, no I/O: the probe (observe.probe) reads its answers with it, and what a
result means for a path is the judge's (judge.findings.path_state). It lives in observe so that the reader does not
import the judge.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.parse import vpd80_serial

SENSE_KEY_RE = re.compile(r"Sense key:\s*([A-Za-z ]+?)\s*$", re.M)
ADD_SENSE_RE = re.compile(r"Additional sense:\s*(.+?)\s*$", re.M)
ASC_RE = re.compile(r"\bASC=([0-9a-fA-F]{2})\b")
RAW_SENSE_RE = re.compile(r"Raw sense data \(in hex\)[^\n]*\n\s*((?:[0-9a-fA-F]{2}\s+){13,})")
TRANSPORT_RE = re.compile(r"(Host_status=0x[0-9a-fA-F]+\s*\[[^\]]*\]|Driver_status=0x[0-9a-fA-F]+\s*\[[^\]]*\]|"
                          r"\bDID_[A-Z_]+\b)")
HOST_STATUS_RE = re.compile(r"Host_status=0x([0-9a-fA-F]+)")
DRIVER_STATUS_RE = re.compile(r"Driver_status=0x([0-9a-fA-F]+)")
PQUAL_RE = re.compile(r"PQual=(\d)\s+PDT=(\d+)")
OPEN_FAIL_RE = re.compile(r"error opening file:.*?:\s*(.+)$", re.M)
LUN_NOT_SUPPORTED_RE = re.compile(r"logical unit not supported", re.I)
# sg3_utils exit statuses (include/sg_lib.h)
SG_FILE_ERROR = 15
SG_TIMEOUT = 33
SG_OS_BASE = 50
SENSE_CATEGORIES = (2, 3, 5, 6, 7, 9, 10, 11, 14, 17, 18, 20, 21, 22, 24, 25, 26, 27, 28, 29, 40, 41, 98)


def host_byte_failed(text):
    """A non-zero SCSI host byte (DID_*) or driver byte other than DRIVER_SENSE means no SCSI answer."""
    m = HOST_STATUS_RE.search(text)
    if m and int(m.group(1), 16) != 0:
        return True
    m = DRIVER_STATUS_RE.search(text)
    if m and (int(m.group(1), 16) & 0x0F) not in (0, 0x08):
        return True
    return bool(re.search(r"\bDID_(?!OK\b)[A-Z_]+", text))


def parse_sense(text):
    """Sense key, additional sense and ASC out of sg3-utils text (plain, -v or -vv)."""
    out = {"sense_key": None, "additional": None, "asc": None}
    m = SENSE_KEY_RE.search(text or "")
    if m:
        out["sense_key"] = m.group(1).strip()
    m = ADD_SENSE_RE.search(text or "")
    if m:
        out["additional"] = m.group(1).strip()
    m = ASC_RE.search(text or "")
    if m:
        out["asc"] = int(m.group(1), 16)
    m = RAW_SENSE_RE.search(text or "")
    if m:
        raw = [int(x, 16) for x in m.group(1).split()]
        if raw and (raw[0] & 0x7F) in (0x70, 0x71) and len(raw) > 12:
            out["asc"] = raw[12]
        elif raw and (raw[0] & 0x7F) in (0x72, 0x73) and len(raw) > 2:
            out["asc"] = raw[2]
    if out["asc"] is None and out["additional"] and LUN_NOT_SUPPORTED_RE.search(out["additional"]):
        out["asc"] = 0x25
    return out


def _sense_text(sense):
    parts = [p for p in (sense.get("sense_key"), sense.get("additional")) if p]
    return ": ".join(parts) if parts else None


def classify_probe(tur, inq, vpd=None):
    """Classify a live probe of one sd.

    tur, inq, vpd: dicts {rc, stdout, stderr} of `sg_turs -v`, `sg_inq` and `sg_inq -p 0x80 -r`, or
    {timeout: seconds} when the command hit its deadline, or None when it was not run.
    Returns {result, sense, serial_live, pqual, pdt, tur_answered}; tur_answered: TEST UNIT READY got a SCSI status
    back (GOOD or CHECK CONDITION): a LU answered at that address, whatever INQUIRY did next.
    """
    res = {"result": "error", "sense": None, "serial_live": None, "pqual": None, "pdt": None, "tur_answered": False}

    def text_of(r):
        return "%s\n%s" % (r.get("stdout") or "", r.get("stderr") or "")

    if tur is None:
        res["sense"] = "not probed"
        return res
    if tur.get("timeout") is not None:
        res.update(result="no_answer", sense="TEST UNIT READY got no answer within %ss" % tur["timeout"])
        return res
    ttext = text_of(tur)
    m = OPEN_FAIL_RE.search(ttext)
    if m or tur.get("rc") == SG_FILE_ERROR:
        res.update(result="no_answer", sense="cannot open the device: %s" % (m.group(1).strip() if m else ttext.strip()))
        return res
    if host_byte_failed(ttext):
        found = TRANSPORT_RE.findall(ttext)
        res.update(result="no_answer", sense="transport failure: %s" % " ".join(found))
        return res
    if tur.get("rc") == SG_TIMEOUT:
        res.update(result="no_answer", sense="pass-through timeout")
        return res

    tsense = parse_sense(ttext)
    res["tur_answered"] = (tur.get("rc") == 0 and not tsense.get("sense_key")) or bool(tsense.get("sense_key"))
    itext = text_of(inq) if inq and inq.get("timeout") is None else ""
    isense = parse_sense(itext) if itext else {"asc": None}
    m = PQUAL_RE.search(itext) if itext else None
    inquiry_pq = None  # (PQual, PDT), only when INQUIRY printed both
    if m:
        inquiry_pq = (int(m.group(1)), int(m.group(2)))
        res["pqual"], res["pdt"] = inquiry_pq

    if vpd and vpd.get("rc") == 0 and vpd.get("stdout"):
        res["serial_live"] = vpd80_serial(vpd["stdout"], trust_length=False)

    if tsense.get("asc") == 0x25 or isense.get("asc") == 0x25:
        res.update(result="lun_not_supported", sense=_sense_text(tsense) or _sense_text(isense)
                   or "Logical unit not supported")
        return res
    if inquiry_pq is not None and inquiry_pq[0] in (1, 3):
        res.update(result="lun_not_supported",
                   sense="INQUIRY: PQual=%d PDT=%d (no logical unit at this LUN)" % inquiry_pq)
        return res
    if tur.get("rc") == 0 and not tsense.get("sense_key"):
        if inq is not None and inq.get("timeout") is not None:
            res.update(result="no_answer", sense="INQUIRY got no answer within %ss" % inq["timeout"])
        elif inq is None or inq.get("rc") == 0:
            res.update(result="ready", sense=None)
        elif host_byte_failed(itext):
            res.update(result="no_answer", sense="INQUIRY transport failure: %s" % " ".join(TRANSPORT_RE.findall(itext)))
        else:
            res.update(result="error", sense="INQUIRY failed (rc=%s): %s" % (inq.get("rc"), itext.strip()))
        return res
    if tsense.get("sense_key") or tur.get("rc") in SENSE_CATEGORIES or "device not ready" in ttext:
        res.update(result="not_ready", sense=_sense_text(tsense) or ttext.strip() or ("sg_turs rc=%s" % tur.get("rc")))
        return res
    if tur.get("rc", 0) > SG_OS_BASE and tur.get("rc") < 97:
        res.update(result="no_answer", sense="OS error %d: %s" % (tur["rc"] - SG_OS_BASE, ttext.strip()))
        return res
    res.update(result="error", sense="sg_turs rc=%s: %s" % (tur.get("rc"), ttext.strip()))
    return res
