# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ONTAP simulator (tests/ontap_sim) answers in NetApp's documented formats, field by field: every field the
collection reads (ontap_records.READS) has a format here, each format holds NetApp's documented values
(tests/unit/fixtures/ontap/<version>/, the 9.8 and 9.17.1 REST API references), and every value the simulator
serves for that field holds it too. A simulator that agrees with the code where ONTAP would not (an NSID in
decimal, a WWPN in another spelling, a LUN id as text) fails here, whatever the readers make of it."""

import re

import pytest

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.ontap_records import READS
from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_description
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.helpers import (
    ONTAP_VERSIONS, documented_answers)

# The documented shapes (the examples and the model tables of the references, docs/ontap.md "Fields read"): a type,
# and for text a pattern the whole value matches. Lists are held element by element.
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TEXT = r"\S(?:.*\S)?"
PATH = r"/vol/[^/]+(?:/[^/]+)+"
# "An FC WWPN consists of 16 hexadecimal digits grouped as 8 pairs separated by colons" (igroups overview); the
# examples are lower case (20:05:00:50:56:bb:a0:e0)
WWPN = r"[0-9a-f]{2}(?::[0-9a-f]{2}){7}"
# "8 hexadecimal digits (zero-filled) followed by a lower case h" (subsystem maps: nsid, anagrpid)
HEX_ID = r"[0-9a-f]{8}h"
NQN = r"nqn\.[0-9]{4}-[0-9]{2}\.[^:\s]+:\S+"
IP = r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9a-fA-F]*:[0-9a-fA-F:.]+"             # "IPv4 or IPv6 address"
# the 9.17.1 reference's ip_service enumeration (9.8's is a subset without data_nvme_tcp and the newer services), and
# management_access, which both references' cluster_mgmt example answers with though no enumeration lists it (the
# readers look for data_iscsi and data_nvme_tcp only: another name is no LIF of theirs)
IP_SERVICES = ("management_access|"
               "cluster_core|intercluster_core|management_core|management_autosupport|management_bgp|management_ems|"
               "management_https|management_http|management_ssh|management_portmap|data_core|data_nfs|data_cifs|"
               "data_flexcache|data_iscsi|data_s3_server|data_dns_server|data_fpolicy_client|management_ntp_client|"
               "management_dns_client|management_ad_client|management_ldap_client|management_nis_client|"
               "management_snmp_server|management_rsh_server|management_telnet_server|management_ntp_server|"
               "data_nvme_tcp|backup_ndmp_control|management_log_forwarding")
OS_TYPES = r"aix|hpux|hyper_v|linux|netware|openvms|solaris|vmware|windows|xen"
FORMATS = {
    ("cluster", "name"): (str, TEXT),
    ("cluster", "uuid"): (str, UUID),
    ("cluster", "version.full"): (str, r"NetApp Release [0-9]+\.[0-9]+\.[0-9]+\S*: .+"),
    ("svm/svms", "name"): (str, TEXT),
    ("svm/svms", "uuid"): (str, UUID),
    ("protocols/san/igroups", "uuid"): (str, UUID),
    ("protocols/san/igroups", "name"): (str, TEXT),
    ("protocols/san/igroups", "svm.name"): (str, TEXT),
    ("protocols/san/igroups", "protocol"): (str, r"fcp|iscsi|mixed"),
    ("protocols/san/igroups", "os_type"): (str, OS_TYPES),
    ("protocols/san/igroups", "initiators.name"): (str, WWPN + r"|iqn\.[0-9]{4}-[0-9]{2}\.\S+|eui\.[0-9a-fA-F]{16}"),
    ("storage/luns", "uuid"): (str, UUID),
    ("storage/luns", "name"): (str, PATH),
    ("storage/luns", "svm.name"): (str, TEXT),
    ("storage/luns", "serial_number"): (str, r".{12}"),                    # minLength 12, maxLength 12
    ("storage/luns", "status.state"): (str, r"foreign_lun_error|nvfail|offline|online|space_error"),
    ("storage/luns", "space.size"): (int, None),
    ("storage/luns", "lun_maps.igroup.uuid"): (str, UUID),
    ("storage/luns", "lun_maps.igroup.name"): (str, TEXT),
    ("storage/luns", "lun_maps.logical_unit_number"): (int, None),
    ("protocols/san/iscsi/services", "svm.name"): (str, TEXT),
    ("protocols/san/iscsi/services", "target.name"): (str, r"iqn\.1992-08\.com\.netapp:sn\.[0-9a-f]{32}:vs\.[0-9]+"),
    ("protocols/san/iscsi/services", "enabled"): (bool, None),
    ("network/ip/interfaces", "name"): (str, TEXT),
    ("network/ip/interfaces", "svm.name"): (str, TEXT),
    ("network/ip/interfaces", "ip.address"): (str, IP),
    ("network/ip/interfaces", "services"): (str, IP_SERVICES),
    ("network/ip/interfaces", "enabled"): (bool, None),
    ("network/ip/interfaces", "state"): (str, r"up|down"),
    ("network/fc/interfaces", "name"): (str, TEXT),
    ("network/fc/interfaces", "svm.name"): (str, TEXT),
    ("network/fc/interfaces", "wwpn"): (str, WWPN),
    ("network/fc/interfaces", "data_protocol"): (str, r"fcp|fc_nvme"),
    ("network/fc/interfaces", "enabled"): (bool, None),
    ("network/fc/interfaces", "state"): (str, r"up|down"),
    ("protocols/nvme/services", "svm.name"): (str, TEXT),
    ("protocols/nvme/services", "enabled"): (bool, None),
    ("protocols/nvme/subsystems", "uuid"): (str, UUID),
    ("protocols/nvme/subsystems", "name"): (str, TEXT),
    ("protocols/nvme/subsystems", "svm.name"): (str, TEXT),
    ("protocols/nvme/subsystems", "os_type"): (str, r"linux|vmware|windows"),
    ("protocols/nvme/subsystems", "target_nqn"): (str, r"nqn\.1992-08\.com\.netapp:sn\.[0-9a-f]{32}:subsystem\.\S+"),
    ("protocols/nvme/subsystems", "serial_number"): (str, r".{20}"),        # minLength 20, maxLength 20
    ("protocols/nvme/subsystems", "hosts.nqn"): (str, NQN),
    ("storage/namespaces", "uuid"): (str, UUID),
    ("storage/namespaces", "name"): (str, PATH),
    ("storage/namespaces", "svm.name"): (str, TEXT),
    ("storage/namespaces", "os_type"): (str, r"linux|vmware|windows"),
    ("storage/namespaces", "status.state"): (str, r"nvfail|offline|online|space_error"),
    ("storage/namespaces", "space.size"): (int, None),
    ("protocols/nvme/subsystem-maps", "svm.name"): (str, TEXT),
    ("protocols/nvme/subsystem-maps", "subsystem.uuid"): (str, UUID),
    ("protocols/nvme/subsystem-maps", "subsystem.name"): (str, TEXT),
    ("protocols/nvme/subsystem-maps", "namespace.uuid"): (str, UUID),
    ("protocols/nvme/subsystem-maps", "namespace.name"): (str, PATH),
    ("protocols/nvme/subsystem-maps", "nsid"): (str, HEX_ID),
    ("protocols/nvme/subsystem-maps", "anagrpid"): (str, HEX_ID),
}
READ_FIELDS = sorted(set((api, field) for api, _query, fields in READS for field in fields.split(",")))

# a cluster with every kind the collection reads: iSCSI and FC igroups, a LUN mapped to both, iSCSI and FCP LIFs,
# NVMe/TCP and NVMe/FC LIFs, a subsystem with a host and a mapped namespace
EVERY_KIND = {
    "cluster": "cl1", "svms": ["svm1"],
    "igroups": [{"name": "ig_iscsi", "initiators": ["iqn.1994-05.com.redhat:h1"]},
                {"name": "ig_fc", "protocol": "fcp", "initiators": ["20:01:00:50:56:bb:70:72"]}],
    "luns": [{"path": "/vol/v1/lun1", "serial": "wf0Iq+N4uck3",
              "maps": [{"igroup": "ig_iscsi", "lun_id": 0}, {"igroup": "ig_fc", "lun_id": 1}]}],
    "targets": {"svm1": {"addresses": ["192.0.2.10"], "fc_wwpns": ["20:04:00:50:56:bb:a0:e0"]}},
    "nvme": {"svm1": {"addresses": ["192.0.2.20"], "fc_wwpns": ["20:05:00:50:56:bb:a0:e0"],
                      "subsystems": [{"name": "sub1", "hosts": ["nqn.2014-08.org.nvmexpress:uuid:"
                                                                "11111111-2222-3333-4444-555555555555"],
                                      "namespaces": [{"path": "/vol/nv1/ns1", "nsid": 26}]}]}},
}


def values(obj, dotted):
    found = [obj]
    for part in dotted.split("."):
        found = [item[part] for value in found for item in (value if isinstance(value, list) else [value])
                 if isinstance(item, dict) and part in item]
    return [v for value in found for v in (value if isinstance(value, list) else [value])]


def off_format(api, field, value):
    kind, pattern = FORMATS[(api, field)]
    if type(value) is not kind:           # not isinstance: True is no LUN id, 1 is no "enabled"
        return "%s, not %s" % (type(value).__name__, kind.__name__)
    if pattern is not None and not re.fullmatch(pattern, value):
        return "%r does not match %s" % (value, pattern)
    return None


def test_every_field_the_collection_reads_has_a_documented_format():
    """A field read from ONTAP without a format here would go unchecked on the simulator."""
    assert sorted(set(READ_FIELDS) - set(FORMATS)) == [] and sorted(set(FORMATS) - set(READ_FIELDS)) == []


@pytest.mark.parametrize("version", ONTAP_VERSIONS)
def test_the_formats_hold_netapps_documented_values(version):
    """The formats are NetApp's, not ours: every documented value of every field read matches its format."""
    answers = documented_answers(version)
    wrong = [(api, field, value, off_format(api, field, value)) for api, field in READ_FIELDS
             for rec in answers[api].get("records", [answers[api]]) for value in values(rec, field)
             if off_format(api, field, value)]
    assert wrong == []


