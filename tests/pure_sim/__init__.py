# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST ONLY. A FlashArray's REST 2.x over HTTPS for the playbook tests: the fake array of the unit tests
(tests/unit/plugins/plugin_utils/pure_fake.py, which answers with the fixtures Pure's own material is cited for in
fixtures/pure/SOURCES.md) behind a local HTTPS server with a CA of its own (tests/ontap_sim/certs.py).

    with PureSimulator(str(tmp_path)) as sim:
        sim.entry() -> one sanfleet_pure entry (hostname, api_token, ca_path); sim.fake.requests
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


class PureSimulator(HttpsSimulator):
    """Context manager: the fake FlashArray on 127.0.0.1 over HTTPS, its certificate signed by a fresh CA."""

    def __init__(self, workdir):
        self.fake = FakeArray()
        self.lock = threading.Lock()
        self.ca = CA(workdir, name="sanfleet pure test CA")
        self.cert_path, self.key_path = self.ca.issue("127.0.0.1")
        self._server = self._thread = None
        self.handler = _Handler

    def entry(self, **extra):
        """One sanfleet_pure entry for this array."""
        return dict({"hostname": "127.0.0.1:%d" % self.port, "api_token": API_TOKEN, "ca_path": self.ca.path}, **extra)
