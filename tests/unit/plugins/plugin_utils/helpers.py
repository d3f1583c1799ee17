# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


QUEUEING = ["mpath%s" % c for c in "abcdefgh"]


def nvme_result(root, setup=None, paths=2, **ctrl):
    """nvme_conf's result (judge.nvme_audit.audit of the real reader) of a host tree written under `root`: an
    NVMe/TCP host of one ONTAP subsystem over `paths` controllers (SanTree.ontap_nvme_tcp, observe/helpers.py; the
    controllers with `ctrl`), then setup(tree); paths=0: no NVMe but what setup writes."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import nvme_audit
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import nvme
    from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import SanTree
    tree = SanTree(root)
    if paths:
        tree.ontap_nvme_tcp(paths=paths, **ctrl)
    if setup:
        setup(tree)
    return dict(nvme_audit.audit(nvme.read_nvme_fabrics(tree.root)), changed=False, errors=[])
