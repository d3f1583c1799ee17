# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why an ONTAP cluster could not be read, in ONTAP's words, from a problem's message (the lookups keep only the
message: it is what their run-wide cache stores). The ONTAP source declares these (OntapSource.read_causes); the
reports explain its problems with them (report_findings.array_problem)."""

from __future__ import annotations

# (cause, pattern, what it means, what to do); the first match wins
_CONFIG = ("The cluster entry cannot be used as given.",
           "Fix sanfleet_ontap (docs/ontap.md) or install what the message names.")
READ_CAUSES = (
    ("auth", r"HTTP 401\b",
     "ONTAP refused the login: the user name or password (or client certificate) is wrong, or the account is "
     "locked or has no http/ontapi access.",
     "Fix the credential of this cluster (sanfleet_ontap or the AWX ONTAP credential) and check the account with "
     "'security login show'. The run logs in once per cluster, so a wrong password does not lock the account."),
    ("forbidden", r"HTTP 403\b",
     "ONTAP accepted the login but the account's role may not read this API.",
     "Give the account a read-only role on the cluster (or the SVM) that covers /api/storage/luns and "
     "/api/protocols/san (docs/ontap.md)."),
    ("not_found", r"HTTP 404\b",
     "The address answers, but not with ONTAP's REST API (ONTAP 9.6 or later), or the SVM does not exist.",
     "Check hostname and http_port: they must name the cluster management LIF, not a node or a proxy."),
    ("unavailable", r"HTTP 5\d\d\b",
     "ONTAP answered with a server error: its API service is unavailable (starting, overloaded, a takeover) or a "
     "proxy in between failed.",
     "Run again when the cluster is healthy ('cluster show', 'system services web show'); nothing was judged "
     "against the array in this run."),
    # before tls, whose "No such file" is a CA file's: the password file named in the entry cannot be read or is empty
    ("config", r"cannot read the password file|the password file .+ is empty", *_CONFIG),
    ("tls", r"CERTIFICATE_VERIFY_FAILED|SSLError|certificate verify failed|SSL: |X509|ca_path|No such file",
     "The TLS connection failed: the cluster's certificate is not signed by a CA the controller trusts, or the CA "
     "file given is empty or missing.",
     "Give ca_path (the CA that signed the cluster's certificate) or leave it out for the system trust store; in "
     "AWX leave the credential's CA field blank rather than pasting an empty certificate."),
    ("dns", r"Name or service not known|NameResolutionError|nodename nor servname|getaddrinfo|Temporary failure in "
            r"name resolution",
     "The cluster's hostname does not resolve on the controller.",
     "Fix hostname in sanfleet_ontap (the cluster management LIF's name or address) or the controller's DNS."),
    ("refused", r"Connection refused|Errno 111|NewConnectionError",
     "Nothing accepts connections at that address and port: a wrong hostname or http_port, a firewall, or the "
     "cluster management LIF is down.",
     "Check hostname and http_port, and that the controller (or the AWX execution node) reaches the cluster "
     "management LIF on HTTPS."),
    ("timeout", r"timed out|Timeout|ConnectTimeout|ReadTimeout",
     "The cluster did not answer in time.",
     "Check the network path to the cluster management LIF; raise timeout in sanfleet_ontap for a slow cluster."),
    ("not_ontap", r"no records list|not ONTAP|carries no cluster name|_links.next",
     "The answer was not ONTAP's (a proxy's page, an empty answer, a broken paging link).",
     "Point hostname at the cluster management LIF directly; see the message for the request that failed."),
    ("config", r"sanfleet_ontap|hostname is required|give username and password|netapp.ontap",
     *_CONFIG),
)
UNREAD = "The cluster could not be read."

# What a problem kind means from an ONTAP cluster (report_findings; each source declares its own)
KIND_MEANINGS = {
    "dropped_mapping": ("A LUN map names an igroup the igroups answer did not hold (the mapping changed between two "
                        "requests).", "Run again; it is transient."),
    "unexpected_format": ("ONTAP answered a field in a form its REST API reference does not document (the message "
                          "names it): the collection does not guess what it means, so no device of that family is "
                          "judged against this cluster.",
                          "Report the value and the ONTAP version to the collection's maintainers; until then nothing "
                          "of that family is removed on this cluster's word."),
}
