# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that writes a configuration file (act): temp file in the same directory, written and fsynced
under a deadline, optional backup (a preserved copy named as ``AnsibleModule.backup_local`` names it), then
``AnsibleModule.atomic_move`` (which keeps the owner, mode and SELinux context of an existing file)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile
import time

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline


def split_lines(text):
    """Lines as C's fgets returns them (iscsid and multipathd both read with it): cut after each LF only;
    CR, VT and FF inside a line are ordinary characters."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def read_text(path):
    """(text, exists). A missing file reads as empty text."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "surrogateescape"), True
    except (IOError, OSError) as exc:
        if getattr(exc, "errno", None) == 2:
            return "", False
        raise


def safe_text(text):
    """Text as it can travel in a JSON result: bytes that are not UTF-8 (read with surrogateescape)
    are shown as \\xNN. The file itself is always written back byte-exact."""
    if not isinstance(text, str):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def safe_data(data):
    """safe_text applied to every string in a result (dicts, lists, tuples)."""
    if isinstance(data, dict):
        return dict((safe_data(k), safe_data(v)) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return [safe_data(v) for v in data]
    return safe_text(data)


def missing_directory(path):
    """The parent directory of path when it does not exist (a refusal names it), else None."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    return None if os.path.isdir(directory) else directory


def diff(before, after, path, existed=True):
    return {
        "before": safe_text(before),
        "after": safe_text(after),
        "before_header": "%s (content)" % path if existed else "%s (absent)" % path,
        "after_header": "%s (content)" % path,
    }


def _write_synced(tmp, data):
    """Write and fsync the temp file, in a forked child (deadline.call): on a filesystem whose disk stops
    answering (a root on a SAN LUN whose paths all failed, queueing), the fsync waits in D state; the module must
    not wait with it."""
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return True


def write_text(module, path, text, backup=False, mode=None, timeout=10.0):
    """Atomically replace path with text. Returns the backup file name ('' when none was made). Raises
    deadline.DeadlineExceeded when the data is not on disk within `timeout` seconds (path is then unchanged),
    errors.ChildFailed when the child's write fails, OSError naming `path` when the temp file, the backup or the
    move fails (path is then unchanged): a caller that already changed the host keeps its result."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    existed = os.path.exists(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    except OSError as exc:   # a read-only or full /etc
        raise _named_error(exc, "cannot create a temp file beside %s: %s" % (path, exc.strerror or exc))
    os.close(fd)
    try:
        deadline.call(_write_synced, (tmp, text.encode("utf-8", "surrogateescape")), timeout=timeout,
                      what="write and fsync %s" % path)
        backup_file = _step(module, path, "the backup", _backup, module, path) if backup and existed else ""
        try:
            _step(module, path, "the move into place", module.atomic_move, tmp, path, unsafe_writes=False)
        except OSError as exc:
            if not backup_file:
                raise
            raise _named_error(exc, "%s (%s is unchanged; its backup %s was kept)" % (exc, path, backup_file))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if not existed and mode is not None:
        os.chmod(path, mode)
    return backup_file


def _backup(module, path):
    """A preserved copy (owner, mode, SELinux context) named as AnsibleModule.backup_local names it, made without
    backup_local: before ansible-core 2.19 its failure is a fail_json, which would end a module that has already
    removed devices without their result."""
    backup_file = "%s.%s.%s" % (path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime()))
    module.preserved_copy(path, backup_file)
    return backup_file


def _step(module, path, what, func, *args, **kwargs):
    """func(*args, **kwargs) with module.fail_json raising instead of exiting: atomic_move (before ansible-core
    2.19) and preserved_copy (its SELinux context or attributes, every version) end the module with fail_json, and a
    module that has already removed devices must report them. Any error (OSError, shutil.Error, the fail_json, the
    plain Exception atomic_move raises since 2.19) becomes an OSError that names the file and keeps the cause."""
    def raise_instead(msg="failed", **_kwargs):
        raise _FailJson(msg)
    own = module.__dict__.get("fail_json")
    module.fail_json = raise_instead
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # pylint: disable=broad-except  # re-raised as OSError naming the file
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        detail = str(exc) if cause is exc else "%s (%s)" % (exc, cause)
        raise _named_error(cause, "%s of %s failed: %s" % (what, path, detail))
    finally:
        if own is None:
            del module.fail_json     # the class's own again
        else:
            module.fail_json = own


class _FailJson(Exception):
    """AnsibleModule.fail_json called inside a write step, raised instead of exiting."""


def _named_error(exc, message):
    code = getattr(exc, "errno", None)
    return OSError(code, message) if code else OSError(message)
