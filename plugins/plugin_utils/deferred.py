# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters whose code is imported on their first call, not when their file is loaded.

Ansible forks a worker per task and host, and a worker that resolves any filter of this collection loads the
collection's filter files one after another until it finds the name: with their imports at the top, a task that
only names report_dir imported the whole report and compliance code, about 0.2 s of a worker's CPU at every task and
host (issue 41's controller profile). The import is Python's own, cached in sys.modules for the rest of the worker."""

from __future__ import annotations

import importlib

PLUGIN_UTILS = "ansible_collections.sanfleet.remediation.plugins.plugin_utils."


def deferred(module, name):
    """The function `name` of plugin_utils/`module`, imported when it is first called."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(PLUGIN_UTILS + module), name)(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = "%s of plugin_utils/%s.py, imported on the first call." % (name, module)
    return call


def load_now(module):
    """Import plugin_utils/`module` in this process now (filter play_hosts: in the main process, before the workers
    fork, so that they inherit it compiled instead of each compiling it again)."""
    importlib.import_module(PLUGIN_UTILS + module)
