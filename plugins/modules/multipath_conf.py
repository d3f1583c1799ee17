#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: multipath_conf
short_description: Audit and fix the dm-multipath settings that make I/O queue forever
version_added: 0.1.0
description:
  - Reads the B(effective) multipath configuration (C(multipathd show config), falling back to
    C(multipath -t)), not only C(/etc/multipath.conf). The multipath-tools built-in entry for vendor
    C(NETAPP) product C(LUN) sets C(no_path_retry queue) and C(dev_loss_tmo infinity) even when the
    file says nothing.
  - Reports, per scope (C(defaults), every C(devices) entry that applies to O(devices), C(overrides),
    every C(multipaths) entry) and per live map, the settings listed in RV(findings) and in
    C(docs/compliance.md), namely C(no_path_retry queue), C(queue_if_no_path) in C(features),
    C(dev_loss_tmo infinity), C(recheck_wwid), C(flush_on_last_del), C(find_multipaths), and local disks
    that multipath claims although they should be blacklisted.
  - With O(state=present) it writes the recommended values into C(/etc/multipath.conf) (creating it when
    absent), keeping comments and unrelated content byte for byte, then applies them with C(multipathd reconfigure)
    (every map stays; a stopped multipathd is started) and checks that no live map still queues without bound.
    It never stops multipathd while a map has no active path (see O(force_restart)), and never gives a map with no
    active path another queueing (see O(force_queueing_change)).
  - The new text is decided before anything is written. While the daemon change is held back because a map has no
    active path (RV(apply_action) V(deferred) or V(refused)), the active file stays exactly as it was, so that no
    reload by anyone (C(systemctl reload multipathd), C(multipath -r), a package script) loads the fix into such a
    map; the fix is written beside it instead, to C(<path>.sanfleet-proposed) (RV(proposed_file)), which
    multipath-tools never reads. The run that may apply it writes the active file.
  - The file is written only if it parses; a file the parser cannot represent faithfully is never
    rewritten (the module fails and names the line).
  - Every command runs with a hard deadline; a wedged multipathd cannot hang the play.
author:
  - sanfleet.remediation contributors (@sanfleet)