def test_every_simulator_answer_is_in_netapps_documented_formats(tmp_path):
    """What the simulator serves for each field the collection reads, through the same requests: present, and in the
    documented format (NSIDs as 0000001ah, WWPNs as 20:05:00:50:56:bb:a0:e0, LUN ids as numbers, ...)."""
    with OntapSimulator(from_description(EVERY_KIND), str(tmp_path)) as sim:
        client = ontap.OntapClient(sim.options(), "t")
        wrong, absent = [], []
        for api, query, fields in READS:
            params = dict(query or {}, fields=fields)
            records = [client.get_one(api, params)[1]] if api == "cluster" else client.get_all(api, params)
            for field in fields.split(","):
                served = [v for rec in records for v in values(rec, field)]
                if not served:
                    absent.append((api, field))
                wrong.extend((api, field, v, off_format(api, field, v)) for v in served if off_format(api, field, v))
    assert absent == [] and wrong == []


def test_the_check_fails_on_a_simulator_answer_ontap_would_not_give():
    """The check can fail: an NSID in decimal, a WWPN without colons, a LUN id as text or a bool are off format."""
    assert off_format("protocols/nvme/subsystem-maps", "nsid", "26")
    assert off_format("network/fc/interfaces", "wwpn", "2005005056bba0e0")
    assert off_format("storage/luns", "lun_maps.logical_unit_number", "0")
    assert off_format("storage/luns", "lun_maps.logical_unit_number", False)
    assert off_format("protocols/nvme/subsystem-maps", "nsid", "0000001ah") is None
