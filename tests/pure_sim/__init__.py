# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST ONLY. A FlashArray's REST 2.x over HTTPS for the playbook tests: the fake array of the unit tests
(tests/unit/plugins/plugin_utils/pure_fake.py, which answers with the fixtures Pure's own material is cited for in
fixtures/pure/SOURCES.md) behind a local HTTPS server with a CA of its own (tests/ontap_sim/certs.py).

    with PureSimulator(str(tmp_path)) as sim:
        sim.entry() -> one sanfleet_pure entry (hostname, api_token, ca_path); sim.fake.requests

With ``answers=from_lab_truth(lab.agent("target2_truth"))`` it serves the lab's second target set up as a
FlashArray (tests/lab/guest/sanlab_agent.py, vendor="pure") instead of the fixtures: each of its volumes, a
connection for each volume mapped to the lab host, and the target's portals as the array's iSCSI ports. The
fields and their forms are those of the fixtures (cited there); only the values come from the lab.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from urllib.error import HTTPError

from ansible_collections.sanfleet.remediation.tests.ontap_sim.certs import CA
from ansible_collections.sanfleet.remediation.tests.ontap_sim.server import HttpsSimulator
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.pure_fake import API_TOKEN, FakeArray


class _Handler(BaseHTTPRequestHandler):
    def _answer(self, method):
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        url = "https://127.0.0.1:%d%s" % (sim.port, self.path)
        try:
            with sim.lock:
                # HTTP header names are case-insensitive: the fake looks them up in lower case
                response = sim.fake(url, method=method, headers=dict((k.lower(), v) for k, v in self.headers.items()))
            status, headers, body = response.status, response.headers, response.read()
        except HTTPError as exc:
            status, headers, body = exc.code, exc.headers, exc.read()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802  (http.server's names)
        self._answer("GET")

    def do_POST(self):  # noqa: N802
        self._answer("POST")

    def log_message(self, *args):
        pass


def _collection(items):
    return {"continuation_token": None, "items": items, "more_items_remaining": False, "total_item_count": None}


def from_lab_truth(target, nvme=None):
    """The FlashArray answers for the lab's target2 built as one (`target2_truth` of the guest agent; None: no
    iSCSI), and, with ``nvme`` (`nvme_truth` after `nvme_setup` with vendor="pure"), for its NVMe/TCP namespaces too: a host object with
    the lab host's NQNs alone (as the NVMe hosts of Pure's exporter capture are), a volume per namespace with its
    serial, a connection with its NSID per mapped one, and an NVMe port per LIF the array still has, carrying the
    subsystem's NQN."""
    for given, what in ((target, "target2"), (nvme, "the NVMe target")):
        if given is not None and given.get("vendor") != "pure":
            raise ValueError("%s does not answer as a FlashArray (vendor %r)" % (what, given.get("vendor")))
    if target is None and nvme is None:
        raise ValueError("no lab target answers as a FlashArray")
    array = (target or nvme)["array"]
    target = target or {"volumes": [], "portals": []}
    volumes = [{"id": "5a1ab0e2-0000-4000-8000-%012d" % v["lun_id"], "name": "vol-" + v["name"], "serial": v["serial"],
                "provisioned": v["size_bytes"], "destroyed": False} for v in target["volumes"]]
    by_name = dict((v["name"], vol) for v, vol in zip(target["volumes"], volumes))
    connections = [{"host": {"name": array["host"]}, "host_group": {}, "lun": v["lun_id"], "nsid": None,
                    "protocol_endpoint": {}, "volume": {"id": by_name[v["name"]]["id"], "name": by_name[v["name"]]["name"]}}
                   for v in target["volumes"] if v["mapped"]]
    ports = [{"name": "ct%d.eth4" % i, "iqn": target["target_iqn"], "nqn": None, "portal": portal, "wwn": None,
              "failover": None} for i, portal in enumerate(target["portals"])]
    hosts = [{"name": array["host"], "iqns": [target["initiator_iqn"]], "wwns": [], "nqns": [], "host_group": None,
              "personality": None}] if target["volumes"] else []
    if nvme is not None:
        _add_lab_nvme(nvme, array["host"] + "-nvme", hosts, volumes, connections, ports)
    return {
        "arrays": _collection([{"id": "6b1a7ce3-da61-0d86-65a7-5a1ab0000002", "name": array["array"]}]),
        "hosts": _collection(hosts),
        "host-groups": _collection([]),
        "volumes": _collection(volumes),
        "connections": _collection(connections),
        "ports": _collection(ports),
    }


def _add_lab_nvme(nvme, host, hosts, volumes, connections, ports):
    if any(not ns.get("serial") for ns in nvme["namespaces"]):
        raise ValueError("the lab's NVMe namespaces have no FlashArray identity (nvme_setup vendor='pure')")
    hosts.append({"name": host, "iqns": [], "wwns": [], "nqns": list(nvme["host_nqns"]), "host_group": None,
                  "personality": None})
    for ns in nvme["namespaces"]:
        volume = {"id": "5a1ab0e2-0000-4000-8001-%012d" % ns["nsid"], "name": ns["name"], "serial": ns["serial"],
                  "provisioned": ns["size_bytes"], "destroyed": False}
        volumes.append(volume)
        if ns["mapped"]:
            connections.append({"host": {"name": host}, "host_group": {}, "lun": None, "nsid": ns["nsid"],
                                "protocol_endpoint": {}, "volume": {"id": volume["id"], "name": volume["name"]}})
    ports.extend({"name": "ct%d.eth14" % i, "iqn": None, "nqn": nvme["subsystem_nqn"], "portal": "%s:4420" % lif["address"],
                  "wwn": None, "failover": None} for i, lif in enumerate(nvme["lifs"]) if not lif["deleted"])


class PureSimulator(HttpsSimulator):
    """Context manager: the fake FlashArray on 127.0.0.1 over HTTPS, its certificate signed by a fresh CA; it
    answers with the fixtures, or with ``answers`` ({collection: body}, e.g. from_lab_truth)."""

    def __init__(self, workdir, answers=None):
        self.fake = FakeArray()
        if answers is not None:
            self.fake.answers = answers
        self.lock = threading.Lock()
        self.ca = CA(workdir, name="sanfleet pure test CA")
        self.cert_path, self.key_path = self.ca.issue("127.0.0.1")
        self._server = self._thread = None
        self.handler = _Handler

    def entry(self, **extra):
        """One sanfleet_pure entry for this array."""
        return dict({"hostname": "127.0.0.1:%d" % self.port, "api_token": API_TOKEN, "ca_path": self.ca.path}, **extra)
