# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The name of a value's type as the user wrote it, for error messages.

ansible-core 2.19+ hands plugins tagged subclasses of the builtin types (a YAML 42 arrives as _AnsibleTaggedInt):
a message naming that class tells the user nothing they typed."""

from __future__ import annotations


def type_name(value):
    """'int' for 42 and for ansible-core's tagged int alike: the first builtin class in the value's MRO."""
    for cls in type(value).__mro__:
        if cls.__module__ == "builtins" and cls is not object:
            return cls.__name__
    return type(value).__name__
