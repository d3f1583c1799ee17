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
    is only present as a commented default (C(#node.session.scan = manual)) is activated in place; a key set
    several times gets the value everywhere (iscsid reads the last one).
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
      - Keys and values to set. Any key is allowed; values are written as given.
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
    description: Deadline in seconds for each C(iscsiadm) call.
    type: float
    default: 20
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
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
  description: Node record updates made (or that would be made in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{target: iqn.2024-01.lab.san:target1, portal: "127.0.0.1:3260", key: node.session.scan, before: auto, after: manual}]
records:
  description: Every node record seen, with the values of the requested node keys after the run.
  returned: always
  type: list
  elements: dict
  sample: [{target: iqn.2024-01.lab.san:target1, portal: "127.0.0.1:3260", tpgt: "1", values: {node.session.scan: manual}}]
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

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils import kv_config
from ansible_collections.sanfleet.remediation.plugins.module_utils.config_write import diff, read_text, write_text

KEY = re.compile(r"^[A-Za-z0-9_.\[\]-]{1,128}$")
NO_RECORDS = 21  # ISCSI_ERR_NO_OBJS_FOUND
NODE_LINE = re.compile(r"^(?P<portal>\S+),(?P<tpgt>-?\d+)\s+(?P<target>\S+)")
SESSION_LINE = re.compile(r"^\S+:\s+\[(?P<sid>\d+)\]\s+(?P<portal>\S+),(?P<tpgt>-?\d+)\s+(?P<target>\S+)")


def parse_nodes(text):
    """`iscsiadm -m node` -> [{portal, tpgt, target}] (one per target/portal, ifaces folded)."""
    seen = []
    for line in text.splitlines():
        m = NODE_LINE.match(line.strip())
        if m:
            rec = {"portal": m.group("portal"), "tpgt": m.group("tpgt"), "target": m.group("target")}
            if rec not in seen:
                seen.append(rec)
    return seen


def parse_sessions(text):
    out = []
    for line in text.splitlines():
        m = SESSION_LINE.match(line.strip())
        if m:
            out.append({"sid": int(m.group("sid")), "portal": m.group("portal"), "tpgt": m.group("tpgt"),
                        "target": m.group("target")})
    return out


def masked(key, value):
    return "********" if kv_config.is_secret(key) and value not in (None, "", "<empty>") else value


class Iscsiadm(object):
    def __init__(self, module):
        self.module = module
        self.binary = module.get_bin_path("iscsiadm", required=True)
        self.timeout = module.params["command_timeout"]

    def run(self, args, allow=(0,)):
        argv = [self.binary] + args
        try:
            res = deadline.run(argv, self.timeout)
        except deadline.DeadlineExceeded as exc:
            self.module.fail_json(msg=str(exc))
        if res.rc not in allow:
            self.module.fail_json(msg="%s" % res.describe(), rc=res.rc, stdout=res.stdout, stderr=res.stderr)
        return res

    def nodes(self):
        res = self.run(["-m", "node"], allow=(0, NO_RECORDS))
        return parse_nodes(res.stdout) if res.rc == 0 else []

    def record(self, target, portal):
        return kv_config.parse_record(self.run(["-m", "node", "-T", target, "-p", portal]).stdout)

    def update(self, target, portal, key, value):
        self.run(["-m", "node", "-T", target, "-p", portal, "-o", "update", "-n", key, "-v", value])

    def sessions(self):
        res = self.run(["-m", "session"], allow=(0, NO_RECORDS))
        return parse_sessions(res.stdout) if res.rc == 0 else []


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/iscsi/iscsid.conf"),
            keys=dict(type="dict", default={"node.session.scan": "manual"}, no_log=False),
            update_node_records=dict(type="bool", default=True),
            create=dict(type="bool", default=True),
            backup=dict(type="bool", default=False),
            command_timeout=dict(type="float", default=20.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    keys = {}
    for key, value in (p["keys"] or {}).items():
        if not KEY.match(key):
            module.fail_json(msg="keys: %r is not a valid iscsid.conf key" % key)
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        value = str(value)
        if "\n" in value or "\r" in value:
            module.fail_json(msg="keys: the value of %s may not contain a newline" % key)
        keys[key] = value
    path = p["path"]
    result = dict(changed=False, path=path, file_changes={}, record_changes=[], records=[], sessions=[],
                  sessions_pending_relogin=[])

    # the file ------------------------------------------------------------------------------------
    try:
        old_text, existed = read_text(path)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, exc))
    if not existed and not p["create"]:
        module.fail_json(msg="%s does not exist and create is false" % path)
    doc = kv_config.parse(old_text)
    for key, value in keys.items():
        result["file_changes"][key] = doc.set(key, value)
    new_text = doc.render()
    file_changed = new_text != old_text or not existed
    if module._diff:
        result["diff"] = diff(kv_config.mask_secrets(old_text), kv_config.mask_secrets(new_text), path, existed)
    if file_changed:
        result["changed"] = True
        if not module.check_mode:
            result["backup_file"] = write_text(module, path, new_text, backup=p["backup"],
                                               mode=0o600 if not existed else None)

    # the node records ----------------------------------------------------------------------------
    node_keys = dict((k, v) for k, v in keys.items() if k.startswith("node."))
    if p["update_node_records"] and node_keys:
        adm = Iscsiadm(module)
        changed_records = set()
        for rec in adm.nodes():
            values = adm.record(rec["target"], rec["portal"])
            after = {}
            for key, value in node_keys.items():
                before = values.get(key)
                if before is not None and before == value:
                    after[key] = masked(key, value)
                    continue
                result["record_changes"].append({"target": rec["target"], "portal": rec["portal"], "key": key,
                                                 "before": masked(key, before), "after": masked(key, value)})
                changed_records.add((rec["target"], rec["portal"]))
                if not module.check_mode:
                    adm.update(rec["target"], rec["portal"], key, value)
                after[key] = masked(key, value)
            result["records"].append(dict(rec, values=after))
        if changed_records:
            result["changed"] = True
        result["sessions"] = adm.sessions()
        result["sessions_pending_relogin"] = [
            s for s in result["sessions"] if (s["target"], s["portal"]) in changed_records]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
