#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iscsid_conf
short_description: Manage iscsid.conf keys and the existing iSCSI node records (manual LUN scan by default)
version_added: 0.1.0
description:
  - Sets C(key = value) lines in C(/etc/iscsi/iscsid.conf), keeping comments and every other byte. A key that
    is only present as a commented default (C(#node.session.scan = manual)) is activated in place. A key
    set on several lines keeps one active line (the last, which iscsid reads); the others are commented
    out. Lines iscsid skips (C(key=value) without spaces, a last line without a newline) are rewritten as
    C(key = value); a trailing C(# note) moves to a comment line above the setting.
  - Everything is validated and C(iscsiadm) is probed (node records read) before the file is written; a
    run that wrote the file reports C(changed=true) even when a later record update fails.
  - C(iscsid.conf) only seeds node records created later (discovery). With O(update_node_records=true) the
    module also runs C(iscsiadm -m node -T <target> -p <portal> -o update) for every existing record whose
    value differs, for every C(node.*) key of O(keys).
  - A running session keeps the scan mode it logged in with; RV(sessions_pending_relogin) lists the sessions
    whose record this run changed. The module never logs a session out.
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  path:
    description: The iscsid configuration file.
    type: path
    default: /etc/iscsi/iscsid.conf
  keys:
    description:
      - Keys and values to set, each written as one C(key = value) line that iscsid reads.
      - Values are checked against what open-iscsi accepts before anything is read or written.
        Enumerated keys (C(node.session.scan) manual/auto, C(node.startup), C(*.authmethod), Yes/No keys,
        digests) take one of their values, integer keys an integer from 0 to 2147483647, other keys a
        non-empty string of at most 255 bytes without control characters, C(#) or shell metacharacters.
        Lists, dicts and floats are refused.
      - The default makes sessions scan only the LUNs asked for (no automatic scan at login and on
        REPORT LUNS DATA HAS CHANGED), so a LUN unmapped and remapped on the array does not appear unasked.
    type: dict
    default: {node.session.scan: manual}
  update_node_records:
    description: Also update the existing node records (C(node.*) keys only).
    type: bool
    default: true
  create:
    description: Create the file when it does not exist.
    type: bool
    default: true
  backup:
    description: Keep a timestamped copy of the file before changing it.
    type: bool
    default: false
  command_timeout:
    description: Deadline in seconds for each C(iscsiadm) call and for the write (and fsync) of O(path) (a positive number).
    default: 20
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sanfleet.remediation.deadlines
attributes:
  check_mode:
    support: full
    description: Reports the file diff and the record updates it would make; changes nothing.
  diff_mode:
    support: full
    description: Returns the file before and after; values of password keys are masked.
  platform:
    support: full
    platforms: posix
notes:
  - Values of keys whose name contains C(password) or C(secret) are masked in the diff and in RV(record_changes).
  - open-iscsi 2.1.10 to 2.1.13 hang at login with C(node.session.scan = manual) in some setups
    (open-iscsi/open-iscsi#484, fixed by PR #485); check the installed version before rolling this out.
"""

EXAMPLES = r"""
- name: Manual LUN scan in iscsid.conf and in every node record
  sanfleet.remediation.iscsid_conf:
  register: scan

- name: Show sessions that keep automatic scan until their next login
  ansible.builtin.debug:
    var: scan.sessions_pending_relogin

- name: Also shorten the replacement timeout, file only
  sanfleet.remediation.iscsid_conf:
    keys:
      node.session.scan: manual
      node.session.timeo.replacement_timeout: "20"
    update_node_records: false
    backup: true
"""

RETURN = r"""
file_changes:
  description: Per key, what happened in the file (unchanged, modified, activated, added).
  returned: always
  type: dict
  sample: {node.session.scan: modified}
record_changes:
  description:
    - Node record updates made (or that would be made in check mode), one per target portal and key.
    - A target portal reached through several ifaces has one record per iface; the update is made when any of them
      differs, and C(before) then names each iface's value, for example C(iface0=auto) and C(iface1=manual)
      joined by a comma.
  returned: always
  type: list
  elements: dict
  sample: [{target: iqn.2024-01.lab.san:target1, portal: "127.0.0.1:3260", key: node.session.scan, before: auto, after: manual}]
records:
  description: Every node record seen, with the values of the requested node keys after the run.
  returned: always
  type: list
  elements: dict
  sample: [{target: iqn.2024-01.lab.san:target1, portal: "127.0.0.1:3260", tpgt: "1", values: {node.session.scan: manual},
            ifaces: [default]}]
sessions:
  description: The running sessions (C(iscsiadm -m session)).
  returned: always
  type: list
  elements: dict
  sample: [{sid: 5, target: iqn.2024-01.lab.san:target1, portal: "127.0.0.1:3260", tpgt: "1"}]
sessions_pending_relogin:
  description:
    - Sessions whose record this run changed; they keep the old behaviour (automatic scan) until they log in
      again. Logging out is left to the operator.
  returned: always
  type: list
  elements: dict
backup_file:
  description: The backup made before writing.
  returned: when backup is true and the file changed
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.iscsi_nodes import update_record
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import kv_config
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module as skeleton
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import diff, missing_directory, read_text
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.iscsiadm import Iscsiadm, IscsiadmFailed


def masked(key, value):
    return "********" if kv_config.is_secret(key) and value not in (None, "", "<empty>") else value


def validated_keys(module):
    """Every key and value checked against what iscsid reads, before anything is read or written."""
    keys = {}
    # `keys` cannot be no_log as a whole; its secret values are, wherever the arguments are echoed (invocation)
    module.no_log_values.update(str(value) for key, value in (module.params["keys"] or {}).items()
                                if kv_config.is_secret(key) and value not in (None, ""))
    for key, value in (module.params["keys"] or {}).items():
        try:
            keys[key] = kv_config.validate_value(key, value)
        except kv_config.ParseError as exc:
            module.fail_json(msg="keys: %s" % exc)
    skeleton.check_seconds(module, ("command_timeout",))
    return keys


def read_file(module, path):
    """(text, existed), or a refusal that says what is missing."""
    directory = missing_directory(path)
    if directory:
        module.fail_json(msg="%s: the directory %s does not exist (is open-iscsi installed?); nothing was "
                             "written" % (path, directory))
    if os.path.isdir(path):
        module.fail_json(msg="%s is a directory, not an iscsid.conf file" % path)
    try:
        text, existed = read_text(path)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, exc))
    if not existed and not module.params["create"]:
        module.fail_json(msg="%s does not exist and create is false" % path)
    return text, existed


def plan_records(adm, node_keys, result):
    """Read every node record; the updates needed, as [(target, portal, key, value)] (reads only)."""
    updates = []
    for rec in adm.nodes():
        per_iface = kv_config.parse_records(adm.records_text(rec["target"], rec["portal"]))
        after = {}
        for key, value in node_keys.items():
            befores = [values.get(key) for values in per_iface]
            # every iface's record must carry the value: the update (no -I) writes them all
            if any(before is None or before != value for before in befores):
                result["record_changes"].append({"target": rec["target"], "portal": rec["portal"], "key": key,
                                                 "before": _before(key, per_iface), "after": masked(key, value)})
                updates.append((rec["target"], rec["portal"], key, value))
            after[key] = masked(key, value)
        result["records"].append(dict(rec, values=after,
                                      ifaces=[values.get("iface.iscsi_ifacename") for values in per_iface]))
    return updates


def _before(key, per_iface):
    """The value before, or per iface when the records differ ("iface0: auto, iface1: manual")."""
    befores = [values.get(key) for values in per_iface]
    if len(set(befores)) <= 1:
        return masked(key, befores[0] if befores else None)
    return ", ".join("%s: %s" % (values.get("iface.iscsi_ifacename") or "?", masked(key, values.get(key)))
                     for values in per_iface)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/iscsi/iscsid.conf"),
            keys=dict(type="dict", default={"node.session.scan": "manual"}, no_log=False),
            update_node_records=dict(type="bool", default=True),
            create=dict(type="bool", default=True),
            backup=dict(type="bool", default=False),
            **skeleton.deadline_options(command_timeout=20.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    keys = validated_keys(module)
    path = p["path"]
    result = dict(changed=False, path=path, file_changes={}, record_changes=[], records=[], sessions=[],
                  sessions_pending_relogin=[])

    # 1. plan: the file edit and the record updates, reading only -------------------------------------
    old_text, existed = read_file(module, path)
    doc = kv_config.parse(old_text)
    for key, value in keys.items():
        result["file_changes"][key] = doc.set(key, value)
    new_text = doc.render()
    file_changed = new_text != old_text or not existed
    if module._diff:
        result["diff"] = diff(kv_config.mask_secrets(old_text), kv_config.mask_secrets(new_text), path, existed)
    node_keys = dict((k, v) for k, v in keys.items() if k.startswith("node."))
    adm = None
    updates = []
    try:
        if p["update_node_records"] and node_keys:
            binary = module.get_bin_path("iscsiadm")
            if not binary:
                module.fail_json(msg="iscsiadm was not found (is open-iscsi installed?); nothing was written",
                                 **result)
            adm = Iscsiadm(binary, p["command_timeout"])
            updates = plan_records(adm, node_keys, result)
    except IscsiadmFailed as exc:
        module.fail_json(msg="%s; nothing was written" % exc, **dict(result, **exc.details))

    # 2. act: the file, then the records -------------------------------------------------------------
    if file_changed:
        result["changed"] = True
        if not module.check_mode:
            result["backup_file"] = skeleton.write_config(module, path, new_text, result,
                                                          mode=0o600 if not existed else None)
    changed_records = set()
    try:
        for target, portal, key, value in updates:
            changed_records.add((target, portal))
            result["changed"] = True
            if not module.check_mode:
                update_record(adm, target, portal, key, value)
        if adm is not None:
            result["sessions"] = adm.sessions()
    except IscsiadmFailed as exc:
        module.fail_json(msg="%s (after %s)" % (exc, "writing %s" % path if file_changed else "no file change"),
                         **dict(result, **exc.details))
    result["sessions_pending_relogin"] = [
        s for s in result["sessions"] if (s["target"], s["portal"]) in changed_records]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