options:
  state:
    description:
      - V(audit) only reads and reports.
      - V(present) writes the recommended values and, with O(restart=true), applies them to multipathd when the
        file changed in a setting the daemon reads or the running daemon still uses older settings
        (C(multipathd reconfigure); RV(apply_action) says what), then verifies the live maps.
      - V(fixed) is the former name of V(present) (deprecated, removed in 2.0.0).
      - V(restarted) restarts multipathd (starts it when it is stopped) and verifies the live maps. The restart is
        refused while any map has no active path, unless O(force_restart).
    type: str
    choices: [audit, present, fixed, restarted]
    default: audit
  path:
    description: The multipath configuration file.
    type: path
    default: /etc/multipath.conf
  devices:
    description:
      - The arrays to audit and fix, as the C(vendor)/C(product) strings of a C(devices) entry.
      - With O(scope=devices) each gets its own C(device) entry; one with exactly these strings is merged by
        multipath-tools into its built-in entry, so every other built-in value (prio, path grouping,
        C(pg_init_retries)) stays in force.
    type: list
    elements: dict
    default: [{vendor: NETAPP, product: LUN}]
    suboptions:
      vendor:
        description: Vendor string (a regular expression to multipath-tools).
        type: str
        required: true
      product:
        description: Product string (a regular expression to multipath-tools).
        type: str
        required: true
  scope:
    description:
      - Where the array values (O(no_path_retry), O(dev_loss_tmo), O(flush_on_last_del)) are written.
      - V(devices) (default) changes only the arrays in O(devices); other arrays keep their vendor's values.
      - V(overrides) applies them to every multipath device of every array, and beats every C(devices) entry.
      - Bad values that the file already sets in another scope (C(defaults), C(overrides), matching C(devices)
        entries, C(multipaths) entries) are corrected where they stand in either case, since a higher-precedence
        scope would otherwise keep them in force.
    type: str
    choices: [devices, overrides]
    default: devices
  no_path_retry:
    description:
      - Recommended C(no_path_retry) (number of checker intervals to keep queueing once all paths are
        down, or V(fail)). V(queue) is refused. C(null) leaves it alone.
    type: str
    default: "30"
  dev_loss_tmo:
    description: Recommended C(dev_loss_tmo) in seconds (FC/SAS remote ports). C(null) leaves it alone.
    type: str
    default: "60"
  remove_queue_if_no_path:
    description: Remove C(queue_if_no_path) from every C(features) value the file sets in an audited scope.
    type: bool
    default: true
  recheck_wwid:
    description:
      - Set C(recheck_wwid yes) in C(defaults) when the installed multipath-tools knows the option
        (detected from C(multipath -t) output). With it multipathd drops a path whose WWID changed, so a
        reused LUN number cannot silently rejoin the old map.
    type: bool
    default: true
  flush_on_last_del:
    description:
      - Value for C(flush_on_last_del) in the array scope (V(yes)/V(no) up to 0.9.8,
        V(always)/V(unused)/V(never) from 0.9.9). C(null) (default) only reports it.
    type: str
    choices: ["yes", "no", always, unused, never]
  find_multipaths:
    description: Value for C(find_multipaths) in C(defaults). C(null) (default) only reports it.
    type: str
    choices: ["no", "yes", "off", "on", greedy, smart, strict]
  uxsock_timeout:
    description:
      - Milliseconds that multipathd's clients (C(multipathd show ...), this collection's facts and cleanup) wait
        for the daemon, set in C(defaults). The built-in 4000 is short on a host with thousands of paths, where the
        daemon answers late while its checkers run (lab finding 14, docs/lab-findings.md).
      - C(null) (default) leaves it alone. A value already in force that is as long or longer is kept.
      - Reported as C(uxsock_timeout_unsupported) and not written when multipath-tools does not know the keyword.
    type: int
  blacklist_local_disks:
    description:
      - Add a C(blacklist) C(wwid) line for every local (not iSCSI/FC, not an audited vendor) disk that
        multipath claims or would claim. Off by default; the finding is reported either way.
    type: bool
    default: false
  restart:
    description:
      - With O(state=present), apply the written settings to multipathd when needed and verify the live maps, with
        C(multipathd reconfigure) when the daemon answers (every setting this module writes takes effect so, in
        multipath-tools 0.8.5 to 0.11.x), C(systemctl start) when it is not running, and a restart only when it
        runs but does not answer. With V(false) the module returns RV(restart_needed) and RV(apply_action) instead.
      - C(uxsock_timeout) alone never touches the daemon, since every C(multipathd) client reads it from the file.
    type: bool
    default: true
  force_restart:
    description:
      - Stopping multipathd turns queueing off on every map (C(queue_without_daemon no), the default), so a map
        with no active path at that moment fails its queued I/O at once. A stop/restart (V(restarted), or a
        daemon that does not answer) is therefore refused while any map has no active path, or while that cannot
        be read; the refusal names the maps.
      - V(true) restarts anyway and names, as a warning and in RV(maps_failing_io), the maps whose queued I/O
        fails. A C(multipathd reconfigure) or start never needs it (see O(force_queueing_change)).
    type: bool
    default: false
  force_queueing_change:
    description:
      - A C(multipathd reconfigure), or the start of a stopped multipathd, gives every map the queueing of the new
        configuration (C(no_path_retry), else C(queue_if_no_path) in C(features)). On a map with no active path,
        V(fail) fails its queued I/O at once and a number N after N x C(polling_interval) seconds. So the
        reconfigure/start is deferred (RV(apply_action) V(deferred); the active file is left as it was and the fix
        written to RV(proposed_file), the task fails unless in check mode or with O(restart=false)) while it would
        change the queueing of a map with no active path, or of a map whose paths or settings cannot be read;
        RV(queueing_changes) names them and when their I/O would fail. Run the fix again once their paths are back.
      - V(true) applies it anyway and names those maps as a warning and in RV(maps_failing_io).
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of the file before changing it.
    type: bool
    default: false
  command_timeout:
    description: Deadline in seconds for each query command (multipathd, multipath, dmsetup), the sysfs scan and the write (and fsync) of O(path).
    default: 15
  restart_timeout:
    description: Deadline in seconds for C(multipathd reconfigure) or C(systemctl start|restart multipathd.service).
    type: float
    default: 120
  settle_timeout:
    description: How long to wait, after the reconfigure/start/restart, for multipathd to answer and for the maps to be reloaded.
    type: float
    default: 120
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sanfleet.remediation.audit_detail
  - sanfleet.remediation.deadlines
