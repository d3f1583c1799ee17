# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run's cache of array reads, for every array-truth source (array_truth.SOURCES).

An array is read at most once per ``ttl`` seconds for the whole run: in the process, and on disk under the
controller's per-run tmp dir (``ansible-local-*``, removed by ansible when the run ends), with a lock so that forked
workers wait for the first read instead of repeating it. Lookups run in forked worker processes (one per host and
task), so the in-process cache alone is not shared between hosts; the on-disk one is.

A failed read is cached too (for the same time), so 100 hosts with a wrong password make one failed login, not 100
(arrays lock accounts after repeated failures). The key is a digest of everything that decides what a read returns
and who may see it, credentials included, salted with the run's tmp dir name: no credential is ever in a file name or
content. ``SANFLEET_TRUTH_NO_DISK_CACHE=1`` keeps the memory cache only (a diagnostic: it shows that forked workers
do not share it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time

from ansible.errors import AnsibleLookupError

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.validate import is_epoch
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import atomic_write

_MEMO = {}


def run_tmp_dir():
    try:
        from ansible import constants as C
        base = C.DEFAULT_LOCAL_TMP
    except Exception:  # pragma: no cover
        base = None
    return base or tempfile.gettempdir()


def cache_key(kind, options, keys):
    """A digest of the source's kind and the ``keys`` of ``options`` that decide a read and who may see it (so a
    call with another password or user does not get another identity's cached read), salted with the run's tmp
    dir name."""
    material = [run_tmp_dir(), kind] + [options.get(k) for k in keys]
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:32]


def cache_dir():
    path = os.path.join(run_tmp_dir(), "sanfleet-truth")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _read(path, ttl, data_format):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            entry = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != data_format:
        return None
    # a stored_at that is no time (NaN: `age > ttl` is never true) would keep the entry for ever, and one ahead of
    # the clock (written while it ran ahead) until that time: its age is negative, never above ttl
    stored = entry.get("stored_at")
    if not is_epoch(stored) or not 0 <= time.time() - stored <= ttl:
        return None
    return entry


def _open_lock(path):
    """The lock file, 0600 like the data file whatever the umask (its name is a digest of the connection)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "a")


def _unwrap(entry, errors):
    """The read kept in ``entry``, or its failure raised again as the class it was (one of ``errors``, by name)."""
    if "error" in entry:
        cls = next((c for c in errors if c.__name__ == entry.get("error_class")), AnsibleLookupError)
        raise cls(entry["error"])
    return entry["truth"]


def cached_read(key, ttl, data_format, fetch, errors=()):
    """``fetch()``'s result for ``key``, read at most once per ``ttl`` seconds for the whole run (``ttl`` <= 0: no
    cache). ``data_format``: the version of what fetch returns (an entry of another version is read again);
    ``errors``: the AnsibleLookupError subclasses a cached failure is raised again as. Returns (truth, source) where
    source is ``fetched``, ``memory`` or ``disk``."""
    if ttl <= 0:
        return fetch(), "fetched"
    memo = _MEMO.get(key)
    if memo and time.monotonic() - memo[0] <= ttl:
        return _unwrap(memo[1], errors), "memory"

    if os.environ.get("SANFLEET_TRUTH_NO_DISK_CACHE", "").lower() in ("1", "true", "yes"):
        entry = {"truth": fetch()}
        _MEMO[key] = (time.monotonic(), entry)
        return entry["truth"], "fetched"

    path = os.path.join(cache_dir(), key + ".json")
    with _open_lock(path + ".lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            entry = _read(path, ttl, data_format)
            source = "disk"
            if entry is None:
                source = "fetched"
                try:
                    entry = {"truth": fetch()}
                except AnsibleLookupError as exc:
                    entry = {"error": str(exc), "error_class": type(exc).__name__}
                entry.update(format=data_format, stored_at=time.time())
                with contextlib.suppress(OSError):
                    atomic_write(path, json.dumps(entry).encode("utf-8"), mode=0o600)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _MEMO[key] = (time.monotonic(), entry)
    return _unwrap(entry, errors), source


def cache_ttl(options, default, label):
    """The seconds a read of this array is kept (``cache_ttl``; ``default`` when unset): a value that is no whole
    number is this array's read failing, named (never a traceback that loses the other arrays' truth)."""
    value = options.get("cache_ttl")
    if value is None:
        return default
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        return int(value)
    except (TypeError, ValueError):
        raise AnsibleLookupError("%s: cache_ttl must be a number of seconds, got %r" % (label, value))


def clear_memory_cache():
    _MEMO.clear()
