# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the controller writes for itself (the reports, the ONTAP cache): each replaced whole by a rename, so a
reader (a browser on fleet.html, the AWX job that collects hosts/*.json, a second run) sees the old file or the new
one, never half of one."""

from __future__ import annotations

import os
import tempfile

# what one path component may not be: a name that walks out of its directory, or none at all
_NOT_A_NAME = (".", "..")


def differs(path, data):
    """Whether the file at `path` holds anything but bytes `data` (a missing file does)."""
    try:
        with open(path, "rb") as handle:
            return handle.read() != data
    except FileNotFoundError:
        return True


def atomic_write(path, data, mode=0o644):
    """Write bytes `data` to `path` through a temporary file in the same directory and a rename. Returns whether
    the file's content changed (an equal file is left as it is, its mode included)."""
    if not differs(path, data):
        return False
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def file_name(name, suffix=""):
    """`name` + `suffix` as one file name inside a directory; ValueError for anything that is not one (a separator,
    a NUL, `.` or `..`, empty, longer than a file name may be)."""
    if not isinstance(name, str) or not name:
        raise ValueError("%r is not a file name (one path component)" % (name,))
    full = name + suffix
    if full in _NOT_A_NAME or "/" in full or "\0" in full:
        raise ValueError("%r is not a file name (one path component)" % (full,))
    if len(full.encode("utf-8", "surrogateescape")) > 255:
        raise ValueError("%r is longer than a file name may be (255 bytes)" % (full,))
    return full