attributes:
  check_mode:
    support: full
    description: Computes the new file, the diff and RV(apply_action) exactly as a real run would (a refused
      restart is a warning there); writes, reconfigures and restarts nothing.
  diff_mode:
    support: full
    description: Returns the file before and after.
  platform:
    support: full
    platforms: posix
notes:
  - C(dmsetup table) and the C(multipathd) socket are read; no dm device is ever opened.
  - With a numeric O(no_path_retry) the kernel table of a map with working paths still carries
    C(queue_if_no_path); multipathd switches queueing off itself after O(no_path_retry) checker intervals
    without a path. Unbounded queueing is shown by multipathd's queueing state V(on), which is what
    RV(live_maps_queueing) reports (and what the fix must remove).
seealso:
  - name: multipath.conf(5)
    description: The configuration file and the precedence of its sections.
    link: https://man7.org/linux/man-pages/man5/multipath.conf.5.html
"""

EXAMPLES = r"""
- name: Report risky multipath settings (read-only)
  sanfleet.remediation.multipath_conf:
    state: audit
  register: mp

- name: Write bounded queueing for NetApp LUNs, restart multipathd and verify
  sanfleet.remediation.multipath_conf:
    state: present
    backup: true

- name: Fail fast instead of queueing, for every array (overrides)
  sanfleet.remediation.multipath_conf:
    state: present
    scope: overrides
    no_path_retry: fail

- name: Write only, report how the daemon would take it (reconfigure, start, restart or refused)
  sanfleet.remediation.multipath_conf:
    state: present
    restart: false
  register: mp_fix

