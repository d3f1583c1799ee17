# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection, paging and cache options shared by the ONTAP lookups (plugin_utils/ontap.py reads them).
    DOCUMENTATION = r"""
options:
  hostname:
    description: Cluster management address (name or IP).
    type: str
    required: true
    env:
      - name: ONTAP_HOSTNAME
    vars:
      - name: ontap_hostname
  username:
    description: ONTAP user (basic authentication). Needs read access to the endpoints above.
    type: str
    aliases: [user]
    env:
      - name: ONTAP_USERNAME
    vars:
      - name: ontap_username
  password:
    description: Password of O(username). Never echoed in results, errors or cache file names.
    type: str
    aliases: [pass]
    env:
      - name: ONTAP_PASSWORD
    vars:
      - name: ontap_password
  password_file:
    description:
      - File holding the password of O(username) (one trailing newline is ignored), read when no O(password) is
        given. The file is where the secret rests; unlike C(ONTAP_PASSWORD), no environment, extra var or
        ansible-runner artifact (C(artifacts/<id>/command) holds the whole environment) then holds the password.
      - A file that cannot be read, or an empty one, is a cluster that could not be read, named by the file's path.
    type: path
    version_added: 0.1.0
    env:
      - name: ONTAP_PASSWORD_FILE
    vars:
      - name: ontap_password_file
  cert_filepath:
    description: Client certificate (PEM) for certificate authentication; takes precedence over the password.
    type: path
    vars:
      - name: ontap_cert_filepath
  key_filepath:
    description: Private key (PEM) of O(cert_filepath).
    type: path
    vars:
      - name: ontap_key_filepath
  validate_certs:
    description:
      - Verify the cluster's TLS certificate. Keep it on; use O(ca_path) for a private CA.
      - A boolean or a word Ansible reads as one (C(yes), C(no), C(true), C(false), C(1), C(0)); any other word (a
        typo such as C(ture)) is refused, never read as false.
    type: raw
    default: true
    env:
      - name: ONTAP_VALIDATE_CERTS
    vars:
      - name: ontap_validate_certs
  ca_path:
    description:
      - CA bundle (PEM) to verify the cluster's certificate with, instead of the system store.
      - C(REQUESTS_CA_BUNDLE) in the environment works too.
    type: path
    env:
      - name: ONTAP_CA_PATH
    vars:
      - name: ontap_ca_path
  http_port:
    description: HTTPS port, when not 443.
    type: int
    vars:
      - name: ontap_http_port
  svm:
    description: Only this SVM (the lookup fails when the cluster has no SVM of that name).
    type: str
    vars:
      - name: ontap_svm
  page_size:
    description: C(max_records) per request. Unset means ONTAP's default (10,000).
    type: int
  max_pages:
    description: Guard against endless paging; the lookup fails after this many pages of one collection.
    type: int
    default: 1000
  timeout:
    description:
      - Seconds each try of an HTTP request may take. A busy cluster's answer (HTTP 503, 429) or a connection reset is
        tried again only if the next try starts within this many seconds of the first, so one request ends within
        twice this.
    type: int
    default: 60
  cache_ttl:
    description:
      - Seconds a cluster read is reused within the run (memory and a file under the controller's per-run tmp
        dir, which ansible removes at the end of the run). A failed read is reused too, so a wrong password
        costs one failed login, not one per host. V(0) reads the cluster on every call.
    type: int
    default: 300
    env:
      - name: SANFLEET_ONTAP_CACHE_TTL
    vars:
      - name: ontap_cache_ttl
"""
