# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a FlashArray could not be read, in its own words (its REST 2.x API, its API token, sanfleet_pure), from a
problem's message. The FlashArray source declares these (PureSource.read_causes); the reports explain its problems
with them (report_findings.array_problem)."""

from __future__ import annotations

import re

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.pure_records import (
    NVME_NQNS_UNCLEAR,
    NVME_PART_UNUSABLE,
)

# (cause, pattern, what it means, what to do); the first match wins. The NVMe part's problem is recognised by the
# very text the source gives it (NVME_NQNS_UNCLEAR), not by a pattern written again here.
_CONFIG = ("The FlashArray entry cannot be used as given.",
           "Fix sanfleet_pure (docs/ontap.md, Pure Storage FlashArray) as the message says.")
READ_CAUSES = (
    ("nvme_nqns_unclear", re.escape(NVME_NQNS_UNCLEAR),
     "The FlashArray's ports give more than one NVMe Qualified Name: which subsystem serves a namespace is not "
     "known, so the host's NVMe-oF devices are not judged against it, and none of them is removed on its word.",
     "Nothing to do for the SCSI devices, which were judged; report the NQNs the message names (docs/ontap.md)."),
    ("nvme_part_unusable", re.escape(NVME_PART_UNUSABLE),
     "The FlashArray was read, but its NVMe connections cannot be made records (the message says why): the host's "
     "NVMe-oF devices are not judged against it, and none of them is removed on its word.",
     "Nothing to do for the SCSI devices, which were judged; report the message to the collection's maintainers."),
    ("auth", r"HTTP 401\b",
     "The FlashArray refused the API token: it is wrong or expired, or its user was removed.",
     "Give the API token of an array user with the read-only role (sanfleet_pure api_token or api_token_file, or "
     "PUREFA_API_FILE)."),
    ("forbidden", r"HTTP 403\b",
     "The FlashArray accepted the token but its user may not read this API.",
     "Use the API token of a user with the read-only role or above (docs/ontap.md, Pure Storage FlashArray)."),
    ("unavailable", r"HTTP 5\d\d\b|Server is busy",
     "The FlashArray answered with a server error or said it is busy.",
     "Run again when the array is healthy; nothing was judged against it in this run."),
    # before tls, whose "No such file" is a CA file's: the API token file named in the entry cannot be read or is empty
    ("config", r"cannot read the API token file|the API token file .+ is empty", *_CONFIG),
    ("tls", r"CERTIFICATE_VERIFY_FAILED|SSLError|certificate verify failed|SSL: |X509|ca_path|No such file",
     "The TLS connection failed: the array's certificate is not signed by a CA the controller trusts, or the CA "
     "file given is empty or missing.",
     "Give ca_path in sanfleet_pure (the CA that signed the array's certificate) or leave it out for the system "
     "trust store."),
    ("unreachable", r"Name or service not known|getaddrinfo|Connection refused|Errno 111|timed out|Timeout",
     "The FlashArray's management address does not resolve, accept connections or answer in time.",
     "Check hostname in sanfleet_pure (the management address) and that the controller reaches it on HTTPS."),
    ("config", r"sanfleet_pure|PUREFA_|give api_token|give hostname|only HTTPS|REST 2|api_token holds",
     *_CONFIG),
)
UNREAD = "The FlashArray could not be read."

# What a problem kind means from a FlashArray (report_findings; ONTAP's in ontap_causes.KIND_MEANINGS)
KIND_MEANINGS = {
    "dropped_mapping": ("A connection names a host, host group or volume the FlashArray's other answers did not hold "
                        "(it changed between two requests): the records may be incomplete.",
                        "Run again; it is transient."),
    "unexpected_format": ("The FlashArray answered a field in a form the collection does not read (the message "
                          "names it: an NVMe connection without its nsid, from Purity before 6.6 or a REST API before "
                          "2.27, or an NSID that is no number): nothing of that family is judged against this array.",
                          "For NVMe connections without an nsid, upgrade Purity to 6.6 or later; otherwise report the "
                          "value and the Purity version to the collection's maintainers. Until then nothing of that "
                          "family is removed on this array's word."),
}