- name: Restart multipathd even though maps without a path fail their queued I/O (an operator's decision)
  sanfleet.remediation.multipath_conf:
    state: restarted
    force_restart: true
"""

RETURN = r"""
findings:
  description: What the audit found in the effective configuration, before any fix.
  returned: always
  type: list
  elements: dict
  contains:
    check:
      description: >-
        no_path_retry_queue, features_queue_if_no_path, dev_loss_tmo_infinity, recheck_wwid_off,
        recheck_wwid_unsupported, flush_on_last_del_off, find_multipaths, uxsock_timeout_short,
        uxsock_timeout_unsupported, local_disk_not_blacklisted,
        live_map_queueing.
      type: str
    scope:
      description: C(defaults), C(overrides), C(devices/device[vendor="..",product=".."]), C(multipaths/multipath[wwid=".."]), C(blacklist) or C(map:<name>).
      type: str
    maps: {description: "O(detail=compact): the maps of a C(live_map_queueing) finding (scope C(maps)), sorted.", type: list, elements: str}
    count: {description: "O(detail=compact): how many maps a C(live_map_queueing) finding is about.", type: int}
    key: {description: The configuration key., type: str}
    value: {description: The value in force., type: str}
    recommended: {description: The value the fix writes (null when none)., type: str}
    reason: {description: Why it matters., type: str}
    severity: {description: warning or info., type: str}
    shadowed: {description: A higher-precedence scope overrides it for every audited array., type: bool}
    in_file: {description: The value is written in the file (false = built-in; null = unknown)., type: bool}
    fixable: {description: State present changes it., type: bool}
  sample:
    - {check: no_path_retry_queue, scope: 'devices/device[vendor="NETAPP",product="LUN"]', key: no_path_retry,
       value: queue, recommended: "30", severity: warning, shadowed: false, in_file: false, fixable: true,
       reason: no_path_retry queue keeps I/O queued forever when every path is gone ...}
    - {check: live_map_queueing, scope: maps, key: queueing, value: "on", severity: warning, count: 2, maps: [mpatha, mpathb]}
remaining_findings:
  description: Active warnings left after the fix and restart (state present/restarted; empty on success), as RV(findings).
  returned: always
  type: list
  elements: dict
resolved:
  description: Per audited array, the value in force for each audited key and the scope it comes from.
  returned: always
  type: dict
  sample: {"NETAPP/LUN": {"no_path_retry": {"value": "queue", "scope": "devices/device[vendor=\"NETAPP\",product=\"LUN\"]"}}}
live_maps:
  description: Every map, its queueing and table features (O(detail=full), the sample); O(detail=compact) counts (docs/compliance.md).
  returned: always
  type: raw
  sample:
    - {name: 3600a098038304c61622d3030312b4162, wwid: 3600a098038304c61622d3030312b4162, dm: dm-3, queueing: "on",
       active_paths: 2, vendor: NETAPP, product: LUN C-Mode, table_features: queue_if_no_path pg_init_retries 50,
       table_queue_if_no_path: true, queues_forever: true}
live_maps_queueing:
  description: Names of the maps that queue without bound (multipathd queueing C(on), or C(queue_if_no_path) in the table when multipathd does not answer).
  returned: always
  type: list
  elements: str
tmo_settings:
  description:
    - What the FC audit compares each target rport's dev_loss_tmo / fast_io_fail_tmo with (docs/compliance.md, FC
      timeouts), from the effective configuration - C(polling_interval), and C(no_path_retry), C(dev_loss_tmo),
      C(fast_io_fail_tmo) of C(defaults), C(overrides), the C(devices) entries that set one (in order) and
      C(multipaths) (C(no_path_retry) by wwid).
    - C(multipath_tools_version), the version C(multipath -h) names (null when it names none; then the FC audit
      accepts what any multipath-tools generation would write), and C(scope), the O(devices) the FC audit judges.
  returned: always
  type: dict
  sample: {polling_interval: "5", defaults: {fast_io_fail_tmo: "5"}, overrides: {}, multipaths: [],
           multipath_tools_version: "0.9.4", scope: [{vendor: NETAPP, product: LUN}],
           devices: [{vendor: NETAPP, product: LUN, no_path_retry: queue, dev_loss_tmo: infinity}]}
effective_source: {description: "Where the effective configuration came from (C(multipathd show config) or C(multipath -t)).", returned: always, type: str}
recheck_wwid_supported: {description: The installed multipath-tools knows C(recheck_wwid)., returned: always, type: bool}
file_exists: {description: The file existed before the run., returned: always, type: bool}
parse_error: {description: "Why the file could not be parsed (null when it could). A fix refuses to write such a file.", returned: always, type: str}
changes:
  description: The edits made to the file (or that would be made, in check mode).
  returned: always
  type: list
  elements: dict
  sample:
    - scope: devices/device[vendor="NETAPP",product="LUN"]
      key: no_path_retry
      before: null
      after: "30"
restart_needed: {description: "The daemon must be given the file (RV(apply_action) is not V(none)) and this run did not do it.", returned: always, type: bool}
apply_action:
  description: >-
    How the settings reach multipathd, the same in check mode: V(none) (nothing the daemon reads changed, e.g.
    C(uxsock_timeout) alone), V(reconfigure), V(start) (it was not running), V(restart) (state restarted, or a daemon
    that does not answer), V(refused) (a restart while maps have no active path, without O(force_restart)),
    V(deferred) (a reconfigure/start that changes the queueing of maps with no active path, without
    O(force_queueing_change)).
  returned: always
  type: str
