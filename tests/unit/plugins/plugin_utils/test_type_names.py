# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.type_names import type_name


class _TaggedInt(int):
    """Stands for ansible-core 2.19+'s _AnsibleTaggedInt: a subclass defined outside builtins."""


class _TaggedStr(str):
    pass


class _Own(object):
    pass


@pytest.mark.parametrize("value, name", [(_TaggedInt(42), "int"), (_TaggedStr("x"), "str"), (True, "bool"),
                                         ([], "list"), ({}, "dict"), (None, "NoneType"), (_Own(), "_Own")])
def test_a_message_names_the_type_the_user_wrote(value, name):
    """Fails when an error message would name an internal subclass instead of the builtin type."""
    assert type_name(value) == name
