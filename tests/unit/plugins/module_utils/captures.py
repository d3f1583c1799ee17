"""Captured lab fixtures (tests/lab/capture.py), unpacked once per test process and removed when it ends.

A capture is a sysfs tree of ~1,400 files; a test run unpacks a few dozen of them per xdist worker, and the suite
runs several times in one CI job (units, unit, the ansible-core matrix). Left behind, they filled a CI disk.
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
        root = tempfile.mkdtemp(prefix="sanfleet-captures-")
        # The process that made the folder removes it; an xdist worker forked off the parent keeps its own.
        owner = os.getpid()
        atexit.register(lambda: os.getpid() == owner and shutil.rmtree(root, ignore_errors=True))
        _ROOT.append(root)
    return _ROOT[0]


def unpacked(archive):
    """The folder a capture archive unpacks to (<scenario>/ inside it), or None when the archive is not there."""
    if archive not in _UNPACKED:
        if not os.path.exists(archive):
            return None
        dest = tempfile.mkdtemp(dir=_root())
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="tar")
        _UNPACKED[archive] = dest
    return _UNPACKED[archive]