apply_reason: {description: "Why RV(apply_action) (for V(refused) and V(deferred), the maps, what to do and where the fix waits).", returned: always, type: str}
proposed_file:
  description: >-
    With O(state=present) and a fix held back (RV(apply_action) V(deferred) or V(refused)): the file the fix was
    written to instead of O(path) (in check mode: would be), O(path) with C(.sanfleet-proposed) appended; O(path)
    itself is left as it was. Null when the fix is not held.
  returned: with O(state=present) when the file changes
  type: str
maps_without_active_path:
  description: "Maps with no path the kernel can send I/O to (C(dmsetup status); a map without a status line,
    or every map when it does not answer, counts as none)."
  returned: always
  type: list
  elements: str
maps_failing_io:
  description: >-
    The maps whose queued I/O the daemon change fails: a stop (refused, or forced with O(force_restart)), or a
    reconfigure/start that changes their queueing (deferred, or forced with O(force_queueing_change)).
  returned: always
  type: list
  elements: str
queueing_changes:
  description: >-
    Every map with no active path (or none that can be counted) whose queueing the new configuration changes:
    C(before) and C(after) (V(queue), V(fail), a number of checker intervals, or V(unknown)) and C(io_fails_after),
    the seconds until its queued I/O would fail once the daemon takes it (0 at once, null never). Null when the
    maps could not be listed.
  returned: when O(state) is V(present) or V(restarted)
  type: list
  elements: dict
  sample: [{map: 3600a098038304c61622d3030312b4162, before: queue, after: fail, io_fails_after: 0}]
restarted: {description: multipathd was restarted or started by this run., returned: always, type: bool}
reconfigured: {description: multipathd was reconfigured by this run., returned: always, type: bool}
backup_file:
  description: The backup made before writing.
  returned: when backup is true and the file changed
  type: str
errors:
  description: Partial failures (a query that timed out, a disk that could not be read); never silently dropped.
  returned: always
  type: list
  elements: dict
