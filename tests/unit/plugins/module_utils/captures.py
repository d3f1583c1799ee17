"""Captured lab fixtures (tests/lab/capture.py), unpacked once per test process and removed when it ends.

A capture is a sysfs tree of ~1,400 files; a test run unpacks a few dozen of them per xdist worker, and the suite
runs several times in one CI job (units, unit, the ansible-core matrix). Left behind, they filled a CI disk.
tests/unit/conftest.py removes them when the session ends, inside the worker: xdist kills a worker whose exit
takes more than 10 s, so an exit handler alone (kept as the fallback of a plain run) left hundreds of MB.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import os
import shutil
import tarfile
import tempfile

_ROOT = []
_UNPACKED = {}


def _root():
    if not _ROOT:
        _ROOT.append((os.getpid(), tempfile.mkdtemp(prefix="sanfleet-captures-")))
        atexit.register(remove_all)
    return _ROOT[0][1]


def remove_all():
    """Remove what this process unpacked (a forked child that inherited the list leaves its parent's alone)."""
    if _ROOT and _ROOT[0][0] == os.getpid():
        shutil.rmtree(_ROOT.pop()[1], ignore_errors=True)
        _UNPACKED.clear()


def unpacked(archive):
    """The folder a capture archive unpacks to (<scenario>/ inside it), or None when the archive is not there.

    Keyed by the file, not by how the path is spelt: a helpers module is imported under two names (from the checkout
    and through the collections tree), each with its own FIXTURES spelling."""
    if not os.path.exists(archive):
        return None
    key = os.path.realpath(archive)
    if key not in _UNPACKED:
        dest = tempfile.mkdtemp(dir=_root())
        with tarfile.open(key) as tar:
            # extraction filters came with 3.12 (and 3.8.17+ as a backport); the module tests run on 3.6 too
            if hasattr(tarfile, "tar_filter"):
                tar.extractall(dest, filter="tar")
            else:
                tar.extractall(dest)
        _UNPACKED[key] = dest
    return _UNPACKED[key]
