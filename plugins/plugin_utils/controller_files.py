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
    """Write bytes `data` to `path` through a temporary file in the same directory and a rename, with `mode` whatever
    the umask. Returns whether the file's content changed (an equal file keeps its inode; its mode is set)."""
    if not differs(path, data):
        if os.path.isfile(path) and not os.path.islink(path) and (os.stat(path).st_mode & 0o7777) != mode:
            os.chmod(path, mode)
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


def make_dirs(path, mode=0o755):
    """`path` and the directories above it that are missing, each with `mode` whatever the umask; `path` itself gets
    `mode` when it exists already (as the file module's state=directory does)."""
    missing = []
    head = path
    while head and not os.path.isdir(head):
        missing.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, mode)
        except FileExistsError:
            pass
        os.chmod(directory, mode)
    if not missing and (os.stat(path).st_mode & 0o7777) != mode:
        os.chmod(path, mode)


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


def ca_bundle(path):
    """The CA bundle to verify an array's API with, or None for the system trust store. A blank path, or a file with
    nothing in it (what AWX writes when a credential's CA field is left empty), means "no CA of its own"."""
    if not path or not str(path).strip():
        return None
    try:
        with open(path, "rb") as bundle:
            if not bundle.read(65536).strip():
                return None
    except (IOError, OSError):
        pass  # unreadable or missing: the HTTP client names the path in its error
    return path


def with_secret_file(options, secret_key, file_key, label, what):
    """``options`` without ``file_key``, and with ``secret_key`` read from that file when no secret is given: the
    file is where the secret rests, so that no environment variable, extra var or runner artifact holds it
    (ansible-runner writes its whole environment to artifacts/<id>/command). One trailing newline is dropped. A file
    that cannot be read, or an empty one, is this array's read failing (a problem that blocks removals), named by its
    path. ``label`` and ``what`` name the array and the file in the message (``ONTAP <host>``, ``password file``)."""
    from ansible.errors import AnsibleLookupError

    path = options.get(file_key)
    options = {k: v for k, v in options.items() if k != file_key}
    if not path or options.get(secret_key) not in (None, ""):
        return options
    try:
        with open(os.path.expanduser(str(path)), "r", encoding="utf-8") as handle:
            secret = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise AnsibleLookupError("%s: cannot read the %s %s: %s"
                                 % (label, what, path, getattr(exc, "strerror", None) or type(exc).__name__))
    secret = secret[:-1] if secret.endswith("\n") else secret
    secret = secret[:-1] if secret.endswith("\r") else secret
    if not secret:
        raise AnsibleLookupError("%s: the %s %s is empty" % (label, what, path))
    options[secret_key] = secret
    return options