"""

from types import SimpleNamespace

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import daemon as act_daemon
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import fc_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_config as mc
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_audit as judge_multipath_audit
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_fix as judge_multipath_fix
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_parse as judge_multipath_parse
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_queueing
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.multipath_audit import (
    ConfigJudge, active, disk_findings, map_findings, map_in_scope)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import module as skeleton
from ansible_collections.sanfleet.remediation.plugins.module_utils._san import validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.multipath_tools import MultipathTools
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.files import (
    diff, missing_directory, read_text, safe_data)


def argument_spec():
    return dict(
        state=dict(type="str", default="audit", choices=["audit", "present", "fixed", "restarted"]),
        path=dict(type="path", default="/etc/multipath.conf"),
        devices=dict(type="list", elements="dict", default=[{"vendor": "NETAPP", "product": "LUN"}],
                     options=dict(vendor=dict(type="str", required=True),
                                  product=dict(type="str", required=True))),
        scope=dict(type="str", default="devices", choices=["devices", "overrides"]),
        no_path_retry=dict(type="str", default="30"),
        dev_loss_tmo=dict(type="str", default="60"),
        remove_queue_if_no_path=dict(type="bool", default=True),
        recheck_wwid=dict(type="bool", default=True),
        flush_on_last_del=dict(type="str", choices=["yes", "no", "always", "unused", "never"]),
        find_multipaths=dict(type="str", choices=["no", "yes", "off", "on", "greedy", "smart", "strict"]),
        uxsock_timeout=dict(type="int"),
        blacklist_local_disks=dict(type="bool", default=False),
        restart=dict(type="bool", default=True),
        force_restart=dict(type="bool", default=False),
        force_queueing_change=dict(type="bool", default=False),
        backup=dict(type="bool", default=False),
        **skeleton.deadline_options(command_timeout=15.0),
        restart_timeout=dict(type="float", default=120.0),
        settle_timeout=dict(type="float", default=120.0),
        detail=dict(type="str", choices=list(compact.DETAILS), default="compact"),
    )


def checked_input(module):
    """The audited device entries, or fail_json (nothing read, nothing changed) on an option multipath.conf cannot
    carry (validate.multipath_devices, multipath_settings) or a deadline that is no number of seconds."""
    p = module.params
    try:
        targets = validate.multipath_devices(p["devices"])
        skeleton.check_seconds(module, ("command_timeout", "restart_timeout", "settle_timeout"))
        validate.multipath_settings(p["no_path_retry"], p["dev_loss_tmo"], p["uxsock_timeout"])
    except validate.InvalidInput as exc:
        module.fail_json(msg=str(exc))
    return targets


def read_file(module, result):
    path = module.params["path"]
    directory = missing_directory(path)
    if directory and module.params["state"] == "present":
        module.fail_json(msg="%s: the directory %s does not exist (is multipath-tools installed?); nothing was "
                             "written" % (path, directory))
    try:
        old_text, existed = read_text(path)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, exc))
    result["file_exists"] = existed
    doc = None
    try:
        doc = judge_multipath_parse.parse(old_text) if existed else judge_multipath_fix.new_document()
    except judge_multipath_parse.ParseError as exc:
        result["parse_error"] = str(exc)
    return old_text, existed, doc


def observe(module, host, targets, result):
    """Read the file, the effective configuration, the disks and the maps; judge them into result's findings."""
    p = module.params
    old_text, existed, doc = read_file(module, result)
    configured = host.configured_config()
    running = host.running_config()
    effective_text = running or configured
    if effective_text is None:
        module.fail_json(msg="cannot read the effective multipath configuration: neither 'multipathd show config' "
                             "nor 'multipath -t' answered", **result)
    result["effective_source"] = "multipathd show config" if running else "multipath -t"
    recommended, audit_rec, supported, uxsock_supported = judge_multipath_audit.recommended_settings(
        p, (configured or "") + (running or ""))
    result["recheck_wwid_supported"] = supported
    judge = ConfigJudge(targets, audit_rec, judge_multipath_audit.to_dict(doc) if doc is not None else None, configured, supported,
                        uxsock_supported)
    findings, resolved = judge(effective_text)
    result["tmo_settings"] = dict(fc_audit.tmo_settings(judge_multipath_audit.to_dict(judge_multipath_parse.parse(effective_text, strict=False))),
                                  multipath_tools_version=fc_audit.tools_version(host.tools_help()), scope=targets)
    if not p["remove_queue_if_no_path"]:
        judge_multipath_audit.without_queue_feature_fix(findings)
    disks = host.local_disks(lambda vendor: any(judge_multipath_audit.rx_search(t["vendor"], vendor) for t in targets))
    findings.extend(disk_findings(disks, p["blacklist_local_disks"]))
    maps = mc.live_maps(*host.map_reads())
    findings.extend(map_findings(maps))
    result.update(findings=findings, resolved=resolved, live_maps=maps,
                  live_maps_queueing=[m["name"] for m in maps if m["queues_forever"]])
    # what was read (the file's text and document, the configuration texts, the disks, the maps), the judge, and
    # the recommended settings a fix would write
    return SimpleNamespace(old_text=old_text, existed=existed, doc=doc, running=running, judge=judge,
                           findings=findings, recommended=recommended, disks=disks, maps=maps, configured=configured,
                           new_file=judge_multipath_audit.to_dict(doc) if doc is not None else None)


