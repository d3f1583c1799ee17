# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input validation shared by the modules: bad input is refused before anything is read or written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

SD_NAME = re.compile(r"^sd[a-z]{1,4}$")
DM_NAME = re.compile(r"^dm-[0-9]{1,6}$")
MAP_NAME = re.compile(r"^[A-Za-z0-9_.:+-]{1,128}$")
HCTL = re.compile(r"^[0-9]{1,6}:[0-9]{1,6}:[0-9]{1,6}:[0-9]{1,10}$")
WWID = re.compile(r"^(?:[0-9a-fA-F]{2,64}|(?:eui|naa|t10)\.[0-9A-Za-z_.:-]{2,250})$")
# ONTAP LUN serials are exactly 12 printable characters, e.g. "81LgM$V4waSp".
ONTAP_SERIAL = re.compile(r"^[\x21-\x7e]{12}$")
ONTAP_WWID_PREFIX = "3600a0980"


class InvalidInput(ValueError):
    pass


def _check(pattern, value, label):
    if not isinstance(value, str):
        raise InvalidInput("%s must be a string, got %s" % (label, type(value).__name__))
    if not pattern.match(value):
        raise InvalidInput("%s %r is not valid" % (label, value))
    return value


def sd_name(value):
    return _check(SD_NAME, value, "SCSI disk name")


def dm_name(value):
    return _check(DM_NAME, value, "device-mapper name")


def map_name(value):
    value = _check(MAP_NAME, value, "multipath map name")
    if ".." in value:
        raise InvalidInput("multipath map name %r is not valid" % value)
    return value


def hctl(value):
    return _check(HCTL, value, "H:C:T:L")


def wwid(value):
    return _check(WWID, value, "WWID").lower()


def ontap_wwid(serial):
    """The host WWID of an ONTAP LUN: 3600a0980 followed by the hex of its 12-character serial."""
    _check(ONTAP_SERIAL, serial, "ONTAP LUN serial")
    return ONTAP_WWID_PREFIX + serial.encode("ascii").hex()


def serial_from_ontap_wwid(value):
    """The 12-character ONTAP serial inside a host WWID, or None when it is not an ONTAP WWID."""
    value = (value or "").lower()
    if not value.startswith(ONTAP_WWID_PREFIX) or len(value) != len(ONTAP_WWID_PREFIX) + 24:
        return None
    try:
        serial = bytes.fromhex(value[len(ONTAP_WWID_PREFIX):]).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return serial if ONTAP_SERIAL.match(serial) else None
