# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders shared by the unit tests (no tests here): test modules import them from here, never from one
another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


QUEUEING = ["mpath%s" % c for c in "abcdefgh"]