def fix_file(module, seen, targets, result):
    """state=present: the fix's new text, decided before anything is written (fix_written writes it, once the daemon's
    plan says whether it may be the active file). Returns (new_text, file_changed, daemon_keys, stale): the changed
    keys the daemon reads, and the settings the running daemon has that the (new) file no longer has."""
    p = module.params
    path = p["path"]
    if seen.doc is None:
        module.fail_json(msg="refusing to rewrite %s, it cannot be parsed faithfully (%s); fix it by hand"
                             % (path, result["parse_error"]), **result)
    new_text, changes = judge_multipath_fix.fixed_text(seen.doc, targets, seen.recommended, p["scope"],
                                                       seen.disks if p["blacklist_local_disks"] else [],
                                                       p["remove_queue_if_no_path"])
    file_changed = new_text != seen.old_text or not seen.existed
    result["changes"] = safe_data(changes)
    if module._diff:
        result["diff"] = diff(seen.old_text, new_text, path, seen.existed)
    daemon_keys = mc.daemon_keys(changes, file_changed, seen.existed)
    seen.new_file = judge_multipath_audit.to_dict(judge_multipath_parse.parse(new_text))
    stale = seen.judge.stale_settings(seen.running) if seen.running else []
    return new_text, file_changed, daemon_keys, stale


# where a held fix is written, beside the active file: multipath-tools reads neither it nor anything but
# multipath.conf and conf.d/*.conf, so no reload by anyone (systemctl reload, multipath -r, a package script) loads it
PROPOSAL_SUFFIX = ".sanfleet-proposed"


def fix_written(module, host, seen, new_text, plan, result):
    """Write the decided text (not in check mode): the active file when the daemon may be given it; while the plan
    holds it back (mc.HELD), the active file stays exactly as it was and the text goes to the proposal beside it
    (result proposed_file), which the next run that may apply it writes as the active file (mc.writes_active_file)."""
    path = module.params["path"]
    held = not mc.writes_active_file(plan)
    result["proposed_file"] = path + PROPOSAL_SUFFIX if held else None
    if module.check_mode:
        return
    if held:
        skeleton.write_config(module, result["proposed_file"], new_text, result, mode=0o644)
        result["changed"] = True  # the proposal was written; the active file was not
        return
    result["backup_file"] = skeleton.write_config(module, path, new_text, result,
                                                  mode=0o644 if not seen.existed else None)
    result["changed"] = True  # whatever happens next, the file was written
    seen.judge.configured = host.configured_config() or seen.judge.configured


def plan_daemon(module, host, targets, seen, daemon_keys, stale, result):
    """What multipathd needs (none, reconfigure, start, restart, deferred or refused), from the daemon's state, the
    maps that have no active path and what the new configuration does to their queueing."""
    p = module.params
    daemon = "answers" if seen.running else host.daemon_state()
    plan, pathless, queueing = multipath_queueing.daemon_plan(
        p["state"], daemon, (daemon_keys, stale), (seen.maps, host.path_status(), seen.running, seen.configured),
        seen.new_file, {"restart": p["force_restart"], "queueing_change": p["force_queueing_change"]},
        lambda m: map_in_scope(m, targets))
    result.update(apply_action=plan["action"], apply_reason=plan["reason"], maps_without_active_path=pathless,
                  maps_failing_io=plan["maps_failing_io"], restart_needed=plan["action"] != "none",
                  queueing_changes=queueing)
    return plan


