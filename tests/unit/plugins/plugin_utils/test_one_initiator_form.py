# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One initiator normal form on the controller and the host (issue 30): the inputs on which the old copies
disagreed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import identity as san_identity
from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap


@pytest.mark.parametrize("spelling", ["50:0A:09:81:00:00:00:01", "0x500a098100000001", "50-0a-09-81-00-00-00-01",
                                      "500A098100000001"])
def test_the_controller_and_the_host_key_an_initiator_alike(spelling):
    """ONTAP's aa:bb:... was the controller's key, bare hex the host's."""
    assert ontap.normalize_initiator(spelling) == san_identity.normalize_initiator(spelling) == "500a098100000001"
    # what the truth shows keeps ONTAP's spelling
    assert ontap.ontap_wwpn(spelling) == "50:0a:09:81:00:00:00:01"


def test_an_iqn_keys_alike_on_both_sides():
    iqn = " IQN.2024-01.lab.san:Initiator "
    assert ontap.normalize_initiator(iqn) == san_identity.normalize_initiator(iqn) == "iqn.2024-01.lab.san:initiator"
    assert ontap.ontap_wwpn(iqn) == "iqn.2024-01.lab.san:initiator"