def apply_to_daemon(module, host, targets, seen, plan, result):
    """Run the daemon's plan (unless check mode), verify it, and exit; returns when there is nothing to run."""
    p = module.params
    act = plan["action"] != "none" and (p["state"] == "restarted" or p["restart"])
    if plan["action"] in mc.HELD:
        if result.get("proposed_file"):
            plan["reason"] += ("; %s stays as it was, the fix is %s %s (it becomes the file when a run may apply "
                               "it)" % (p["path"], "to be written to" if module.check_mode else "written to",
                                        result["proposed_file"]))
            result["apply_reason"] = plan["reason"]
        if module.check_mode or not act:
            module.warn(plan["reason"])
            return
        module.fail_json(msg="%s: %s" % (p["path"], plan["reason"]), **result)
    if not act:
        return
    result["changed"] = True
    if plan["warning"]:
        module.warn(plan["warning"])
    if module.check_mode:
        module.exit_json(**result)
    try:
        act_daemon.apply(host, plan["action"], p["restart_timeout"])
    except act_daemon.DaemonNotApplied as exc:
        module.fail_json(msg=str(exc), changed=True)
    except deadline.DeadlineExceeded as exc:
        module.fail_json(msg=str(exc), **result)
    result["restarted"] = plan["action"] in ("restart", "start")
    result["reconfigured"] = plan["action"] == "reconfigure"
    result["restart_needed"] = False
    verify(module, host, targets, seen.judge, result, p["settle_timeout"])
    module.exit_json(**result)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    skeleton.exits_shaped(module, lambda result: compact_audit.multipath_result(result, p["detail"]))
    if p["state"] == "fixed":
        module.deprecate("state=fixed is now state=present", version="2.0.0", collection_name="sanfleet.remediation")
        p["state"] = "present"
    targets = checked_input(module)
    host = MultipathTools(module)
    result = dict(changed=False, state=p["state"], path=p["path"], findings=[], remaining_findings=[], resolved={},
                  tmo_settings={}, live_maps=[], live_maps_queueing=[], changes=[], restart_needed=False,
                  restarted=False, reconfigured=False, apply_action="none", apply_reason=None,
                  maps_without_active_path=[], maps_failing_io=[], parse_error=None, errors=host.errors)
    without_multipath_tools(module, result)
    seen = observe(module, host, targets, result)
    if p["state"] == "audit":
        result["remaining_findings"] = active(seen.findings)
        module.exit_json(**result)

    new_text, file_changed, daemon_keys, stale = None, False, [], []
    if p["state"] == "present":
        new_text, file_changed, daemon_keys, stale = fix_file(module, seen, targets, result)
    plan = plan_daemon(module, host, targets, seen, daemon_keys, stale, result)
    if p["state"] == "present":
        result["changed"] = file_changed
        if file_changed:
            fix_written(module, host, seen, new_text, plan, result)
    apply_to_daemon(module, host, targets, seen, plan, result)
    findings = seen.findings
    if file_changed and not module.check_mode and seen.running:
        # nothing for the daemon (a client-only setting): what remains is judged on the file just written
        findings = (seen.judge(seen.running)[0] + disk_findings(seen.disks, p["blacklist_local_disks"])
                    + map_findings(seen.maps))
    result["remaining_findings"] = active(findings)
    module.exit_json(**result)


def without_multipath_tools(module, result):
    """A host without multipath-tools (an NVMe-only host): nothing to audit, and the audit says so as a skipped
    result, never a pass (the reports then leave area multipath unjudged and name the package: tool_missing);
    nothing to fix (state present fails, nothing written)."""
    if module.get_bin_path("multipath"):
        return
    why = "multipath-tools is not installed (multipath not found): there is no multipath configuration to %s" % (
        "audit" if module.params["state"] == "audit" else "fix")
    if module.params["state"] != "audit":
        module.fail_json(msg=why + "; nothing was written", **result)
    module.exit_json(skipped=True, msg=why, **result)


def verify(module, host, targets, judge, result, settle):
    """After the reconfigure/start/restart: the daemon runs the fixed settings and no audited map queues without
    bound."""
    what = result["apply_action"]
    read = act_daemon.settled(host, judge, settle)
    if read is None:
        module.fail_json(msg="multipathd did not become ready (show daemon: idle or running) within %ss after the %s"
                             % (settle, what), **result)
    running, maps, remaining, stuck, pathless = read
    others = [m["name"] for m in maps if m["queues_forever"] and not map_in_scope(m, targets)]
    result.update(live_maps=maps, live_maps_queueing=[m["name"] for m in maps if m["queues_forever"]],
                  remaining_findings=remaining + map_findings(stuck))
    failure = judge_multipath_audit.settled_failure(what, running, remaining, stuck, pathless)
    if failure:
        module.fail_json(msg=failure, **result)
    if others:
        module.warn("maps of arrays outside 'devices' still queue without bound: %s" % ", ".join(others))


if __name__ == "__main__":
    main()
